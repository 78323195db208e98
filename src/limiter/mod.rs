//! One rate limiter for everything: the query-cost budget and the named, stricter limits (sign-in
//! attempts, sign-ups, messages), as buckets of the generic cell rate algorithm (`gcra`), keyed by
//! user (by client IP when anonymous), each check taking a cost. In-process for one instance
//! (`memory`); shared by every instance through Redis when it is configured (`redis`: one atomic
//! script call per check). Open connections are counted apart (`sockets`), per instance.
//!
//! `FOLIO_RATE_LIMITS=off` makes every check pass (the buckets still report themselves full).
mod gcra;
mod memory;
mod named;
mod redis;
mod sockets;

use std::net::IpAddr;
use std::time::Duration;

pub use sockets::SocketGuard;

use crate::config::RateLimits;
use crate::domain::client::ClientIp;
use crate::domain::rate::Rate;
use crate::domain::viewer::Viewer;
use crate::error::Error;
use gcra::Step;
use memory::MemoryStore;
use redis::RedisStore;
use sockets::Sockets;

/// What a check decided.
#[derive(Copy, Clone, Debug)]
pub struct Decision {
    pub allowed: bool,
    /// When refused: how long until the same check would pass.
    pub retry_after: Duration,
    /// Units left in the (first) bucket after the check.
    pub remaining: f64,
    /// How long until that bucket is full again.
    pub reset_after: Duration,
}

impl Decision {
    /// Whole seconds to wait, rounded up (at least 1), as `Retry-After` and `retryAfter` say it.
    pub fn retry_after_secs(&self) -> u64 {
        (self.retry_after.as_secs_f64().ceil() as u64).max(1)
    }

    /// `Ok` when allowed, RATE_LIMITED with the wait otherwise.
    pub(crate) fn into_result(self) -> Result<(), Error> {
        if self.allowed {
            Ok(())
        } else {
            Err(Error::RateLimited {
                retry_after: self.retry_after_secs(),
            })
        }
    }
}

/// One key's part of a check.
pub(crate) struct Check {
    pub(crate) key: String,
    pub(crate) rate: Rate,
    /// Units taken; negative gives them back.
    pub(crate) cost: f64,
    /// Whether a refusal locks the key out (doubling each time).
    pub(crate) lockout: bool,
}

impl Check {
    pub(crate) fn new(key: String, rate: Rate, cost: f64) -> Self {
        Check {
            key,
            rate,
            cost,
            lockout: false,
        }
    }
}

enum Store {
    Memory(MemoryStore),
    Redis(RedisStore),
}

/// The limiter handle the state holds.
pub struct Limiter {
    limits: RateLimits,
    store: Store,
    sockets: Sockets,
}

impl Limiter {
    /// The limiter for the configured deployment: in Redis when there is one, under `prefix`.
    pub(crate) async fn connect(
        redis_url: Option<&str>,
        prefix: &str,
        limits: RateLimits,
    ) -> anyhow::Result<Self> {
        let store = match redis_url {
            Some(url) => Store::Redis(RedisStore::connect(url, prefix).await?),
            None => Store::Memory(MemoryStore::default()),
        };
        Ok(Limiter {
            limits,
            store,
            sockets: Sockets::default(),
        })
    }

    /// An in-process limiter with these limits (for tests of the services).
    pub fn in_memory(limits: RateLimits) -> Self {
        Limiter {
            limits,
            store: Store::Memory(MemoryStore::default()),
            sockets: Sockets::default(),
        }
    }

    /// The configured limits.
    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Checks every part at once: all pass and are counted, or none is (but a lockout is kept).
    /// Never fails: a store that cannot answer is replaced by this instance's counts (`redis`).
    pub(crate) async fn check(&self, checks: &[Check]) -> Decision {
        let full = |rate: Option<&Rate>| Decision {
            allowed: true,
            retry_after: Duration::ZERO,
            remaining: rate.map_or(0.0, |r| r.count as f64),
            reset_after: Duration::ZERO,
        };
        if !self.limits.enabled || checks.is_empty() {
            return full(checks.first().map(|c| &c.rate));
        }
        let steps: Vec<(String, Step)> = checks
            .iter()
            .map(|c| {
                let step = Step {
                    interval: c.rate.per.as_secs_f64() * 1000.0 / c.rate.count as f64,
                    burst: c.rate.count as f64,
                    cost: c.cost,
                    lockout: c.lockout,
                };
                (c.key.clone(), step)
            })
            .collect();
        let verdict = match &self.store {
            Store::Memory(store) => store.check(&steps),
            Store::Redis(store) => store.check(&steps).await,
        };
        Decision {
            allowed: verdict.allowed,
            retry_after: Duration::from_secs_f64(verdict.retry_after.max(0.0) / 1000.0),
            remaining: verdict.remaining,
            reset_after: Duration::from_secs_f64(verdict.reset_after.max(0.0) / 1000.0),
        }
    }

    /// Takes a place for one more open connection of `user` (if signed in) from `ip` (if known),
    /// or `None` when either already has as many as allowed.
    pub fn open_socket(&self, user: Option<i64>, ip: Option<ClientIp>) -> Option<SocketGuard> {
        if !self.limits.enabled {
            return Some(self.sockets.unlimited());
        }
        let mut limits = Vec::with_capacity(2);
        if let Some(id) = user {
            limits.push((format!("u:{id}"), self.limits.sockets_per_user));
        }
        if let Some(ClientIp(ip)) = ip {
            limits.push((format!("ip:{ip}"), self.limits.sockets_per_ip));
        }
        self.sockets.open(&limits)
    }
}

/// The key a caller's own buckets go under: the user when signed in, else the client's address.
pub fn caller_key(viewer: &Viewer, ip: Option<ClientIp>) -> String {
    match (viewer, ip) {
        (Viewer::User { id, .. }, _) => format!("u:{id}"),
        (_, Some(ClientIp(ip))) => ip_key(ip),
        (_, None) => "ip:unknown".to_owned(),
    }
}

fn ip_key(ip: IpAddr) -> String {
    format!("ip:{ip}")
}
