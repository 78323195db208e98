//! Carts: one per user, a line per book at the price it was added at. Every unit in a cart is held
//! (`services::inventory::hold`) for `hold_ttl` from the cart's last touch; the sweeper gives lapsed holds back,
//! and the next touch takes them again if the stock is still there.
use std::collections::BTreeSet;
use std::time::Duration;

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::count_cache::CountCache;
use crate::db::begin_write_unflushed;
use crate::entities::{book, cart, cart_item};
use crate::error::{Error, Result};
use crate::services::inventory::hold::{hold_units, record_stock_changes, release_units};

/// Most units of one book a cart may hold.
pub(crate) const MAX_QUANTITY: i32 = 1000;

/// A cart and its lines, oldest line first.
#[derive(Clone, Debug)]
pub(crate) struct CartView {
    pub(crate) cart: cart::Model,
    pub(crate) items: Vec<cart_item::Model>,
}

/// The user's cart as it is (reading never renews or takes holds).
pub(crate) async fn cart_of(db: &impl ConnectionTrait, user_id: i64) -> Result<CartView> {
    let cart = match cart::Entity::find()
        .filter(cart::Column::UserId.eq(user_id))
        .one(db)
        .await?
    {
        Some(cart) => cart,
        // Not stored until something is added: an empty cart is the same to the user.
        None => cart::Model {
            id: 0,
            user_id,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        },
    };
    let items = lines_of(db, cart.id).await?;
    Ok(CartView { cart, items })
}

async fn lines_of(db: &impl ConnectionTrait, cart_id: i64) -> Result<Vec<cart_item::Model>> {
    Ok(cart_item::Entity::find()
        .filter(cart_item::Column::CartId.eq(cart_id))
        .order_by_asc(cart_item::Column::AddedAt)
        .order_by_asc(cart_item::Column::BookId)
        .all(db)
        .await?)
}

/// Adds `quantity` units of a book to the cart and holds them. OUT_OF_STOCK (changing nothing) when
/// fewer are available.
pub(crate) async fn add_to_cart(
    db: &DatabaseConnection,
    counts: &CountCache,
    user_id: i64,
    book_id: i64,
    quantity: i32,
    hold_ttl: Duration,
) -> Result<CartView> {
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(Error::bad_input(
            "quantity",
            format!("must be between 1 and {MAX_QUANTITY}"),
        ));
    }
    change_line(db, counts, user_id, book_id, hold_ttl, |current| {
        let total = current + quantity;
        if total > MAX_QUANTITY {
            return Err(Error::bad_input(
                "quantity",
                format!("a cart holds at most {MAX_QUANTITY} of one book"),
            ));
        }
        Ok(total)
    })
    .await
}

/// Sets the line to `quantity` units (0 removes it), holding or releasing the difference.
pub(crate) async fn set_quantity(
    db: &DatabaseConnection,
    counts: &CountCache,
    user_id: i64,
    book_id: i64,
    quantity: i32,
    hold_ttl: Duration,
) -> Result<CartView> {
    if !(0..=MAX_QUANTITY).contains(&quantity) {
        return Err(Error::bad_input(
            "quantity",
            format!("must be between 0 and {MAX_QUANTITY}"),
        ));
    }
    change_line(db, counts, user_id, book_id, hold_ttl, |_| Ok(quantity)).await
}

/// Removes the book from the cart and releases what its line held.
pub(crate) async fn remove_from_cart(
    db: &DatabaseConnection,
    counts: &CountCache,
    user_id: i64,
    book_id: i64,
    hold_ttl: Duration,
) -> Result<CartView> {
    change_line(db, counts, user_id, book_id, hold_ttl, |_| Ok(0)).await
}

/// The one way a line changes: in one transaction, touch the cart (renew its holds, and take again
/// those that lapsed if the stock is there), set the line to what `target` says given its current
/// quantity, and hold or release the difference.
async fn change_line(
    db: &DatabaseConnection,
    counts: &CountCache,
    user_id: i64,
    book_id: i64,
    hold_ttl: Duration,
    target: impl FnOnce(i32) -> Result<i32>,
) -> Result<CartView> {
    let txn = begin_write_unflushed(db).await?;
    let now = chrono::Utc::now();
    let until = now + hold_ttl;
    let cart = ensure_cart(&txn, user_id, now).await?;
    let mut others = renew_holds(&txn, cart.id, until).await?;
    let line = others
        .iter()
        .position(|l| l.book_id == book_id)
        .map(|at| others.remove(at));
    let current = line.as_ref().map_or(0, |l| l.quantity);
    let wanted = target(current)?;
    let held_before = line.as_ref().map_or(0, |l| l.held);
    let changed_line = match line {
        None if wanted == 0 => None,
        None => Some(insert_line(&txn, cart.id, book_id, wanted, now, until).await?),
        Some(_) if wanted == 0 => {
            cart_item::Entity::delete_by_id((cart.id, book_id))
                .exec(&txn)
                .await?;
            None
        }
        Some(line) => {
            // A lapsed line is held whole again below, a held one by the difference.
            let mut active: cart_item::ActiveModel = line.into();
            active.quantity = Set(wanted);
            active.held = Set(wanted);
            active.reserved_until = Set(until);
            Some(active.update(&txn).await?)
        }
    };
    let reheld = hold_lapsed_lines(&txn, cart.id, &mut others, until).await?;
    let mut changed_books: BTreeSet<i64> = reheld.into_iter().collect();
    if wanted != held_before {
        changed_books.insert(book_id);
    }
    record_stock_changes(&txn, &changed_books).await?;
    // Last, so that the book's stock row stays locked only until the commit right after.
    if wanted > held_before {
        hold_units(&txn, cart.id, book_id, wanted - held_before).await?;
    } else if wanted < held_before {
        release_units(&txn, cart.id, book_id, held_before - wanted).await?;
    }
    txn.commit().await?;
    // Available stock moved: counts under `inStock` may have changed.
    counts.invalidate();
    let mut items = others;
    items.extend(changed_line);
    items.sort_by_key(|l| (l.added_at, l.book_id));
    Ok(CartView { cart, items })
}

