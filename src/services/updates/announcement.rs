//! Storewide announcements: a notice an admin posts ("orders ship late this week") that every
//! connected storefront shows at once. Ephemeral: announcements are broadcast, not stored.
use futures_util::{Stream, StreamExt};

use crate::bus::{Delivery, Event, EventBus, SharedBus, topic};
use crate::error::{Error, Result};

/// Longest announcement accepted.
const MAX_ANNOUNCEMENT_LEN: usize = 500;

/// A notice as it was posted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Notice {
    pub(crate) message: String,
    pub(crate) author_id: i64,
    pub(crate) posted_at: chrono::DateTime<chrono::Utc>,
}

impl Notice {
    fn of(event: &Event) -> Option<Notice> {
        match event {
            Event::Announcement {
                message,
                author_id,
                posted_at,
            } => Some(Notice {
                message: message.clone(),
                author_id: *author_id,
                posted_at: *posted_at,
            }),
            _ => None,
        }
    }
}

/// Broadcasts `message` from `author_id` to every `announcements` subscriber on every instance.
pub(crate) async fn announce(bus: &dyn EventBus, author_id: i64, message: &str) -> Result<Notice> {
    let message = message.trim();
    if message.is_empty() {
        return Err(Error::bad_input("message", "must not be empty"));
    }
    if message.chars().count() > MAX_ANNOUNCEMENT_LEN {
        return Err(Error::bad_input(
            "message",
            format!("must be at most {MAX_ANNOUNCEMENT_LEN} characters"),
        ));
    }
    let notice = Notice {
        message: message.to_owned(),
        author_id,
        posted_at: chrono::Utc::now(),
    };
    let event = Event::Announcement {
        message: notice.message.clone(),
        author_id,
        posted_at: notice.posted_at,
    };
    bus.publish(topic::ANNOUNCEMENTS, &event).await?;
    Ok(notice)
}

/// Notices as they are posted, from now on.
pub(crate) fn announcements(bus: &SharedBus) -> impl Stream<Item = Notice> + use<> {
    bus.subscribe(topic::ANNOUNCEMENTS)
        .filter_map(|delivery| async move {
            match delivery {
                Delivery::Event(event) => Notice::of(&event),
                // Announcements are not stored, so there is nothing to recover: the subscription
                // goes on with the next one.
                Delivery::Gap => {
                    tracing::warn!("an announcements subscriber fell behind");
                    None
                }
            }
        })
}
