//! The in-process fan-out that both buses deliver through: one tokio broadcast channel per topic
//! that has subscribers.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::Event;

/// How many events a topic buffers for its slowest subscriber before that subscriber lags. Enough to
/// absorb a burst on a busy conversation; a subscriber further behind gets a `Gap` and recovers from
/// the database instead of holding memory for it.
const TOPIC_CAPACITY: usize = 256;

/// What a subscription stream yields.
#[derive(Clone, Debug, PartialEq)]
pub enum Delivery {
    /// The next event of the topic.
    Event(Arc<Event>),
    /// Events may have been missed here (the subscriber lagged, or the bus reconnected): recover what
    /// matters from the database.
    Gap,
}

#[derive(Clone, Debug)]
enum Envelope {
    Event(Arc<Event>),
    Gap,
}

/// Topic name → broadcast channel. The lock is a std mutex: it is held only to look up or insert a
/// channel, never across an await.
#[derive(Default)]
pub(crate) struct Hub {
    topics: Mutex<HashMap<String, broadcast::Sender<Envelope>>>,
}

impl Hub {
    /// Delivers `event` to the local subscribers of `topic`, dropping the channel once nobody listens.
    pub(crate) fn deliver(&self, topic: &str, event: Event) {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = topics.get(topic)
            && sender.send(Envelope::Event(Arc::new(event))).is_err()
        {
            topics.remove(topic);
        }
    }

    /// Tells every local subscriber that events may have been lost (the bus connection dropped).
    pub(crate) fn signal_gap(&self) {
        let topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        for sender in topics.values() {
            let _ = sender.send(Envelope::Gap);
        }
    }

    /// A stream of the local deliveries of `topic` from now on.
    pub(crate) fn subscribe(&self, topic: &str) -> BoxStream<'static, Delivery> {
        let receiver = {
            let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
            topics
                .entry(topic.to_owned())
                .or_insert_with(|| broadcast::channel(TOPIC_CAPACITY).0)
                .subscribe()
        };
        BroadcastStream::new(receiver)
            .map(|item| match item {
                Ok(Envelope::Event(event)) => Delivery::Event(event),
                Ok(Envelope::Gap) | Err(BroadcastStreamRecvError::Lagged(_)) => Delivery::Gap,
            })
            .boxed()
    }

    /// How many topics have local subscribers (to show that an idle topic is forgotten).
    #[cfg(test)]
    fn topic_count(&self) -> usize {
        self.topics.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::Event;

    fn notice(n: usize) -> Event {
        Event::Announcement {
            message: format!("notice {n}"),
            author_id: 1,
            posted_at: chrono::Utc::now(),
        }
    }

    fn message_of(delivery: Option<Delivery>) -> String {
        match delivery {
            Some(Delivery::Event(event)) => match event.as_ref() {
                Event::Announcement { message, .. } => message.clone(),
                other => panic!("expected an announcement, got {other:?}"),
            },
            other => panic!("expected an event, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_subscriber_receives_events_of_its_topic_only() {
        let hub = Hub::default();
        let mut a = hub.subscribe("a");
        hub.deliver("b", notice(0));
        hub.deliver("a", notice(1));
        assert_eq!(message_of(a.next().await), "notice 1");
    }

    #[tokio::test]
    async fn a_lagging_subscriber_is_told_of_the_gap_instead_of_ending() {
        let hub = Hub::default();
        let mut slow = hub.subscribe("t");
        for n in 0..TOPIC_CAPACITY + 10 {
            hub.deliver("t", notice(n));
        }
        assert_eq!(slow.next().await, Some(Delivery::Gap));
        // After the gap the stream goes on with the newest events still buffered.
        assert_eq!(message_of(slow.next().await), "notice 10");
    }

    #[tokio::test]
    async fn a_topic_without_subscribers_is_dropped() {
        let hub = Hub::default();
        drop(hub.subscribe("t"));
        hub.deliver("t", notice(0));
        assert_eq!(hub.topic_count(), 0);
    }
}
