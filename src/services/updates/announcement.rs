//! Storewide announcements: a notice an admin posts ("orders ship late this week") that every
//! connected storefront shows at once. Ephemeral: announcements are broadcast, not stored.
use crate::bus::{Event, EventBus, topic};
use crate::error::{Error, Result};

/// Longest announcement accepted.
pub(crate) const MAX_ANNOUNCEMENT_LEN: usize = 500;

/// Broadcasts `message` from `author_id` to every `announcements` subscriber on every instance.
pub(crate) async fn announce(bus: &dyn EventBus, author_id: i64, message: &str) -> Result<Event> {
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
    let event = Event::Announcement {
        message: message.to_owned(),
        author_id,
        posted_at: chrono::Utc::now(),
    };
    bus.publish(topic::ANNOUNCEMENTS, &event).await?;
    Ok(event)
}
