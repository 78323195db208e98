//! Presence: a user is ONLINE while they have at least one authenticated subscription connection
//! on any instance, and OFFLINE (with `lastSeenAt`) a grace period after the last one closes, so
//! that a reconnect does not flap.
//!
//! Each instance counts its own connections per user ([`Presence`]) and records in a
//! [`PresenceStore`] which users it has: in memory for one process, in Redis for several, where each
//! instance's entries live only while it keeps sending heartbeats. The users of an instance that
//! stops (killed, or cut off) go OFFLINE by themselves: a live instance reaps the silent one, once,
//! and announces it.
mod memory;
mod redis;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

pub(crate) use memory::MemoryPresence;
pub(crate) use redis::RedisPresence;

use crate::bus::{Event, SharedBus, topic};
use crate::domain::status::PresenceStatus;
use crate::error::Result;

/// Where instances record who is connected to them.
#[async_trait]
pub(crate) trait PresenceStore: Send + Sync + 'static {
    /// The user has a connection on this instance.
    async fn add(&self, user_id: i64) -> Result<()>;
    /// The user has no connection left on this instance.
    async fn remove(&self, user_id: i64) -> Result<()>;
    /// Of these users, those with a connection on a live instance.
    async fn online(&self, user_ids: &[i64]) -> Result<HashSet<i64>>;
    /// Records when the user was last seen online.
    async fn set_last_seen(&self, user_id: i64, at: DateTime<Utc>) -> Result<()>;
    /// When these users were last seen online (those ever seen).
    async fn last_seen(&self, user_ids: &[i64]) -> Result<HashMap<i64, DateTime<Utc>>>;
    /// Keeps this instance's entries alive, and reaps instances that stopped: returns their users
    /// who are now offline everywhere, with when their instance was last heard from.
    async fn heartbeat(&self) -> Result<Vec<(i64, DateTime<Utc>)>>;
}

/// A user's presence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UserPresence {
    pub(crate) user_id: i64,
    pub(crate) status: PresenceStatus,
    /// When the user was last online; none while online, or if never seen.
    pub(crate) last_seen_at: Option<DateTime<Utc>>,
}

/// This instance's connection counts and the transitions they cause.
pub struct Presence {
    store: Arc<dyn PresenceStore>,
    bus: SharedBus,
    grace: Duration,
    /// Connections per user on this instance, and a generation per user that every change bumps,
    /// so a grace timer can tell whether anything happened since it started. A std mutex: never
    /// held across an await.
    local: Mutex<HashMap<i64, (usize, u64)>>,
}

impl Presence {
    pub(crate) fn new(store: Arc<dyn PresenceStore>, bus: SharedBus, grace: Duration) -> Arc<Self> {
        Arc::new(Presence {
            store,
            bus,
            grace,
            local: Mutex::default(),
        })
    }

    /// A connection of `user_id` opened; it counts until the guard is dropped.
    pub(crate) fn connect(self: &Arc<Self>, user_id: i64) -> PresenceGuard {
        let first = {
            let mut local = self.local.lock().unwrap_or_else(|e| e.into_inner());
            let entry = local.entry(user_id).or_insert((0, 0));
            entry.0 += 1;
            entry.1 += 1;
            entry.0 == 1
        };
        if first {
            let presence = self.clone();
            tokio::spawn(async move {
                // Announced only if nobody saw the user online: a reconnect within the grace
                // period (still recorded here or elsewhere) changes nothing.
                let was_online = presence
                    .store
                    .online(&[user_id])
                    .await
                    .map(|s| s.contains(&user_id))
                    .unwrap_or(true);
                if let Err(err) = presence.store.add(user_id).await {
                    tracing::warn!(error = %err, "could not record a connection");
                }
                if !was_online {
                    presence
                        .announce(user_id, PresenceStatus::Online, None)
                        .await;
                }
            });
        }
        PresenceGuard {
            presence: self.clone(),
            user_id,
        }
    }

    fn disconnect(self: &Arc<Self>, user_id: i64) {
        let generation = {
            let mut local = self.local.lock().unwrap_or_else(|e| e.into_inner());
            let Some(entry) = local.get_mut(&user_id) else {
                return;
            };
            entry.0 = entry.0.saturating_sub(1);
            entry.1 += 1;
            if entry.0 > 0 {
                return;
            }
            entry.1
        };
        let presence = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(presence.grace).await;
            {
                let mut local = presence.local.lock().unwrap_or_else(|e| e.into_inner());
                match local.get(&user_id) {
                    Some((0, g)) if *g == generation => {
                        local.remove(&user_id);
                    }
                    _ => return,
                }
            }
            if let Err(err) = presence.store.remove(user_id).await {
                tracing::warn!(error = %err, "could not record a disconnection");
            }
            let elsewhere = presence
                .store
                .online(&[user_id])
                .await
                .map(|s| s.contains(&user_id))
                .unwrap_or(false);
            if !elsewhere {
                let now = Utc::now();
                let _ = presence.store.set_last_seen(user_id, now).await;
                presence
                    .announce(user_id, PresenceStatus::Offline, Some(now))
                    .await;
            }
        });
    }

    async fn announce(
        &self,
        user_id: i64,
        status: PresenceStatus,
        last_seen_at: Option<DateTime<Utc>>,
    ) {
        let event = Event::PresenceChanged {
            user_id,
            online: status == PresenceStatus::Online,
            last_seen_at,
        };
        if let Err(err) = self.bus.publish(&topic::presence(user_id), &event).await {
            tracing::warn!(error = %err, "could not announce a presence change");
        }
    }

    /// The presence of these users now.
    pub(crate) async fn of(&self, user_ids: &[i64]) -> Result<Vec<UserPresence>> {
        let online = self.store.online(user_ids).await?;
        let seen = self.store.last_seen(user_ids).await?;
        Ok(user_ids
            .iter()
            .map(|id| UserPresence {
                user_id: *id,
                status: if online.contains(id) {
                    PresenceStatus::Online
                } else {
                    PresenceStatus::Offline
                },
                last_seen_at: if online.contains(id) {
                    None
                } else {
                    seen.get(id).copied()
                },
            })
            .collect())
    }

    /// Sends heartbeats every `interval` until `shutdown`, announcing the users of stopped
    /// instances as they are reaped.
    pub(crate) fn spawn_heartbeat(
        self: &Arc<Self>,
        interval: Duration,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let presence = self.clone();
        tokio::spawn(async move {
            loop {
                match presence.store.heartbeat().await {
                    Ok(reaped) => {
                        for (user_id, at) in reaped {
                            let _ = presence.store.set_last_seen(user_id, at).await;
                            presence
                                .announce(user_id, PresenceStatus::Offline, Some(at))
                                .await;
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "presence heartbeat failed"),
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(interval) => {}
                }
            }
        })
    }
}

/// Counts one connection for as long as it lives.
pub(crate) struct PresenceGuard {
    presence: Arc<Presence>,
    user_id: i64,
}

impl Drop for PresenceGuard {
    fn drop(&mut self) {
        self.presence.disconnect(self.user_id);
    }
}
