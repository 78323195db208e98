//! The one GraphQL schema every transport serves: the root fields of `resolvers/`, one root object
//! per noun, merged into `Query`, `Mutation` and `Subscription`, with the limits and error codes of
//! `schema/` around every operation. The state is attached here, as the schema's data; it does not
//! hold the schema.
//!
//! This assembly stands apart from `schema/` (the GraphQL types) because it imports the resolvers,
//! which import those types: kept in one folder, the two would import each other.
use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

use crate::config::Limits;
use crate::resolvers::{
    announcement, author, book, cart, category, checkout, conversation, message, order, presence,
    price_watch, receipt, review, search, session, stock, typing, user, warehouse,
};
use crate::schema::cost::CostBudget;
use crate::schema::error_codes::ErrorCodes;
use crate::schema::limits::QueryLimits;
use crate::state::AppState;

/// Every query root field, merged from the nouns.
#[derive(MergedObject, Default)]
pub struct Query(
    session::SessionQuery,
    book::BookQuery,
    category::CategoryQuery,
    author::AuthorQuery,
    search::SearchQuery,
    warehouse::WarehouseQuery,
    cart::CartQuery,
    order::OrderQuery,
    price_watch::PriceWatchQuery,
    conversation::ConversationQuery,
    user::UserQuery,
);

/// Every mutation, merged from the nouns.
#[derive(MergedObject, Default)]
pub struct Mutation(
    session::SessionMutation,
    announcement::AnnouncementMutation,
    book::BookMutation,
    warehouse::WarehouseMutation,
    stock::StockMutation,
    review::ReviewMutation,
    cart::CartMutation,
    checkout::CheckoutMutation,
    order::OrderMutation,
    price_watch::PriceWatchMutation,
    conversation::ConversationMutation,
    message::MessageMutation,
    typing::TypingMutation,
    receipt::ReceiptMutation,
);

/// Every subscription, merged from the nouns.
#[derive(MergedSubscription, Default)]
pub struct Subscription(
    announcement::AnnouncementSubscription,
    price_watch::PriceWatchSubscription,
    stock::StockSubscription,
    message::MessageSubscription,
    receipt::ReceiptSubscription,
    typing::TypingSubscription,
    presence::PresenceSubscription,
);

/// The schema type served by every transport.
pub type FolioSchema = Schema<Query, Mutation, Subscription>;

/// The schema with its limits and error codes, before any data is attached.
pub fn builder(limits: &Limits) -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    // The cost budget first: its validation hook wraps the limits', so an operation they refuse
    // is never charged its complexity.
    .extension(CostBudget)
    .extension(QueryLimits::new(limits))
    .extension(ErrorCodes)
}

/// The schema a server runs: the builder with the process's state attached, and without
/// introspection when the configuration turns it off.
pub fn build(state: AppState) -> FolioSchema {
    let mut builder = builder(&state.config.limits.clone());
    if !state.config.introspection {
        builder = builder.disable_introspection();
    }
    builder.data(state).finish()
}

/// The SDL of the schema, as committed in `schema.graphql` and printed by `folio schema`.
pub fn sdl() -> String {
    builder(&crate::config::Config::embedded(".").limits)
        .finish()
        .sdl()
}
