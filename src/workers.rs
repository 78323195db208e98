//! The periodic jobs every instance runs. Each is safe to run on every instance at once (they
//! claim their work with guarded updates), so there is no leader to elect and no single point of
//! failure: the hold sweeper and payment recovery.

use crate::app::AppState;
use crate::services::{checkout, hold};

/// Releases lapsed cart holds every `sweep_interval`, until shutdown.
pub fn spawn_hold_sweeper(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            // While holds keep lapsing, look again soon; when none did, wait the full interval.
            let wait = match hold::release_lapsed_holds(&state.db, chrono::Utc::now()).await {
                Ok(n) if n > 0 => {
                    tracing::debug!(released = n, "released lapsed holds");
                    metrics::counter!("folio_holds_released_total").increment(n as u64);
                    state.counts.invalidate();
                    state.config.sweep_interval / 10
                }
                Ok(_) => state.config.sweep_interval,
                Err(err) => {
                    tracing::warn!(error = %err, "the hold sweeper failed; retrying");
                    state.config.sweep_interval
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
/// `recovery_interval`, and forgets idempotency keys past their time.
pub fn spawn_payment_recovery(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match checkout::settle_stale_payments(
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
            tokio::select! {
                _ = state.shutdown.cancelled() => return,
                _ = tokio::time::sleep(state.config.recovery_interval) => {}
            }
        }
    })
}
