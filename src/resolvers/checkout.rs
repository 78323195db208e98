//! `checkout`.
use async_graphql::{Context, Object, Result, ResultExt};

use crate::schema::checkout::CheckoutInput;
use crate::schema::context::{state, viewer};
use crate::schema::guard::SignedInGuard;
use crate::schema::order::Order;
use crate::services::commerce::checkout::{self, CheckoutSettings};

/// Checking out.
#[derive(Default)]
pub(crate) struct CheckoutMutation;

#[Object]
impl CheckoutMutation {
    /// Turns the cart into an order at the cart's prices and charges it. Repeating the call with
    /// the same `idempotencyKey` and the same cart returns the same order and never charges twice,
    /// however often and concurrently; the same key with another cart or payment token fails with
    /// IDEMPOTENCY_CONFLICT. A declined payment fails with PAYMENT_DECLINED and leaves the cart and
    /// its holds as they were; a line whose hold lapsed and cannot be held again fails the checkout
    /// with OUT_OF_STOCK, changing nothing. CONFLICT when the cart is empty.
    #[graphql(guard = "SignedInGuard")]
    async fn checkout(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The idempotency key and the payment.")] input: CheckoutInput,
    ) -> Result<Order> {
        let user_id = viewer(ctx).user_id().extend()?;
        let state = state(ctx)?;
        checkout::checkout(
            &state.db,
            &state.counts,
            state.payments.as_ref(),
            &CheckoutSettings::from(state.config.as_ref()),
            user_id,
            &input.idempotency_key,
            &input.payment.token,
        )
        .await
        .map(Order)
        .extend()
    }
}
