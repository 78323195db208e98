//! Presence as users see it: whether these users are online now, and their changes as they happen.
//! Counting connections and telling instances apart is `crate::presence`; this is what a viewer
//! asks of it.
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use futures_util::stream::{self, BoxStream, Stream, StreamExt};

use crate::bus::{Delivery, Event, SharedBus, topic};
use crate::domain::status::PresenceStatus;
use crate::error::{Error, Result};
use crate::presence::{Presence, UserPresence};

/// Presence changes of these users from now on. After a bus gap their presence is read again and
/// what changed meanwhile is sent; if it cannot be read, the stream ends with an error.
pub(crate) async fn presence_changes(
    presence: &Arc<Presence>,
    bus: &SharedBus,
    user_ids: Vec<i64>,
) -> Result<impl Stream<Item = Result<UserPresence>> + use<>> {
    let live = stream::select_all(
        user_ids
            .iter()
            .map(|id| bus.subscribe(&topic::presence(*id))),
    )
    .boxed();
    let known = presence
        .of(&user_ids)
        .await?
        .into_iter()
        .map(|p| (p.user_id, p.status))
        .collect();
    let changes = Changes {
        presence: presence.clone(),
        user_ids,
        live,
        known,
        ready: VecDeque::new(),
        ended: false,
    };
    Ok(stream::unfold(changes, |mut changes| async move {
        let next = changes.next().await?;
        Some((next, changes))
    }))
}

/// Where one `presenceChanged` subscription stands.
struct Changes {
    presence: Arc<Presence>,
    user_ids: Vec<i64>,
    live: BoxStream<'static, Delivery>,
    /// Each user's status as last sent.
    known: HashMap<i64, PresenceStatus>,
    /// Changes to send before listening again (a gap can find several).
    ready: VecDeque<UserPresence>,
    ended: bool,
}

impl Changes {
    async fn next(&mut self) -> Option<Result<UserPresence>> {
        loop {
            if let Some(change) = self.ready.pop_front() {
                if self.ready.is_empty() {
                    // An idle subscription keeps no room for its last batch.
                    self.ready = VecDeque::new();
                }
                return Some(Ok(change));
            }
            if self.ended {
                return None;
            }
            match self.live.next().await? {
                Delivery::Event(event) => {
                    if let Event::PresenceChanged {
                        user_id,
                        online,
                        last_seen_at,
                    } = event.as_ref()
                    {
                        let status = if *online {
                            PresenceStatus::Online
                        } else {
                            PresenceStatus::Offline
                        };
                        self.changed(UserPresence {
                            user_id: *user_id,
                            status,
                            last_seen_at: *last_seen_at,
                        });
                    }
                }
                Delivery::Gap => match Box::pin(self.presence.of(&self.user_ids)).await {
                    Ok(now) => now.into_iter().for_each(|p| self.changed(p)),
                    Err(err) => {
                        tracing::warn!(error = %err, "a presence stream could not catch up; ending it");
                        self.ended = true;
                        return Some(Err(Error::StreamInterrupted {
                            resume_after_seq: None,
                        }));
                    }
                },
            }
        }
    }

    fn changed(&mut self, presence: UserPresence) {
        if self.known.insert(presence.user_id, presence.status) != Some(presence.status) {
            self.ready.push_back(presence);
        }
    }
}
