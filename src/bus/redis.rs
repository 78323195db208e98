//! The Redis bus of the scaled-out mode. Publishing is one `PUBLISH` on a shared multiplexed
//! connection; receiving is one pattern subscription per process (not per socket) whose messages go
//! into the local hub. If that connection drops, it reconnects with backoff and tells every local
//! subscriber there may be a gap, since Redis pub/sub keeps nothing for absent listeners.
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use super::{Delivery, Event, EventBus, Hub};
use crate::error::{Error, Result};

/// Events through Redis pub/sub, on channels `<prefix>:<topic>`.
pub(crate) struct RedisBus {
    publisher: ConnectionManager,
    prefix: String,
    hub: Arc<Hub>,
    listener: tokio::task::JoinHandle<()>,
}

impl RedisBus {
    /// Connects the publisher and starts the one subscriber task; returns once that task listens, so
    /// that nothing published after `connect` returns is missed.
    pub(crate) async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let publisher = ConnectionManager::new(client.clone()).await?;
        let hub = Arc::new(Hub::default());
        let pattern = format!("{prefix}:*");
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.psubscribe(&pattern).await?;
        let listener = tokio::spawn(listen(
            client,
            pubsub,
            pattern,
            prefix.to_owned(),
            hub.clone(),
        ));
        Ok(RedisBus {
            publisher,
            prefix: prefix.to_owned(),
            hub,
            listener,
        })
    }
}

impl Drop for RedisBus {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

async fn listen(
    client: redis::Client,
    mut pubsub: redis::aio::PubSub,
    pattern: String,
    prefix: String,
    hub: Arc<Hub>,
) {
    let strip = format!("{prefix}:");
    let mut backoff = Duration::from_millis(100);
    loop {
        {
            let mut messages = pubsub.on_message();
            while let Some(msg) = messages.next().await {
                let channel = msg.get_channel_name().to_owned();
                let Some(topic) = channel.strip_prefix(&strip) else {
                    continue;
                };
                let payload: Vec<u8> = msg.get_payload_bytes().to_vec();
                match serde_json::from_slice::<Event>(&payload) {
                    Ok(event) => hub.deliver(topic, event),
                    // An event this version does not know (a newer instance during a rolling
                    // deploy): skip it rather than drop the connection.
                    Err(err) => tracing::warn!(%topic, %err, "skipping an unreadable bus event"),
                }
            }
        }
        tracing::warn!("lost the Redis subscription; reconnecting");
        loop {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
            match client.get_async_pubsub().await {
                Ok(mut fresh) => {
                    if fresh.psubscribe(&pattern).await.is_ok() {
                        pubsub = fresh;
                        backoff = Duration::from_millis(100);
                        break;
                    }
                }
                Err(err) => tracing::warn!(%err, "Redis subscription reconnect failed"),
            }
        }
        hub.signal_gap();
    }
}

#[async_trait]
impl EventBus for RedisBus {
    async fn publish(&self, topic: &str, event: &Event) -> Result<()> {
        let payload = serde_json::to_string(event).map_err(Error::internal)?;
        let mut conn = self.publisher.clone();
        let _: i64 = conn
            .publish(format!("{}:{topic}", self.prefix), payload)
            .await
            .map_err(Error::internal)?;
        Ok(())
    }

    fn subscribe(&self, topic: &str) -> BoxStream<'static, Delivery> {
        self.hub.subscribe(topic)
    }

    async fn ping(&self) -> Result<()> {
        let mut conn = self.publisher.clone();
        let _: String = redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .map_err(Error::internal)?;
        Ok(())
    }
}