/// A new line at the book's current price, held whole, in one statement that also finds the book
/// (NOT_FOUND if there is none, or it was deleted).
async fn insert_line(
    txn: &impl ConnectionTrait,
    cart_id: i64,
    book_id: i64,
    quantity: i32,
    now: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
) -> Result<cart_item::Model> {
    use cart_item::Column as C;
    let insert = Query::insert()
        .into_table(cart_item::Entity)
        .columns([
            C::CartId,
            C::BookId,
            C::Quantity,
            C::Held,
            C::UnitPriceMinor,
            C::Currency,
            C::ReservedUntil,
            C::AddedAt,
        ])
        .select_from(
            Query::select()
                .expr(Expr::val(cart_id))
                .column(book::Column::Id)
                .expr(Expr::val(quantity))
                .expr(Expr::val(quantity))
                .column(book::Column::PriceMinor)
                .column(book::Column::Currency)
                .expr(Expr::val(until))
                .expr(Expr::val(now))
                .from(book::Entity)
                .and_where(book::Column::Id.eq(book_id))
                .and_where(book::Column::DeletedAt.is_null())
                .to_owned(),
        )
        .map_err(Error::internal)?
        .returning_all()
        .to_owned();
    let row = txn
        .query_one(&insert)
        .await?
        .ok_or(Error::NotFound("book"))?;
    Ok(cart_item::Model::from_query_result(&row, "")?)
}

/// The user's cart row, locked for the rest of the transaction (`FOR UPDATE` on PostgreSQL; SQLite's
/// `BEGIN IMMEDIATE` already excludes other writers). Every change to a cart's lines and holds
/// takes this lock first, so two requests of one user, a checkout and the sweeper never interleave
/// on one cart.
pub(crate) async fn lock_cart(
    txn: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Option<cart::Model>> {
    Ok(cart::Entity::find()
        .filter(cart::Column::UserId.eq(user_id))
        .lock_exclusive()
        .one(txn)
        .await?)
}

/// The user's cart row, locked, created on first use.
async fn ensure_cart(
    txn: &impl ConnectionTrait,
    user_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<cart::Model> {
    if let Some(cart) = lock_cart(txn, user_id).await? {
        return Ok(cart);
    }
    cart::Entity::insert(cart::ActiveModel {
        user_id: Set(user_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([cart::Column::UserId])
    .exec_without_returning(txn)
    .await?;
    lock_cart(txn, user_id)
        .await?
        .ok_or_else(|| Error::internal(anyhow::anyhow!("cart vanished after insert")))
}

/// Renews every held line of the cart until `until` and returns all its lines, in one statement.
/// A lapsed line keeps the time it lapsed at until it is held again.
async fn renew_holds(
    txn: &impl ConnectionTrait,
    cart_id: i64,
    until: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<cart_item::Model>> {
    let renewed = Expr::case(Expr::col(cart_item::Column::Held).gt(0), Expr::val(until))
        .finally(Expr::col(cart_item::Column::ReservedUntil));
    Ok(cart_item::Entity::update_many()
        .col_expr(cart_item::Column::ReservedUntil, renewed.into())
        .filter(cart_item::Column::CartId.eq(cart_id))
        .exec_with_returning(txn)
        .await?)
}

/// Takes again the holds of `lines` that lapsed, when the stock is still there (a line that cannot
/// be held whole stays lapsed and shows OUT_OF_STOCK); returns the books held again, whose available
/// stock changed.
async fn hold_lapsed_lines(
    txn: &impl ConnectionTrait,
    cart_id: i64,
    lines: &mut [cart_item::Model],
    until: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<i64>> {
    let mut reheld = Vec::new();
    for line in lines.iter_mut().filter(|l| l.held < l.quantity) {
        match hold_units(txn, cart_id, line.book_id, line.quantity - line.held).await {
            Ok(()) => {
                cart_item::Entity::update_many()
                    .col_expr(cart_item::Column::Held, Expr::val(line.quantity))
                    .col_expr(cart_item::Column::ReservedUntil, Expr::val(until))
                    .filter(cart_item::Column::CartId.eq(cart_id))
                    .filter(cart_item::Column::BookId.eq(line.book_id))
                    .exec(txn)
                    .await?;
                line.held = line.quantity;
                line.reserved_until = until;
                reheld.push(line.book_id);
            }
            Err(Error::OutOfStock { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(reheld)
}
