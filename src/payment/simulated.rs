//! The simulated payment provider: no money moves, but it keeps a ledger like a real provider's, in
//! the `simulated_charges` table so that every instance sharing the database sees one provider.
//! Tokens: `tok_visa` is charged; `tok_declined` is declined; `tok_fail_once` fails transiently on
//! the first attempt with a key and is charged on the next. Anything else is declined, as a card
//! a real provider cannot read would be.
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};

use super::{Charge, ChargeRequest, PaymentError, PaymentProvider};
use crate::entities::simulated_charge::{self, ChargeStatus};

/// The built-in provider (see the module docs).
#[derive(Clone)]
pub struct SimulatedProvider {
    db: DatabaseConnection,
}

impl SimulatedProvider {
    pub fn new(db: DatabaseConnection) -> Self {
        SimulatedProvider { db }
    }

    /// Every ledger entry, oldest first: what tests read to count charges.
    pub async fn ledger(&self) -> Result<Vec<simulated_charge::Model>, sea_orm::DbErr> {
        simulated_charge::Entity::find()
            .order_by_asc(simulated_charge::Column::CreatedAt)
            .all(&self.db)
            .await
    }

    /// How many charges were made (refunded ones included: they were charges).
    pub async fn charge_count(&self) -> Result<usize, sea_orm::DbErr> {
        Ok(self
            .ledger()
            .await?
            .iter()
            .filter(|e| matches!(e.status, ChargeStatus::Charged | ChargeStatus::Refunded))
            .count())
    }

    async fn entry(&self, key: &str) -> Result<Option<simulated_charge::Model>, PaymentError> {
        simulated_charge::Entity::find_by_id(key.to_owned())
            .one(&self.db)
            .await
            .map_err(transient)
    }
}

fn transient(err: sea_orm::DbErr) -> PaymentError {
    PaymentError::Transient(err.to_string())
}

fn charge_of(entry: &simulated_charge::Model) -> Option<Charge> {
    matches!(entry.status, ChargeStatus::Charged | ChargeStatus::Refunded).then(|| Charge {
        reference: entry.reference.clone(),
        refunded: entry.status == ChargeStatus::Refunded,
    })
}

#[async_trait]
impl PaymentProvider for SimulatedProvider {
    async fn charge(&self, request: &ChargeRequest) -> Result<Charge, PaymentError> {
        let now = chrono::Utc::now();
        // The first attempt with a key creates its entry; concurrent first attempts race on the
        // primary key and all but one find the winner's entry, as with any real provider.
        let first = match request.token.as_str() {
            "tok_visa" => ChargeStatus::Charged,
            "tok_fail_once" => ChargeStatus::FailedOnce,
            _ => ChargeStatus::Declined,
        };
        let reference = format!("sim_{}", random_reference());
        let inserted = simulated_charge::Entity::insert(simulated_charge::ActiveModel {
            idempotency_key: Set(request.idempotency_key.clone()),
            token: Set(request.token.clone()),
            amount_minor: Set(request.amount_minor),
            currency: Set(request.currency.clone()),
            status: Set(first),
            reference: Set(reference.clone()),
            attempts: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .on_conflict_do_nothing_on([simulated_charge::Column::IdempotencyKey])
        .exec_without_returning(&self.db)
        .await
        .map_err(transient)?;
        if matches!(inserted, sea_orm::TryInsertResult::Inserted(1)) {
            return match first {
                ChargeStatus::Charged => Ok(Charge {
                    reference,
                    refunded: false,
                }),
                ChargeStatus::FailedOnce => Err(PaymentError::Transient(
                    "the simulated provider failed once, as tok_fail_once asks".into(),
                )),
                _ => Err(PaymentError::Declined),
            };
        }
        // A repeat: whatever the key got the first time, except that a transient failure turns
        // into a charge on the retry (guarded, so concurrent retries charge once).
        simulated_charge::Entity::update_many()
            .col_expr(
                simulated_charge::Column::Status,
                Expr::val(ChargeStatus::Charged),
            )
            .col_expr(simulated_charge::Column::UpdatedAt, Expr::val(now))
            .filter(simulated_charge::Column::IdempotencyKey.eq(&request.idempotency_key))
            .filter(simulated_charge::Column::Status.eq(ChargeStatus::FailedOnce))
            .exec(&self.db)
            .await
            .map_err(transient)?;
        simulated_charge::Entity::update_many()
            .col_expr(
                simulated_charge::Column::Attempts,
                Expr::col(simulated_charge::Column::Attempts).add(1),
            )
            .filter(simulated_charge::Column::IdempotencyKey.eq(&request.idempotency_key))
            .exec(&self.db)
            .await
            .map_err(transient)?;
        let entry = self
            .entry(&request.idempotency_key)
            .await?
            .ok_or_else(|| PaymentError::Transient("ledger entry vanished".into()))?;
        charge_of(&entry).ok_or(PaymentError::Declined)
    }

    async fn find_charge(&self, idempotency_key: &str) -> Result<Option<Charge>, PaymentError> {
        Ok(self
            .entry(idempotency_key)
            .await?
            .as_ref()
            .and_then(charge_of))
    }

    async fn refund(&self, idempotency_key: &str) -> Result<(), PaymentError> {
        simulated_charge::Entity::update_many()
            .col_expr(
                simulated_charge::Column::Status,
                Expr::val(ChargeStatus::Refunded),
            )
            .col_expr(
                simulated_charge::Column::UpdatedAt,
                Expr::val(chrono::Utc::now()),
            )
            .filter(simulated_charge::Column::IdempotencyKey.eq(idempotency_key))
            .filter(simulated_charge::Column::Status.eq(ChargeStatus::Charged))
            .exec(&self.db)
            .await
            .map_err(transient)?;
        Ok(())
    }
}

/// A random reference, like the ones real providers hand out.
fn random_reference() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.random_range(0..36)]))
        .collect()
}
