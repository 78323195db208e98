//! `cart`; `addToCart`, `setCartItemQuantity`, `removeFromCart`.
use async_graphql::{Context, ID, Object, Result, ResultExt};

use crate::domain::id::parse_id;
use crate::schema::cart::Cart;
use crate::schema::context::{state, viewer};
use crate::schema::guard::SignedInGuard;
use crate::services::commerce::cart;

/// The viewer's cart.
#[derive(Default)]
pub(crate) struct CartQuery;

#[Object]
impl CartQuery {
    /// The signed-in user's cart (empty until something is added). Reading it renews nothing.
    #[graphql(guard = "SignedInGuard")]
    async fn cart(&self, ctx: &Context<'_>) -> Result<Cart> {
        let user_id = viewer(ctx).user_id().extend()?;
        cart::cart_of(&state(ctx)?.db, user_id)
            .await
            .map(Cart)
            .extend()
    }
}

/// Changing the cart.
#[derive(Default)]
pub(crate) struct CartMutation;

#[Object]
impl CartMutation {
    /// Adds `quantity` (1..1000) units of a book to the cart and holds them. Fails with
    /// OUT_OF_STOCK (`extensions.available` says how many are), changing nothing, when fewer units
    /// are available. Touching the cart renews every hold in it.
    #[graphql(guard = "SignedInGuard")]
    async fn add_to_cart(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The book to add.")] book_id: ID,
        #[graphql(desc = "Units to add, 1..1000.")] quantity: i32,
    ) -> Result<Cart> {
        let user_id = viewer(ctx).user_id().extend()?;
        let book_id = parse_id("bookId", &book_id).extend()?;
        let state = state(ctx)?;
        let ttl = state.config.hold_ttl;
        cart::add_to_cart(&state.db, &state.counts, user_id, book_id, quantity, ttl)
            .await
            .map(Cart)
            .extend()
    }

    /// Sets the line to `quantity` units (0 removes it), holding or releasing the difference.
    #[graphql(guard = "SignedInGuard")]
    async fn set_cart_item_quantity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The book whose line changes.")] book_id: ID,
        #[graphql(desc = "Units wanted, 0..1000.")] quantity: i32,
    ) -> Result<Cart> {
        let user_id = viewer(ctx).user_id().extend()?;
        let book_id = parse_id("bookId", &book_id).extend()?;
        let state = state(ctx)?;
        let ttl = state.config.hold_ttl;
        cart::set_quantity(&state.db, &state.counts, user_id, book_id, quantity, ttl)
            .await
            .map(Cart)
            .extend()
    }

    /// Removes the book from the cart and releases its hold.
    #[graphql(guard = "SignedInGuard")]
    async fn remove_from_cart(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The book to remove.")] book_id: ID,
    ) -> Result<Cart> {
        let user_id = viewer(ctx).user_id().extend()?;
        let book_id = parse_id("bookId", &book_id).extend()?;
        let state = state(ctx)?;
        let ttl = state.config.hold_ttl;
        cart::remove_from_cart(&state.db, &state.counts, user_id, book_id, ttl)
            .await
            .map(Cart)
            .extend()
    }
}
