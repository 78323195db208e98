//! Root fields per domain. Resolvers stay thin: check who is asking, call a service, wrap the result.
pub mod account;
pub mod announcement;
pub mod cart;
pub mod catalog;
pub mod conversation;
pub mod message;
pub mod order;
pub mod presence;
pub mod review;
pub mod search;
pub mod stock;
pub mod watch;

use async_graphql::Context;

use crate::app::AppState;
use crate::auth::Viewer;

/// The process-wide state attached to the schema.
pub fn state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

/// Who is asking (anonymous when the transport attached nobody).
pub fn viewer(ctx: &Context<'_>) -> Viewer {
    ctx.data_opt::<Viewer>().cloned().unwrap_or_default()
}
