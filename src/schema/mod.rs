//! The GraphQL schema: object types wrapping entities, inputs and payloads, and the assembly of the
//! per-domain roots from `resolvers/` into one schema.
mod announcement;
mod author;
mod book;
mod cart;
mod catalog_input;
mod category;
mod connection;
mod conversation;
mod extensions;
mod message;
mod money;
mod order;
mod presence;
mod review;
mod search;
mod stock;
mod user;
mod watch;

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

pub use announcement::Announcement;
pub use author::Author;
pub use book::{Book, BookConnection, BookEdge, StockStatus};
pub use cart::{Cart, CartItem, CheckoutInput, HoldState, PaymentInput};
pub use catalog_input::{
    AddReviewInput, BookFilterInput, BookSortInput, CreateBookInput, CreateWarehouseInput,
    SetStockInput, UpdateBookInput,
};
pub use category::Category;
pub use connection::PageInfo;
pub use conversation::{
    Conversation, ConversationConnection, ConversationEdge, ConversationMember,
    CreateConversationInput,
};
pub use extensions::{ErrorCodes, QueryLimits};
pub use message::{
    Message, MessageConnection, MessageEdge, ReadReceipt, SendMessageInput, TypingEvent, Watermarks,
};
pub use money::Money;
pub use order::{Order, OrderConnection, OrderEdge, OrderItem, Payment, PaymentStatus};
pub use presence::{Presence, PresenceChange};
pub use review::{Review, ReviewConnection, ReviewEdge};
pub use search::{CategoryFacet, SearchConnection, SearchEdge, Suggestion, SuggestionKind};
pub use stock::{StockLevel, Warehouse, WarehouseStock};
pub use user::{AuthPayload, SignInInput, SignUpInput, User};
pub use watch::{PriceChange, PriceWatch, StockChange};

use crate::config::Limits;
use crate::resolvers::{
    account, announcement as announcement_resolvers, cart as cart_resolvers, catalog,
    conversation as conversation_resolvers, message as message_resolvers, order as order_resolvers,
    presence as presence_resolvers, review as review_resolvers, stock as stock_resolvers,
    watch as watch_resolvers,
};

/// Every query root field, merged from the domains.
#[derive(MergedObject, Default)]
pub struct Query(
    account::AccountQuery,
    catalog::CatalogQuery,
    crate::resolvers::search::SearchQuery,
    stock_resolvers::StockQuery,
    cart_resolvers::CartQuery,
    order_resolvers::OrderQuery,
    watch_resolvers::WatchQuery,
    conversation_resolvers::ConversationQuery,
    presence_resolvers::PresenceQuery,
);

/// Every mutation, merged from the domains.
#[derive(MergedObject, Default)]
pub struct Mutation(
    account::AccountMutation,
    announcement_resolvers::AnnouncementMutation,
    catalog::CatalogMutation,
    stock_resolvers::StockMutation,
    review_resolvers::ReviewMutation,
    cart_resolvers::CartMutation,
    order_resolvers::OrderMutation,
    watch_resolvers::WatchMutation,
    conversation_resolvers::ConversationMutation,
    message_resolvers::MessageMutation,
);

/// Every subscription, merged from the domains.
#[derive(MergedSubscription, Default)]
pub struct Subscription(
    announcement_resolvers::AnnouncementSubscription,
    watch_resolvers::WatchSubscription,
    message_resolvers::MessageSubscription,
    presence_resolvers::PresenceSubscription,
);

/// The schema type served by every transport.
pub type FolioSchema = Schema<Query, Mutation, Subscription>;

/// The schema with its extensions and limits, before request-independent data is attached.
pub fn builder(limits: &Limits) -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .extension(QueryLimits::new(limits))
    .extension(ErrorCodes)
}

/// The SDL of the schema, as committed in `schema.graphql` and printed by `folio schema`.
pub fn sdl() -> String {
    builder(&crate::config::Config::embedded(".").limits)
        .finish()
        .sdl()
}
