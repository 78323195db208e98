//! The in-process bus of the embedded mode: publishing is delivering to the local hub.
use async_trait::async_trait;
use futures_util::stream::BoxStream;

use super::{Delivery, Event, EventBus, Hub};
use crate::error::Result;

/// One process, no network: events go straight to local subscribers.
#[derive(Default)]
pub struct MemoryBus {
    hub: Hub,
}

#[async_trait]
impl EventBus for MemoryBus {
    async fn publish(&self, topic: &str, event: &Event) -> Result<()> {
        self.hub.deliver(topic, event.clone());
        Ok(())
    }

    fn subscribe(&self, topic: &str) -> BoxStream<'static, Delivery> {
        self.hub.subscribe(topic)
    }

    async fn ping(&self) -> Result<()> {
        Ok(())
    }
}
