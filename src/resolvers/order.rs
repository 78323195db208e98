//! Orders: `orders`, `order`; `cancelOrder`.
use async_graphql::{Context, ID, Object, Result, ResultExt};

use super::{state, viewer};
use crate::auth::SignedInGuard;
use crate::schema::{Order, OrderConnection};
use crate::services::id::parse_id;
use crate::services::order;
use crate::services::page::page_size;

/// Order queries.
#[derive(Default)]
pub struct OrderQuery;

#[Object]
impl OrderQuery {
    /// The signed-in user's orders, newest first.
    #[graphql(
        guard = "SignedInGuard",
        complexity = "first.max(0) as usize * child_complexity"
    )]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1..100.", default = 20)] first: i32,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<OrderConnection> {
        let user_id = viewer(ctx).user_id().extend()?;
        let db = &state(ctx).db;
        let first = page_size(first).extend()?;
        let page = order::orders_of(db, user_id, first, after.as_deref())
            .await
            .extend()?;
        let total = order::count_orders(db, user_id).await.extend()?;
        Ok(OrderConnection {
            page,
            total,
            after: after.is_some(),
        })
    }

    /// One order: its owner's or, for admins, anyone's (FORBIDDEN for others; NOT_FOUND if none).
    #[graphql(guard = "SignedInGuard")]
    async fn order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
    ) -> Result<Order> {
        let id = parse_id("id", &id).extend()?;
        order::find_order_for(&state(ctx).db, &viewer(ctx), id)
            .await
            .map(Order)
            .extend()
    }
}

/// Order mutations.
#[derive(Default)]
pub struct OrderMutation;

#[Object]
impl OrderMutation {
    /// Cancels an order (its owner or an admin): a PAID one is refunded and its stock returned; a
    /// PENDING_PAYMENT one is cancelled and its held stock released. Any other status: CONFLICT.
    #[graphql(guard = "SignedInGuard")]
    async fn cancel_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
    ) -> Result<Order> {
        let id = parse_id("id", &id).extend()?;
        let state = state(ctx);
        let result =
            order::cancel_order(&state.db, state.payments.as_ref(), &viewer(ctx), id).await;
        state.counts.invalidate();
        result.map(Order).extend()
    }
}
