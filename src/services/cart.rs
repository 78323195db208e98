//! Carts and the stock they hold. Every unit in a cart is held in a warehouse with one guarded
//! statement (`held = held + q WHERE on_hand - held >= q`), so however many buyers race, the units
//! held and sold never exceed the units on hand. A hold lasts `hold_ttl` from the cart's last touch;
//! the sweeper (`release_lapsed_holds`) gives lapsed holds back, and the next touch takes them again
//! if the stock is still there.
use std::collections::BTreeSet;
use std::time::Duration;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::db::begin_write;
use crate::entities::{cart, cart_item, hold, stock};
use crate::error::{Error, Result};
use crate::services::catalog;
use crate::services::outbox::{self, Change};

/// Most units of one book a cart may hold.
pub const MAX_QUANTITY: i32 = 1000;

/// A cart and its lines, oldest line first.
#[derive(Clone, Debug)]
pub struct CartView {
    pub cart: cart::Model,
    pub items: Vec<cart_item::Model>,
}

/// The user's cart as it is (reading never renews or takes holds).
pub async fn cart_of(db: &impl ConnectionTrait, user_id: i64) -> Result<CartView> {
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
pub async fn add_to_cart(
    db: &DatabaseConnection,
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
    change_line(db, user_id, book_id, hold_ttl, |current| {
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
pub async fn set_quantity(
    db: &DatabaseConnection,
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
    change_line(db, user_id, book_id, hold_ttl, |_| Ok(quantity)).await
}

/// Removes the book from the cart and releases what its line held.
pub async fn remove_from_cart(
    db: &DatabaseConnection,
    user_id: i64,
    book_id: i64,
    hold_ttl: Duration,
) -> Result<CartView> {
    change_line(db, user_id, book_id, hold_ttl, |_| Ok(0)).await
}

/// The one way a line changes: in one transaction, set the line to what `target` says given its
/// current quantity, hold or release the difference, and touch the rest of the cart.
async fn change_line(
    db: &DatabaseConnection,
    user_id: i64,
    book_id: i64,
    hold_ttl: Duration,
    target: impl FnOnce(i32) -> Result<i32>,
) -> Result<CartView> {
    let txn = begin_write(db).await?;
    let now = chrono::Utc::now();
    let until = now + hold_ttl;
    let cart = ensure_cart(&txn, user_id, now).await?;
    let line = cart_item::Entity::find_by_id((cart.id, book_id))
        .one(&txn)
        .await?;
    let current = line.as_ref().map_or(0, |l| l.quantity);
    let wanted = target(current)?;
    let mut changed_books = BTreeSet::new();
    match line {
        None if wanted == 0 => {}
        None => {
            let book = catalog::find_book(&txn, book_id).await?;
            hold_units(&txn, cart.id, book_id, wanted).await?;
            cart_item::ActiveModel {
                cart_id: Set(cart.id),
                book_id: Set(book_id),
                quantity: Set(wanted),
                held: Set(wanted),
                unit_price_minor: Set(book.price_minor),
                currency: Set(book.currency),
                reserved_until: Set(until),
                added_at: Set(now),
            }
            .insert(&txn)
            .await?;
            changed_books.insert(book_id);
        }
        Some(line) if wanted == 0 => {
            if line.held > 0 {
                release_line(&txn, cart.id, book_id).await?;
                changed_books.insert(book_id);
            }
            cart_item::Entity::delete_by_id((cart.id, book_id))
                .exec(&txn)
                .await?;
        }
        Some(line) => {
            // A lapsed line (held 0) is held whole again; a held one by the difference.
            if wanted > line.held {
                hold_units(&txn, cart.id, book_id, wanted - line.held).await?;
            } else if wanted < line.held {
                release_units(&txn, cart.id, book_id, line.held - wanted).await?;
            }
            if wanted != line.held {
                changed_books.insert(book_id);
            }
            let mut active: cart_item::ActiveModel = line.into();
            active.quantity = Set(wanted);
            active.held = Set(wanted);
            active.reserved_until = Set(until);
            active.update(&txn).await?;
        }
    }
    changed_books.extend(touch(&txn, cart.id, Some(book_id), until).await?);
    record_stock_changes(&txn, &changed_books).await?;
    txn.commit().await?;
    Ok(CartView {
        items: lines_of(db, cart.id).await?,
        cart,
    })
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

/// Touching a cart renews every hold in it until `until`, and takes again the holds of lines that
/// lapsed, when the stock is still there (a line that cannot be held whole stays lapsed and shows
/// OUT_OF_STOCK). Returns the books whose available stock changed. `except` is the line the caller
/// has just set.
pub(crate) async fn touch(
    txn: &impl ConnectionTrait,
    cart_id: i64,
    except: Option<i64>,
    until: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<i64>> {
    let mut renew = cart_item::Entity::update_many()
        .col_expr(cart_item::Column::ReservedUntil, Expr::val(until))
        .filter(cart_item::Column::CartId.eq(cart_id))
        .filter(cart_item::Column::Held.gt(0));
    if let Some(book_id) = except {
        renew = renew.filter(cart_item::Column::BookId.ne(book_id));
    }
    renew.exec(txn).await?;
    let mut lapsed = cart_item::Entity::find()
        .filter(cart_item::Column::CartId.eq(cart_id))
        .filter(Expr::col(cart_item::Column::Held).lt(Expr::col(cart_item::Column::Quantity)));
    if let Some(book_id) = except {
        lapsed = lapsed.filter(cart_item::Column::BookId.ne(book_id));
    }
    let mut rehold = Vec::new();
    for line in lapsed.all(txn).await? {
        match hold_units(txn, cart_id, line.book_id, line.quantity - line.held).await {
            Ok(()) => {
                cart_item::Entity::update_many()
                    .col_expr(cart_item::Column::Held, Expr::val(line.quantity))
                    .col_expr(cart_item::Column::ReservedUntil, Expr::val(until))
                    .filter(cart_item::Column::CartId.eq(cart_id))
                    .filter(cart_item::Column::BookId.eq(line.book_id))
                    .exec(txn)
                    .await?;
                rehold.push(line.book_id);
            }
            Err(Error::OutOfStock { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(rehold)
}

/// How many more attempts a hold makes when a warehouse's stock changed between reading it and
/// holding from it; the guarded update makes a lost race safe, this only makes it rarer to fail.
const HOLD_ATTEMPTS: usize = 3;

/// Holds `quantity` units of a book for the cart. Warehouses are drawn from most available first
/// (ties by id), so one line spans as few warehouses as possible; each draw is one guarded update.
/// When the whole quantity cannot be held nothing is, and the error says how much is available.
pub(crate) async fn hold_units(
    txn: &impl ConnectionTrait,
    cart_id: i64,
    book_id: i64,
    quantity: i32,
) -> Result<()> {
    for _ in 0..HOLD_ATTEMPTS {
        let rows = stock::Entity::find()
            .filter(stock::Column::BookId.eq(book_id))
            .all(txn)
            .await?;
        let available: i64 = rows.iter().map(|r| i64::from(r.available())).sum();
        if available < i64::from(quantity) {
            return Err(Error::OutOfStock { available });
        }
        let plan = plan_draws(&rows, quantity);
        let mut taken: Vec<(i64, i32)> = Vec::new();
        let mut lost_race = false;
        for &(warehouse_id, units) in &plan {
            let held = stock::Entity::update_many()
                .col_expr(
                    stock::Column::Held,
                    Expr::col(stock::Column::Held).add(units),
                )
                .filter(stock::Column::BookId.eq(book_id))
                .filter(stock::Column::WarehouseId.eq(warehouse_id))
                .filter(
                    Expr::col(stock::Column::OnHand)
                        .sub(Expr::col(stock::Column::Held))
                        .gte(units),
                )
                .exec(txn)
                .await?;
            if held.rows_affected == 0 {
                lost_race = true;
                break;
            }
            taken.push((warehouse_id, units));
        }
        if lost_race {
            for (warehouse_id, units) in taken {
                adjust_held(txn, book_id, warehouse_id, -units).await?;
            }
            continue;
        }
        for (warehouse_id, units) in taken {
            add_hold(txn, cart_id, book_id, warehouse_id, units).await?;
        }
        return Ok(());
    }
    let available =
        crate::services::stock::available(&crate::services::stock::stock_of(txn, book_id).await?);
    Err(Error::OutOfStock { available })
}

/// Which warehouses to hold `quantity` from: most available first, ties by warehouse id.
fn plan_draws(rows: &[stock::Model], quantity: i32) -> Vec<(i64, i32)> {
    let mut order: Vec<&stock::Model> = rows.iter().filter(|r| r.available() > 0).collect();
    order.sort_by_key(|r| (std::cmp::Reverse(r.available()), r.warehouse_id));
    let mut left = quantity;
    let mut plan = Vec::new();
    for row in order {
        if left == 0 {
            break;
        }
        let units = Ord::min(left, row.available());
        plan.push((row.warehouse_id, units));
        left -= units;
    }
    plan
}

/// `held += delta` on one stock row (delta may be negative; the check constraint keeps it in range).
pub(crate) async fn adjust_held(
    txn: &impl ConnectionTrait,
    book_id: i64,
    warehouse_id: i64,
    delta: i32,
) -> Result<()> {
    stock::Entity::update_many()
        .col_expr(
            stock::Column::Held,
            Expr::col(stock::Column::Held).add(delta),
        )
        .filter(stock::Column::BookId.eq(book_id))
        .filter(stock::Column::WarehouseId.eq(warehouse_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Adds units to the cart's hold on one warehouse, creating the hold if new.
pub(crate) async fn add_hold(
    txn: &impl ConnectionTrait,
    cart_id: i64,
    book_id: i64,
    warehouse_id: i64,
    units: i32,
) -> Result<()> {
    hold::Entity::insert(hold::ActiveModel {
        cart_id: Set(cart_id),
        book_id: Set(book_id),
        warehouse_id: Set(warehouse_id),
        quantity: Set(units),
    })
    .on_conflict(
        OnConflict::columns([
            hold::Column::CartId,
            hold::Column::BookId,
            hold::Column::WarehouseId,
        ])
        .value(
            hold::Column::Quantity,
            Expr::col((hold::Entity, hold::Column::Quantity))
                .add(Expr::col((Alias::new("excluded"), hold::Column::Quantity))),
        )
        .to_owned(),
    )
    .exec(txn)
    .await?;
    Ok(())
}

/// Releases `quantity` of a line's held units, from its smallest holds first (so the line ends up
/// in as few warehouses as possible).
async fn release_units(
    txn: &impl ConnectionTrait,
    cart_id: i64,
    book_id: i64,
    quantity: i32,
) -> Result<()> {
    let holds = hold::Entity::find()
        .filter(hold::Column::CartId.eq(cart_id))
        .filter(hold::Column::BookId.eq(book_id))
        .order_by_asc(hold::Column::Quantity)
        .order_by_asc(hold::Column::WarehouseId)
        .all(txn)
        .await?;
    let mut left = quantity;
    for h in holds {
        if left == 0 {
            break;
        }
        let units = Ord::min(left, h.quantity);
        adjust_held(txn, book_id, h.warehouse_id, -units).await?;
        if units == h.quantity {
            hold::Entity::delete_by_id((cart_id, book_id, h.warehouse_id))
                .exec(txn)
                .await?;
        } else {
            let remaining = h.quantity - units;
            let mut active: hold::ActiveModel = h.into();
            active.quantity = Set(remaining);
            active.update(txn).await?;
        }
        left -= units;
    }
    Ok(())
}

/// Releases every unit a line holds.
async fn release_line(txn: &impl ConnectionTrait, cart_id: i64, book_id: i64) -> Result<()> {
    let holds = hold::Entity::find()
        .filter(hold::Column::CartId.eq(cart_id))
        .filter(hold::Column::BookId.eq(book_id))
        .all(txn)
        .await?;
    for h in &holds {
        adjust_held(txn, book_id, h.warehouse_id, -h.quantity).await?;
    }
    hold::Entity::delete_many()
        .filter(hold::Column::CartId.eq(cart_id))
        .filter(hold::Column::BookId.eq(book_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Records, for subscribers, the available stock of each book after a change.
pub(crate) async fn record_stock_changes(
    txn: &impl ConnectionTrait,
    books: &BTreeSet<i64>,
) -> Result<()> {
    for &book_id in books {
        let available = crate::services::stock::available(
            &crate::services::stock::stock_of(txn, book_id).await?,
        );
        outbox::record(txn, &Change::StockChanged { book_id, available }).await?;
    }
    Ok(())
}

/// Lines the sweeper looks at per batch.
const SWEEP_BATCH: u64 = 200;

/// Gives back the stock of cart lines whose hold lapsed before `now`, up to one batch; returns how
/// many lines it released. Safe on every instance at once: each line is claimed by a guarded update
/// (`held > 0 AND reserved_until <= now`) in the transaction that releases it, so one sweeper wins
/// a line and the others see it already released (or renewed by a touch meanwhile) and skip it.
pub async fn release_lapsed_holds(
    db: &DatabaseConnection,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize> {
    let lapsed: Vec<(i64, i64)> = cart_item::Entity::find()
        .select_only()
        .column(cart_item::Column::CartId)
        .column(cart_item::Column::BookId)
        .filter(cart_item::Column::Held.gt(0))
        .filter(cart_item::Column::ReservedUntil.lte(now))
        .order_by_asc(cart_item::Column::ReservedUntil)
        .limit(SWEEP_BATCH)
        .into_tuple()
        .all(db)
        .await?;
    let mut released = 0;
    for (cart_id, book_id) in lapsed {
        let txn = begin_write(db).await?;
        cart::Entity::find_by_id(cart_id)
            .lock_exclusive()
            .one(&txn)
            .await?;
        let claimed = cart_item::Entity::update_many()
            .col_expr(cart_item::Column::Held, Expr::val(0))
            .filter(cart_item::Column::CartId.eq(cart_id))
            .filter(cart_item::Column::BookId.eq(book_id))
            .filter(cart_item::Column::Held.gt(0))
            .filter(cart_item::Column::ReservedUntil.lte(now))
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 1 {
            release_line(&txn, cart_id, book_id).await?;
            record_stock_changes(&txn, &BTreeSet::from([book_id])).await?;
            released += 1;
        }
        txn.commit().await?;
    }
    Ok(released)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(warehouse_id: i64, on_hand: i32, held: i32) -> stock::Model {
        stock::Model {
            book_id: 1,
            warehouse_id,
            on_hand,
            held,
        }
    }

    #[test]
    fn holds_draw_from_the_warehouse_with_most_available_first() {
        let rows = [row(1, 5, 0), row(2, 9, 1), row(3, 2, 0)];
        assert_eq!(plan_draws(&rows, 3), vec![(2, 3)]);
    }

    #[test]
    fn a_line_spans_warehouses_when_one_is_not_enough() {
        let rows = [row(1, 5, 0), row(2, 9, 1), row(3, 2, 0)];
        assert_eq!(plan_draws(&rows, 14), vec![(2, 8), (1, 5), (3, 1)]);
    }

    #[test]
    fn ties_go_to_the_older_warehouse_and_empty_ones_are_skipped() {
        let rows = [row(2, 4, 0), row(1, 4, 0), row(3, 4, 4)];
        assert_eq!(plan_draws(&rows, 5), vec![(1, 4), (2, 1)]);
    }
}
