//! The event bus: how a change on one instance reaches the subscriptions on every instance.
//!
//! Two implementations behind one trait, chosen by whether `REDIS_URL` is set:
//! - [`MemoryBus`]: one process, events go straight to the local [`Hub`];
//! - [`RedisBus`]: events are published to Redis; each process keeps one subscriber connection that
//!   feeds every event back into its local hub (its own included), so delivery is the same code path
//!   whichever instance published.
//!
//! The bus carries notifications, never the only copy of data: whatever an event announces is already
//! committed, so a subscriber that falls behind (a [`Delivery::Gap`]) can recover from the database.
mod hub;
mod memory;
mod redis;

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use serde::{Deserialize, Serialize};

pub use hub::Delivery;
pub(crate) use hub::Hub;
pub use memory::MemoryBus;
pub(crate) use redis::RedisBus;

use crate::error::Result;

/// Everything that travels over the bus. Each variant is small and self-describing so that any
/// instance can turn it into a subscription payload without another lookup where possible.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A storewide notice posted by an admin.
    Announcement {
        message: String,
        author_id: i64,
        posted_at: chrono::DateTime<chrono::Utc>,
    },
    /// A book's price changed. `change_id` is its outbox row: subscribers drop repeats by it.
    PriceChanged {
        change_id: i64,
        book_id: i64,
        old_minor: i64,
        new_minor: i64,
        currency: String,
        changed_at: chrono::DateTime<chrono::Utc>,
    },
    /// A message was stored in a conversation. It travels whole, so that delivering it to many
    /// subscribers costs no database read each.
    MessageAdded {
        message: crate::entities::message::Model,
    },
    /// A user joined (`member: true`) or left a conversation: published on the conversation's
    /// topic and on the user's, so that the user's subscriptions follow.
    MembershipChanged {
        conversation_id: i64,
        user_id: i64,
        member: bool,
    },
    /// A recently active conversation is at `last_seq`: lets subscribers notice a message whose
    /// publish was lost (its sender died between commit and publish) and read it from the database.
    ConversationAt { conversation_id: i64, last_seq: i64 },
    /// A member started or stopped typing. Never stored.
    Typing {
        conversation_id: i64,
        user_id: i64,
        is_typing: bool,
    },
    /// A member's delivered or read watermark moved forward.
    ReceiptUpdated {
        conversation_id: i64,
        user_id: i64,
        last_delivered_seq: i64,
        last_read_seq: i64,
    },
    /// A user went online or offline (after the grace period).
    PresenceChanged {
        user_id: i64,
        online: bool,
        last_seen_at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// A book's available stock changed to `available`.
    StockChanged {
        change_id: i64,
        book_id: i64,
        available: i64,
    },
    /// Sessions ended: one (`session_id`), or every session of a user (`user_id`). Each instance
    /// forgets them and closes the sockets that carry them.
    SessionsRevoked {
        user_id: Option<i64>,
        session_id: Option<i64>,
    },
}

/// The topics events are published under. A subscription listens to the topics it needs only.
pub mod topic {
    /// Storewide announcements.
    pub(crate) const ANNOUNCEMENTS: &str = "announcements";
    /// Every price change (rare, and `priceChanged` without ids needs them all).
    pub(crate) const PRICES: &str = "prices";
    /// Ended sessions (rare, and every instance needs them all).
    pub(crate) const SESSIONS: &str = "sessions";

    /// What concerns one user wherever they are (joining and leaving conversations).
    pub(crate) fn user(user_id: i64) -> String {
        format!("user.{user_id}")
    }

    /// One user's presence changes.
    pub(crate) fn presence(user_id: i64) -> String {
        format!("presence.{user_id}")
    }

    /// Messages and receipts of one conversation.
    pub(crate) fn conversation(conversation_id: i64) -> String {
        format!("conversation.{conversation_id}")
    }

    /// The stock changes of one book: the busy topic, so subscribers hear only their books.
    pub(crate) fn stock(book_id: i64) -> String {
        format!("stock.{book_id}")
    }
}

/// Publish/subscribe across every instance that shares the bus.
#[async_trait]
pub trait EventBus: Send + Sync + 'static {
    /// Sends `event` to every subscriber of `topic` on every instance. Call it after the change the
    /// event announces has committed.
    async fn publish(&self, topic: &str, event: &Event) -> Result<()>;

    /// Receives the events of `topic` published from now on. The stream yields a
    /// [`Delivery::Gap`] instead of ending when it falls behind or the bus reconnects.
    fn subscribe(&self, topic: &str) -> BoxStream<'static, Delivery>;

    /// Whether the bus's backing service is reachable (for `/readyz`).
    async fn ping(&self) -> Result<()>;
}

/// The bus shared by the whole process.
pub type SharedBus = Arc<dyn EventBus>;

/// Connects the bus the configuration asks for: Redis when a URL is given, in-process otherwise.
pub(crate) async fn connect(redis_url: Option<&str>, prefix: &str) -> anyhow::Result<SharedBus> {
    Ok(match redis_url {
        Some(url) => Arc::new(RedisBus::connect(url, prefix).await?),
        None => Arc::new(MemoryBus::default()),
    })
}
