//! `Cart` and its lines.
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, ResultExt};

use crate::entities::{book, cart_item};
use crate::error::Error;
use crate::loaders::{Loaders, gql_error};
use crate::schema::{Book, Money};
use crate::services::cart::CartView;
use crate::services::stock;

/// The signed-in user's cart. Every unit in it is held for the user until `reservedUntil` of its
/// line; any change to the cart renews every hold.
pub struct Cart(pub CartView);

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
pub enum HoldState {
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
pub struct CartItem(pub cart_item::Model);

/// One book in the cart.
#[Object]
impl CartItem {
    /// The book.
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
        if self.0.held == self.0.quantity && self.0.reserved_until > chrono::Utc::now() {
            return Ok(HoldState::Held);
        }
        let available = self.available(ctx).await?;
        Ok(if available >= i64::from(self.0.quantity) {
            HoldState::Lapsed
        } else {
            HoldState::OutOfStock
        })
    }

    /// Units this line could have right now: the units it holds plus those nobody holds.
    async fn available(&self, ctx: &Context<'_>) -> Result<i64> {
        let rows = ctx
            .data_unchecked::<Loaders>()
            .stock_of_book
            .load_one(self.0.book_id)
            .await
            .map_err(gql_error)?
            .unwrap_or_default();
        Ok(stock::available(&rows) + i64::from(self.0.held))
    }
}

/// A book by id through the request's loader, deleted ones included (carts and orders keep them).
pub(crate) async fn load_book(ctx: &Context<'_>, book_id: i64) -> Result<Book> {
    let found: Option<book::Model> = ctx
        .data_unchecked::<Loaders>()
        .book_by_id
        .load_one(book_id)
        .await
        .map_err(gql_error)?;
    found.map(Book).ok_or(Error::NotFound("book")).extend()
}

/// How the buyer pays.
#[derive(InputObject)]
pub struct PaymentInput {
    /// The payment method as the payment form tokenised it. With the built-in simulated provider:
    /// "tok_visa" succeeds, "tok_declined" is declined, "tok_fail_once" fails transiently once and
    /// succeeds on the retry Folio makes itself.
    pub token: String,
}

/// What `checkout` needs.
#[derive(InputObject)]
pub struct CheckoutInput {
    /// Chosen by the client (a UUID), the same on every retry of one checkout: one order and one
    /// charge per key, however often and concurrently it is sent. Keys are kept at least 24 hours.
    pub idempotency_key: String,
    /// How to pay.
    pub payment: PaymentInput,
}
