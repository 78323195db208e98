//! `Cart` and its lines.
use async_graphql::{Context, Enum, ID, Object, Result};

use crate::domain::status;
use crate::entities::cart_item;
use crate::loaders::gql_error;
use crate::schema::book::{Book, load_book};
use crate::schema::context::loaders;
use crate::schema::money::Money;
use crate::services::commerce::cart::CartView;
use crate::services::inventory::level;

/// The signed-in user's cart. Every unit in it is held for the user until `reservedUntil` of its
/// line; any change to the cart renews every hold.
pub(crate) struct Cart(pub(crate) CartView);

/// The signed-in user's cart. Every unit in it is held for the user until `reservedUntil` of its
/// line; any change to the cart renews every hold.
#[Object]
impl Cart {
    /// Opaque identifier; a user has one cart.
    async fn id(&self) -> ID {
        ID(format!("cart-{}", self.0.cart.user_id))
    }

    /// The lines, oldest first.
    async fn items(&self) -> Vec<CartItem> {
        self.0.items.iter().cloned().map(CartItem).collect()
    }

    /// The sum of the lines at the cart's prices: what checkout charges.
    async fn subtotal(&self) -> Money {
        let currency = self.0.items.first().map_or("USD", |l| l.currency.as_str());
        let total = self
            .0
            .items
            .iter()
            .map(|l| l.unit_price_minor * i64::from(l.quantity))
            .sum();
        Money::from_minor(total, currency)
    }

    /// Units in the cart, over all lines.
    async fn item_count(&self) -> i64 {
        self.0.items.iter().map(|l| i64::from(l.quantity)).sum()
    }
}

/// Whether a cart line's units are held for the buyer.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::status::HoldState")]
pub(crate) enum HoldState {
    /// Every unit is held until `reservedUntil`.
    Held,
    /// The hold lapsed; the next change to the cart (or checkout) holds the units again, since
    /// enough are available.
    Lapsed,
    /// The hold lapsed and fewer units than the line wants are available now (see `available`):
    /// lower the quantity or remove the line.
    OutOfStock,
}

/// One book in the cart.
pub(crate) struct CartItem(pub(crate) cart_item::Model);

/// One book in the cart.
#[Object]
impl CartItem {
    /// The book this line is for.
    async fn book(&self, ctx: &Context<'_>) -> Result<Book> {
        load_book(ctx, self.0.book_id).await
    }

    /// Units wanted.
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    /// The price per unit, fixed when the book was added: what checkout charges.
    async fn unit_price(&self) -> Money {
        Money::from_minor(self.0.unit_price_minor, &self.0.currency)
    }

    /// `unitPrice` × `quantity`.
    async fn line_total(&self) -> Money {
        Money::from_minor(
            self.0.unit_price_minor * i64::from(self.0.quantity),
            &self.0.currency,
        )
    }

    /// When the hold on this line's units lapses unless the cart is touched or checked out (in the
    /// past once it has lapsed).
    async fn reserved_until(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.reserved_until
    }

    /// Whether the units are held: HELD, LAPSED (held again on the next touch) or OUT_OF_STOCK.
    async fn hold(&self, ctx: &Context<'_>) -> Result<HoldState> {
        let line = &self.0;
        // A line that is held needs no stock read to say so.
        if status::HoldState::is_held(line.quantity, line.held, line.reserved_until) {
            return Ok(HoldState::Held);
        }
        let available = self.available(ctx).await?;
        Ok(status::HoldState::of(line.quantity, line.held, line.reserved_until, available).into())
    }

    /// Units this line could have right now: the units it holds plus those nobody holds.
    async fn available(&self, ctx: &Context<'_>) -> Result<i64> {
        let rows = loaders(ctx)?
            .stock_of_book
            .load_one(self.0.book_id)
            .await
            .map_err(gql_error)?
            .unwrap_or_default();
        Ok(level::available(&rows) + i64::from(self.0.held))
    }
}
