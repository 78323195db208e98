//! The cart and checkout: `cart`; `addToCart`, `setCartItemQuantity`, `removeFromCart`, `checkout`.
use async_graphql::{Context, ID, Object, Result, ResultExt};

use super::{state, viewer};
use crate::auth::SignedInGuard;
use crate::schema::{Cart, CheckoutInput, Order};
use crate::services::id::parse_id;
use crate::services::{cart, checkout};

/// Cart queries.
#[derive(Default)]
pub struct CartQuery;

#[Object]
impl CartQuery {
    /// The signed-in user's cart (empty until something is added). Reading it renews nothing.
    #[graphql(guard = "SignedInGuard")]
    async fn cart(&self, ctx: &Context<'_>) -> Result<Cart> {
        let user_id = viewer(ctx).user_id().extend()?;
        cart::cart_of(&state(ctx).db, user_id)
            .await
            .map(Cart)
            .extend()
    }
}

/// Cart and checkout mutations.
#[derive(Default)]
pub struct CartMutation;

#[Object]
impl CartMutation {
    /// Adds `quantity` (1..1000) units of a book to the cart and holds them. Fails with
    /// OUT_OF_STOCK (`extensions.available` says how many are), changing nothing, when fewer units
    /// are available. Touching the cart renews every hold in it.
    #[graphql(guard = "SignedInGuard")]
    async fn add_to_cart(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The book.")] book_id: ID,
        #[graphql(desc = "Units to add, 1..1000.")] quantity: i32,
    ) -> Result<Cart> {
        let user_id = viewer(ctx).user_id().extend()?;
        let book_id = parse_id("bookId", &book_id).extend()?;
        let state = state(ctx);
        let result =
            cart::add_to_cart(&state.db, user_id, book_id, quantity, state.config.hold_ttl).await;
        state.counts.invalidate();
        result.map(Cart).extend()
    }

    /// Sets the line to `quantity` units (0 removes it), holding or releasing the difference.
    #[graphql(guard = "SignedInGuard")]
    async fn set_cart_item_quantity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The book.")] book_id: ID,
        #[graphql(desc = "Units wanted, 0..1000.")] quantity: i32,
    ) -> Result<Cart> {
        let user_id = viewer(ctx).user_id().extend()?;
        let book_id = parse_id("bookId", &book_id).extend()?;
        let state = state(ctx);
        let result =
            cart::set_quantity(&state.db, user_id, book_id, quantity, state.config.hold_ttl).await;
        state.counts.invalidate();
        result.map(Cart).extend()
    }

    /// Removes the book from the cart and releases its hold.
    #[graphql(guard = "SignedInGuard")]
    async fn remove_from_cart(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The book.")] book_id: ID,
    ) -> Result<Cart> {
        let user_id = viewer(ctx).user_id().extend()?;
        let book_id = parse_id("bookId", &book_id).extend()?;
        let state = state(ctx);
        let result =
            cart::remove_from_cart(&state.db, user_id, book_id, state.config.hold_ttl).await;
        state.counts.invalidate();
        result.map(Cart).extend()
    }

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
        let state = state(ctx);
        let result = checkout::checkout(
            &state.db,
            state.payments.as_ref(),
            &state.config.checkout_settings(),
            user_id,
            &input.idempotency_key,
            &input.payment.token,
        )
        .await;
        state.counts.invalidate();
        result.map(Order).extend()
    }
}
