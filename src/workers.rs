//! The background work every instance runs, each given only the handles it uses. Each is safe to run
//! on every instance at once (they claim their work with guarded updates, take turns through a
//! locked cursor, or repeat harmlessly), so there is no leader to elect and no single point of
//! failure: the hold sweeper, the sale deducter, payment recovery and pruning, the chat beacon, the
//! search follower and the bus relay.
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::bus::SharedBus;
use crate::config::Config;
use crate::count_cache::CountCache;
use crate::error::Result;
use crate::payment::SharedProvider;
use crate::search::SharedIndex;
use crate::services::accounts::session;
use crate::services::chat::beacon;
use crate::services::commerce::{idempotency, settlement};
use crate::services::inventory::{hold, sale};
use crate::services::updates::{outbox, relay};

/// Releases lapsed cart holds every `sweep_interval`, until shutdown.
pub(crate) fn spawn_hold_sweeper(
    db: DatabaseConnection,
    counts: Arc<CountCache>,
    interval: Duration,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    spawn_batch_worker("the hold sweeper", interval, shutdown, move || {
        let (db, counts) = (db.clone(), counts.clone());
        async move {
            let released = hold::release_lapsed_holds(&db, &counts, chrono::Utc::now()).await?;
            if released > 0 {
                tracing::debug!(released, "released lapsed holds");
                metrics::counter!("folio_holds_released_total").increment(released as u64);
            }
            Ok(released)
        }
    })
}

/// Deducts paid orders' sales from the stock rows that held them (`inventory::sale::deduct_sold_stock`) every
/// `deduct_interval`, until shutdown.
pub(crate) fn spawn_sale_deducter(
    db: DatabaseConnection,
    interval: Duration,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    spawn_batch_worker("the sale deducter", interval, shutdown, move || {
        let db = db.clone();
        async move {
            let deducted = sale::deduct_sold_stock(&db).await?;
            metrics::counter!("folio_orders_deducted_total").increment(deducted as u64);
            Ok(deducted)
        }
    })
}

/// Runs `pass` every `interval` until shutdown. A pass returns how much work it did (one batch at
/// most); while passes find work, the next comes after a tenth of the interval, so a backlog drains
/// quickly and an idle instance stays quiet.
fn spawn_batch_worker<F, Fut>(
    name: &'static str,
    interval: Duration,
    shutdown: CancellationToken,
    pass: F,
) -> JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Result<usize>> + Send,
{
    tokio::spawn(async move {
        loop {
            let wait = match pass().await {
                Ok(0) => interval,
                Ok(_) => interval / 10,
                Err(err) => {
                    tracing::warn!(worker = name, error = %err, "a background pass failed; retrying");
                    interval
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    })
}

/// Settles orders whose checkout died between charging and recording, at start and every
/// `recovery_interval`, and forgets idempotency keys, published outbox rows and ended sessions past
/// their time.
pub(crate) fn spawn_payment_recovery(
    db: DatabaseConnection,
    payments: SharedProvider,
    config: Arc<Config>,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match settlement::settle_stale_payments(
                &db,
                payments.as_ref(),
                config.payment_recovery_after,
                config.hold_ttl,
            )
            .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(settled = n, "settled orders left pending by a checkout"),
                Err(err) => tracing::warn!(error = %err, "payment recovery failed; retrying"),
            }
            if let Err(err) =
                idempotency::prune_idempotency_keys(&db, config.idempotency_key_ttl).await
            {
                tracing::warn!(error = %err, "could not prune idempotency keys");
            }
            if let Err(err) = outbox::prune(&db, config.outbox_retention, relay::BUS_CONSUMER).await
            {
                tracing::warn!(error = %err, "could not prune the outbox");
            }
            if let Err(err) = session::prune_sessions(&db).await {
                tracing::warn!(error = %err, "could not prune ended sessions");
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(config.recovery_interval) => {}
            }
        }
    })
}

/// Every `interval`, publishes where each recently active conversation is (`chat::beacon`), so
/// that a message whose publish was lost reaches subscribers within one interval.
pub(crate) fn spawn_chat_beacon(
    db: DatabaseConnection,
    bus: SharedBus,
    interval: Duration,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(interval) => {}
            }
            if let Err(err) = beacon::publish_positions(&db, bus.as_ref()).await {
                tracing::warn!(error = %err, "the chat beacon could not publish");
            }
        }
    })
}

/// Follows the outbox into the search index until `shutdown`, polling every `interval` when idle.
/// A failing index (down, full) is retried with backoff; the writes that feed it never wait for it.
/// Whatever the index applies changed the catalog, maybe on another instance: the count cache
/// forgets its counts.
pub(crate) fn spawn_search_follower(
    db: DatabaseConnection,
    index: SharedIndex,
    counts: Arc<CountCache>,
    interval: Duration,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = interval;
        let mut first = true;
        loop {
            let pass = relay::catch_up(&db, &index, first).await;
            first = pass.is_err();
            let wait = match pass {
                Ok(0) => {
                    backoff = interval;
                    interval
                }
                Ok(applied) => {
                    counts.invalidate();
                    backoff = interval;
                    // A full batch means a backlog: go on at once. A partial one caught up.
                    if applied as u64 == relay::BATCH {
                        Duration::ZERO
                    } else {
                        interval
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "the search index could not follow the outbox; retrying");
                    if let crate::error::Error::Internal(cause) = &err {
                        tracing::debug!(?cause);
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    backoff
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    })
}

/// Runs the bus relay until `shutdown`: polls every `interval` when idle, goes on at once while
/// there is a backlog, and backs off while the bus or the database fails.
pub(crate) fn spawn_bus_relay(
    db: DatabaseConnection,
    bus: SharedBus,
    interval: Duration,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(err) = relay::init_bus_cursor(&db).await {
            tracing::warn!(error = %err, "the bus relay could not read its cursor; retrying");
        }
        let mut backoff = interval;
        let mut last_stock = HashMap::new();
        loop {
            let wait = match relay::publish_once(&db, bus.as_ref(), &mut last_stock).await {
                Ok(n) if n as u64 == relay::BATCH => Duration::ZERO,
                Ok(_) => {
                    backoff = interval;
                    interval
                }
                Err(err) => {
                    tracing::warn!(error = %err, "the bus relay could not publish; retrying");
                    let _ = relay::init_bus_cursor(&db).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    backoff
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    })
}
