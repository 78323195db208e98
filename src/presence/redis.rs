//! Presence across instances in Redis:
//! - `<prefix>:presence:instances`, a sorted set of instance ids scored by their last heartbeat (ms);
//! - `<prefix>:presence:users:<instance>`, the set of users connected to that instance;
//! - `<prefix>:presence:last_seen`, a hash of user id → when last seen (RFC 3339).
//!
//! An instance is live while its heartbeat is younger than the TTL. A live instance that finds a
//! silent one removes it from the sorted set; `ZREM` answers 1 to exactly one of the instances that
//! try, and that one takes the silent instance's users and announces those not online elsewhere.
use std::collections::{HashMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use super::PresenceStore;
use crate::error::{Error, Result};

pub(crate) struct RedisPresence {
    redis: ConnectionManager,
    prefix: String,
    instance: String,
    ttl: Duration,
}

fn redis_error(err: redis::RedisError) -> Error {
    Error::internal(err)
}

impl RedisPresence {
    /// Connects; `ttl` is how long an instance counts as live after its last heartbeat.
    pub(crate) async fn connect(url: &str, prefix: &str, ttl: Duration) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let redis = ConnectionManager::new(client).await?;
        let instance = format!("{}-{:x}", std::process::id(), rand::random::<u64>());
        Ok(RedisPresence {
            redis,
            prefix: prefix.to_owned(),
            instance,
            ttl,
        })
    }

    fn instances_key(&self) -> String {
        format!("{}:presence:instances", self.prefix)
    }

    fn users_key(&self, instance: &str) -> String {
        format!("{}:presence:users:{instance}", self.prefix)
    }

    fn last_seen_key(&self) -> String {
        format!("{}:presence:last_seen", self.prefix)
    }

    async fn live_instances(&self) -> Result<Vec<String>> {
        let since = Utc::now().timestamp_millis() - self.ttl.as_millis() as i64;
        let mut redis = self.redis.clone();
        redis
            .zrangebyscore(self.instances_key(), since, "+inf")
            .await
            .map_err(redis_error)
    }
}

#[async_trait]
impl PresenceStore for RedisPresence {
    async fn add(&self, user_id: i64) -> Result<()> {
        let mut redis = self.redis.clone();
        let _: () = redis
            .sadd(self.users_key(&self.instance), user_id)
            .await
            .map_err(redis_error)?;
        // Counts as a heartbeat, so a new instance is live from its first connection.
        let _: () = redis
            .zadd(
                self.instances_key(),
                &self.instance,
                Utc::now().timestamp_millis(),
            )
            .await
            .map_err(redis_error)?;
        Ok(())
    }

    async fn remove(&self, user_id: i64) -> Result<()> {
        let mut redis = self.redis.clone();
        redis
            .srem(self.users_key(&self.instance), user_id)
            .await
            .map_err(redis_error)
    }

    async fn online(&self, user_ids: &[i64]) -> Result<HashSet<i64>> {
        let mut online = HashSet::new();
        if user_ids.is_empty() {
            return Ok(online);
        }
        let mut redis = self.redis.clone();
        for instance in self.live_instances().await? {
            let member: Vec<bool> = redis
                .smismember(self.users_key(&instance), user_ids)
                .await
                .map_err(redis_error)?;
            online.extend(
                user_ids
                    .iter()
                    .zip(member)
                    .filter(|(_, m)| *m)
                    .map(|(id, _)| *id),
            );
        }
        Ok(online)
    }

    async fn set_last_seen(&self, user_id: i64, at: DateTime<Utc>) -> Result<()> {
        let mut redis = self.redis.clone();
        redis
            .hset(self.last_seen_key(), user_id, at.to_rfc3339())
            .await
            .map_err(redis_error)
    }

    async fn last_seen(&self, user_ids: &[i64]) -> Result<HashMap<i64, DateTime<Utc>>> {
        if user_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut redis = self.redis.clone();
        let values: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(self.last_seen_key())
            .arg(user_ids)
            .query_async(&mut redis)
            .await
            .map_err(redis_error)?;
        Ok(user_ids
            .iter()
            .zip(values)
            .filter_map(|(id, v)| {
                let at = DateTime::parse_from_rfc3339(&v?).ok()?;
                Some((*id, at.with_timezone(&Utc)))
            })
            .collect())
    }

    async fn heartbeat(&self) -> Result<Vec<(i64, DateTime<Utc>)>> {
        let mut redis = self.redis.clone();
        let now = Utc::now().timestamp_millis();
        let _: () = redis
            .zadd(self.instances_key(), &self.instance, now)
            .await
            .map_err(redis_error)?;
        let silent_since = now - self.ttl.as_millis() as i64;
        let silent: Vec<(String, i64)> = redis
            .zrangebyscore_withscores(self.instances_key(), "-inf", silent_since)
            .await
            .map_err(redis_error)?;
        let mut reaped = Vec::new();
        for (instance, last_heard) in silent {
            let claimed: i64 = redis
                .zrem(self.instances_key(), &instance)
                .await
                .map_err(redis_error)?;
            if claimed != 1 {
                continue;
            }
            let key = self.users_key(&instance);
            let users: Vec<i64> = redis.smembers(&key).await.map_err(redis_error)?;
            let _: () = redis.del(&key).await.map_err(redis_error)?;
            let still = self.online(&users).await?;
            let at = DateTime::from_timestamp_millis(last_heard).unwrap_or_else(Utc::now);
            reaped.extend(
                users
                    .into_iter()
                    .filter(|u| !still.contains(u))
                    .map(|u| (u, at)),
            );
        }
        Ok(reaped)
    }
}
