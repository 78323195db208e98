//! Typing indicators: never stored, only announced. A member's `true` is passed on at most once a
//! second (across instances, through Redis when there is one: `crate::throttle`), and a `true` not
//! renewed within `lapse` (5 s by default) turns into `false` by itself: each subscriber's stream
//! announces it, so it needs no coordination between instances.
use std::collections::HashMap;
use std::time::Duration;

use futures_util::stream::{Stream, StreamExt};
use sea_orm::DatabaseConnection;

use crate::bus::{Delivery, Event, EventBus, SharedBus, topic};
use crate::error::Result;
use crate::services::chat::conversation::membership;
use crate::throttle::Throttle;

/// At most one `true` per user and conversation is published in this interval.
const THROTTLE: Duration = Duration::from_secs(1);

/// A member says they are (or stopped) typing. Members only.
pub(crate) async fn set_typing(
    db: &DatabaseConnection,
    bus: &dyn EventBus,
    throttle: &Throttle,
    user_id: i64,
    conversation_id: i64,
    is_typing: bool,
) -> Result<()> {
    membership(db, conversation_id, user_id).await?;
    let key = format!("typing:{user_id}:{conversation_id}");
    if is_typing && !throttle.admit(&key, THROTTLE).await? {
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
pub(crate) async fn typing(
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
