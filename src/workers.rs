//! The periodic jobs every instance runs. Each is safe to run on every instance at once (they
//! claim their work with guarded updates, or repeat harmlessly), so there is no leader to elect and
//! no single point of failure: the hold sweeper, the sale deducter, payment recovery and the chat
//! beacon.

use crate::app::AppState;
use crate::services::{checkout, hold, order, outbox, settlement};

/// Releases lapsed cart holds every `sweep_interval`, until shutdown.
pub fn spawn_hold_sweeper(state: AppState) -> tokio::task::JoinHandle<()> {
    let interval = state.config.sweep_interval;
    spawn_batch_worker(state, interval, "the hold sweeper", |state| async move {
        let released = hold::release_lapsed_holds(&state.db, chrono::Utc::now()).await?;
        if released > 0 {
            tracing::debug!(released, "released lapsed holds");
            metrics::counter!("folio_holds_released_total").increment(released as u64);
            state.counts.invalidate();
        }
        Ok(released)
    })
}

/// Deducts paid orders' sales from the stock rows that held them (`order::deduct_sold_stock`) every
/// `deduct_interval`, until shutdown.
pub fn spawn_sale_deducter(state: AppState) -> tokio::task::JoinHandle<()> {
    let interval = state.config.deduct_interval;
    spawn_batch_worker(state, interval, "the sale deducter", |state| async move {
        let deducted = order::deduct_sold_stock(&state.db).await?;
        metrics::counter!("folio_orders_deducted_total").increment(deducted as u64);
        Ok(deducted)
    })
}

/// Runs `pass` every `interval` until shutdown. A pass returns how much work it did (one batch at
/// most); while passes find work, the next comes after a tenth of the interval, so a backlog drains
/// quickly and an idle instance stays quiet.
fn spawn_batch_worker<F, Fut>(
    state: AppState,
    interval: std::time::Duration,
    name: &'static str,
    pass: F,
) -> tokio::task::JoinHandle<()>
where
    F: Fn(AppState) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = crate::error::Result<usize>> + Send,
{
    tokio::spawn(async move {
        loop {
            let wait = match pass(state.clone()).await {
                Ok(0) => interval,
                Ok(_) => interval / 10,
                Err(err) => {
                    tracing::warn!(worker = name, error = %err, "a background pass failed; retrying");
                    interval
                }
            };
            tokio::select! {
                _ = state.shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    })
}

/// Settles orders whose checkout died between charging and recording, at start and every
/// `recovery_interval`, and forgets idempotency keys and published outbox rows past their time.
pub fn spawn_payment_recovery(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match settlement::settle_stale_payments(
                &state.db,
                state.payments.as_ref(),
                state.config.payment_recovery_after,
                state.config.hold_ttl,
            )
            .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(settled = n, "settled orders left pending by a checkout"),
                Err(err) => tracing::warn!(error = %err, "payment recovery failed; retrying"),
            }
            if let Err(err) =
                checkout::prune_idempotency_keys(&state.db, state.config.idempotency_key_ttl).await
            {
                tracing::warn!(error = %err, "could not prune idempotency keys");
            }
            if let Err(err) = outbox::prune(
                &state.db,
                state.config.outbox_retention,
                crate::relay::BUS_CONSUMER,
            )
            .await
            {
                tracing::warn!(error = %err, "could not prune the outbox");
            }
            tokio::select! {
                _ = state.shutdown.cancelled() => return,
                _ = tokio::time::sleep(state.config.recovery_interval) => {}
            }
        }
    })
}

/// How recently a conversation must have been active for the beacon to mention it.
const BEACON_WINDOW: chrono::Duration = chrono::Duration::minutes(2);

/// Every `chat_beacon_interval`, publishes where each recently active conversation is (its
/// `last_seq`), so that a message whose publish was lost reaches subscribers within one interval.
/// One query per tick, one event per active conversation; every instance sends them (a repeated
/// beacon costs subscribers a comparison).
pub fn spawn_chat_beacon(state: AppState) -> tokio::task::JoinHandle<()> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

    use crate::bus::{Event, topic};
    use crate::entities::conversation;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = state.shutdown.cancelled() => return,
                _ = tokio::time::sleep(state.config.chat_beacon_interval) => {}
            }
            let since = chrono::Utc::now() - BEACON_WINDOW;
            let active: Result<Vec<(i64, i64)>, _> = conversation::Entity::find()
                .select_only()
                .column(conversation::Column::Id)
                .column(conversation::Column::LastSeq)
                .filter(conversation::Column::LastActivityAt.gt(since))
                .into_tuple()
                .all(&state.db)
                .await;
            let active = match active {
                Ok(active) => active,
                Err(err) => {
                    tracing::warn!(error = %err, "the chat beacon could not read conversations");
                    continue;
                }
            };
            for (conversation_id, last_seq) in active {
                let event = Event::ConversationAt {
                    conversation_id,
                    last_seq,
                };
                if let Err(err) = state
                    .bus
                    .publish(&topic::conversation(conversation_id), &event)
                    .await
                {
                    tracing::warn!(error = %err, "the chat beacon could not publish");
                    break;
                }
            }
        }
    })
}
