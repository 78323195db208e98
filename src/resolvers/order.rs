//! `orders`, `order`; `cancelOrder`.
use async_graphql::{Context, ID, Object, Result, ResultExt};

use crate::domain::id::parse_id;
use crate::schema::connection::{Connection, selects_total_count};
use crate::schema::context::{state, viewer};
use crate::schema::guard::SignedInGuard;
use crate::schema::order::Order;
use crate::services::commerce::order;

/// Orders.
#[derive(Default)]
pub(crate) struct OrderQuery;

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
    ) -> Result<Connection<Order>> {
        let user_id = viewer(ctx).user_id().extend()?;
        let db = &state(ctx)?.db;
        let page = order::orders_of(db, user_id, first, after.as_deref())
            .await
            .extend()?;
        let total = if selects_total_count(ctx) {
            order::count_orders(db, user_id).await.extend()?
        } else {
            0
        };
        Ok(Connection::new(page, after.is_some(), total, Order))
    }

    /// One order: its owner's or, for admins, anyone's (FORBIDDEN for others; NOT_FOUND if none).
    #[graphql(guard = "SignedInGuard")]
    async fn order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's id.")] id: ID,
    ) -> Result<Order> {
        let id = parse_id("id", &id).extend()?;
        order::find_order_for(&state(ctx)?.db, &viewer(ctx), id)
            .await
            .map(Order)
            .extend()
    }
}

/// Changing orders.
#[derive(Default)]
pub(crate) struct OrderMutation;

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
        let state = state(ctx)?;
        let payments = state.payments.as_ref();
        order::cancel_order(&state.db, &state.counts, payments, &viewer(ctx), id)
            .await
            .map(Order)
            .extend()
    }
}
