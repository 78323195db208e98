//! At most one event per key and interval, across instances: the typing indicator's limit (one
//! `true` per member and conversation a second). In memory for one process; with Redis a key per
//! event that lives for the interval, set only if absent (`SET NX PX`), so the limit holds whichever
//! instance a client uses.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Admits at most one event per key and interval.
pub enum Throttle {
    /// One process: until when each key admits nothing more. A std mutex: held only to read and
    /// write the map, never across an await.
    Memory(Mutex<HashMap<String, Instant>>),
    /// Several instances: one Redis key per admitted event, expiring with the interval.
    Redis {
        redis: redis::aio::ConnectionManager,
        prefix: String,
    },
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::Memory(Mutex::default())
    }
}

impl Throttle {
    /// The throttle for the configured deployment: in Redis when there is one.
    pub(crate) async fn connect(redis_url: Option<&str>, prefix: &str) -> anyhow::Result<Self> {
        Ok(match redis_url {
            Some(url) => Throttle::Redis {
                redis: redis::aio::ConnectionManager::new(redis::Client::open(url)?).await?,
                prefix: prefix.to_owned(),
            },
            None => Throttle::default(),
        })
    }

    /// Whether an event for `key` may pass now (and records it if so).
    pub(crate) async fn admit(&self, key: &str, interval: Duration) -> Result<bool> {
        match self {
            Throttle::Memory(closed_until) => {
                let mut closed_until = closed_until.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                // Forget expired keys now and then, so the map stays as small as the active ones.
                // Each key keeps its own expiry, whatever interval other keys use.
                if closed_until.len() > 10_000 {
                    closed_until.retain(|_, until| *until > now);
                }
                Ok(match closed_until.get(key) {
                    Some(until) if *until > now => false,
                    _ => {
                        closed_until.insert(key.to_owned(), now + interval);
                        true
                    }
                })
            }
            Throttle::Redis { redis, prefix } => {
                let mut redis = redis.clone();
                let set: Option<String> = redis::cmd("SET")
                    .arg(format!("{prefix}:{key}"))
                    .arg(1)
                    .arg("NX")
                    .arg("PX")
                    .arg(interval.as_millis() as u64)
                    .query_async(&mut redis)
                    .await
                    .map_err(Error::internal)?;
                Ok(set.is_some())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_key_passes_once_per_interval() {
        let throttle = Throttle::default();
        let second = Duration::from_secs(1);
        assert!(throttle.admit("typing:1:2", second).await.unwrap());
        assert!(!throttle.admit("typing:1:2", second).await.unwrap());
        assert!(throttle.admit("typing:1:3", second).await.unwrap());
    }
}
