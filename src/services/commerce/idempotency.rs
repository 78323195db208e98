//! Idempotency keys: a checkout records its key with a fingerprint of the request, so a repeat with
//! the same key finds the order it stands for (or is told the key meant another request), and keys
//! are forgotten once no client would still retry with them.
use std::time::Duration;

use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::entities::{cart, cart_item, idempotency_key};
use crate::error::{Error, Result};

/// The user's key, if a checkout recorded it (and it is not pruned yet).
pub(crate) async fn find_key(
    db: &impl ConnectionTrait,
    user_id: i64,
    key: &str,
) -> Result<Option<idempotency_key::Model>> {
    Ok(
        idempotency_key::Entity::find_by_id((user_id, key.to_owned()))
            .one(db)
            .await?,
    )
}

/// The request a key stands for: the cart's lines and the payment token, written canonically.
pub(crate) fn fingerprint(lines: &[cart_item::Model], token: &str) -> String {
    let mut parts: Vec<String> = lines
        .iter()
        .map(|l| {
            format!(
                "{}x{}@{}{}",
                l.book_id, l.quantity, l.unit_price_minor, l.currency
            )
        })
        .collect();
    parts.sort();
    format!("{}|{token}", parts.join(","))
}

/// The order a checkout repeated with a key already used stands for. The first call emptied the
/// cart, so an empty cart is a plain retry (only the token must match); a cart with lines must be
/// the same cart, or the key meant another request: IDEMPOTENCY_CONFLICT.
pub(crate) async fn order_of_repeat(
    db: &DatabaseConnection,
    user_id: i64,
    key: &str,
    token: &str,
) -> Result<i64> {
    let existing = find_key(db, user_id, key).await?.ok_or_else(|| {
        Error::internal(anyhow::anyhow!("idempotency key conflicted but is missing"))
    })?;
    let lines = match cart::Entity::find()
        .filter(cart::Column::UserId.eq(user_id))
        .one(db)
        .await?
    {
        Some(cart) => {
            cart_item::Entity::find()
                .filter(cart_item::Column::CartId.eq(cart.id))
                .all(db)
                .await?
        }
        None => Vec::new(),
    };
    let same = if lines.is_empty() {
        existing.request.rsplit_once('|').map(|(_, t)| t) == Some(token)
    } else {
        existing.request == fingerprint(&lines, token)
    };
    if !same {
        return Err(Error::IdempotencyConflict);
    }
    existing
        .order_id
        .ok_or_else(|| Error::internal(anyhow::anyhow!("idempotency key without an order")))
}

/// Forgets idempotency keys older than `older_than` (kept at least 24 hours).
pub(crate) async fn prune_idempotency_keys(
    db: &DatabaseConnection,
    older_than: Duration,
) -> Result<u64> {
    let cutoff = chrono::Utc::now() - older_than;
    Ok(idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(book_id: i64, quantity: i32) -> cart_item::Model {
        cart_item::Model {
            cart_id: 1,
            book_id,
            quantity,
            held: quantity,
            unit_price_minor: 1299,
            currency: "USD".into(),
            reserved_until: chrono::Utc::now(),
            added_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn the_same_cart_in_any_order_is_the_same_request() {
        let a = fingerprint(&[line(1, 2), line(2, 1)], "tok_visa");
        let b = fingerprint(&[line(2, 1), line(1, 2)], "tok_visa");
        assert_eq!(a, b);
    }

    #[test]
    fn another_quantity_or_token_is_another_request() {
        let a = fingerprint(&[line(1, 2)], "tok_visa");
        assert_ne!(a, fingerprint(&[line(1, 3)], "tok_visa"));
        assert_ne!(a, fingerprint(&[line(1, 2)], "tok_declined"));
    }
}
