//! Typing indicators: never stored, only announced. A member's `true` is passed on at most once a
//! second (across instances, through Redis when there is one), and a `true` not renewed within `lapse` (5 s by default) turns into `false` by
//! itself: each subscriber's stream announces it, so it needs no coordination between instances.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::stream::{Stream, StreamExt};
use sea_orm::DatabaseConnection;

use crate::bus::{Delivery, Event, EventBus, SharedBus, topic};
use crate::error::Result;
use crate::services::conversation::membership;

/// At most one `true` per user and conversation is published in this interval.
const THROTTLE: Duration = Duration::from_secs(1);

/// Decides whether a member's `true` may be published now: at most one per [`THROTTLE`].
pub enum TypingThrottle {
    /// One process: when each (user, conversation) last had a `true` published. A std mutex: held
    /// only to read and write the map, never across an await.
    Memory(Mutex<HashMap<(i64, i64), Instant>>),
    /// Several instances: a Redis key per (user, conversation) that lives for the throttle
    /// interval, set only if absent (`SET NX PX`), so the limit holds whichever instance a client
    /// uses.
    Redis {
        redis: redis::aio::ConnectionManager,
        prefix: String,
    },
}

impl Default for TypingThrottle {
    fn default() -> Self {
        TypingThrottle::Memory(Mutex::default())
    }
}

impl TypingThrottle {
    /// The throttle for the configured bus: in Redis when there is one.
    pub async fn connect(redis_url: Option<&str>, prefix: &str) -> anyhow::Result<Self> {
        Ok(match redis_url {
            Some(url) => TypingThrottle::Redis {
                redis: redis::aio::ConnectionManager::new(redis::Client::open(url)?).await?,
                prefix: prefix.to_owned(),
            },
            None => TypingThrottle::default(),
        })
    }

    /// Whether a `true` may be published now (and records it if so).
    async fn admit(&self, user_id: i64, conversation_id: i64) -> Result<bool> {
        match self {
            TypingThrottle::Memory(last) => {
                let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                // Forget old entries now and then, so the map stays as small as the active typists.
                if last.len() > 10_000 {
                    last.retain(|_, at| now.duration_since(*at) < THROTTLE);
                }
                Ok(match last.get(&(user_id, conversation_id)) {
                    Some(at) if now.duration_since(*at) < THROTTLE => false,
                    _ => {
                        last.insert((user_id, conversation_id), now);
                        true
                    }
                })
            }
            TypingThrottle::Redis { redis, prefix } => {
                let mut redis = redis.clone();
                let set: Option<String> = redis::cmd("SET")
                    .arg(format!("{prefix}:typing:{user_id}:{conversation_id}"))
                    .arg(1)
                    .arg("NX")
                    .arg("PX")
                    .arg(THROTTLE.as_millis() as u64)
                    .query_async(&mut redis)
                    .await
                    .map_err(crate::error::Error::internal)?;
                Ok(set.is_some())
            }
        }
    }
}

/// A member says they are (or stopped) typing. Members only.
pub async fn set_typing(
    db: &DatabaseConnection,
    bus: &dyn EventBus,
    throttle: &TypingThrottle,
    user_id: i64,
    conversation_id: i64,
    is_typing: bool,
) -> Result<()> {
    membership(db, conversation_id, user_id).await?;
    if is_typing && !throttle.admit(user_id, conversation_id).await? {
        return Ok(());
    }
    let event = Event::Typing {
        conversation_id,
        user_id,
        is_typing,
    };
    bus.publish(&topic::conversation(conversation_id), &event)
        .await
}

/// Who is typing in a conversation, for a member (their own typing is not sent back to them);
/// ends when the member leaves. FORBIDDEN for non-members.
pub async fn typing(
    db: DatabaseConnection,
    bus: &SharedBus,
    viewer: i64,
    conversation_id: i64,
    lapse: Duration,
) -> Result<impl Stream<Item = (i64, bool)> + use<>> {
    let mut live = bus.subscribe(&topic::conversation(conversation_id));
    membership(&db, conversation_id, viewer).await?;
    Ok(async_stream::stream! {
        // Typists and when their `true` lapses.
        let mut lapses: HashMap<i64, tokio::time::Instant> = HashMap::new();
        loop {
            let next_lapse = lapses.values().min().copied();
            let delivery = tokio::select! {
                delivery = live.next() => match delivery { Some(d) => d, None => return },
                _ = async { match next_lapse {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                } } => {
                    let now = tokio::time::Instant::now();
                    let lapsed: Vec<i64> = lapses.iter().filter(|(_, at)| **at <= now).map(|(u, _)| *u).collect();
                    for user_id in lapsed {
                        lapses.remove(&user_id);
                        yield (user_id, false);
                    }
                    continue;
                }
            };
            match delivery {
                Delivery::Event(event) => match event.as_ref() {
                    Event::Typing { conversation_id: c, user_id, is_typing } if *c == conversation_id && *user_id != viewer => {
                        if *is_typing {
                            let renewed = lapses.insert(*user_id, tokio::time::Instant::now() + lapse).is_some();
                            if !renewed {
                                yield (*user_id, true);
                            }
                        } else if lapses.remove(user_id).is_some() {
                            yield (*user_id, false);
                        }
                    }
                    Event::MembershipChanged { user_id, member: false, .. } if *user_id == viewer => return,
                    _ => {}
                },
                // Typing is not stored: there is nothing to recover, and lapses still run.
                Delivery::Gap => {}
            }
        }
    })
}
