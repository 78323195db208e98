//! `Message` and the history connection.
use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, Result};

use crate::entities::{conversation_member, message};
use crate::schema::connection::PageInfo;
use crate::schema::user::{User, load_user};
use crate::services::chat::message::status_of;

/// Where a message stands for its sender, derived from the other members' watermarks.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::status::MessageStatus")]
pub(crate) enum MessageStatus {
    /// Stored; not every other member has it yet.
    Sent,
    /// Every other member has it on a device.
    Delivered,
    /// Every other member has read it.
    Read,
}

/// A chat message.
pub(crate) struct Message {
    pub(crate) message: message::Model,
    /// The conversation's members as read with the message, for its status.
    pub(crate) members: Arc<Vec<conversation_member::Model>>,
}

/// A chat message.
#[Object]
impl Message {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.message.id.to_string())
    }

    /// The conversation it belongs to.
    async fn conversation_id(&self) -> ID {
        ID(self.message.conversation_id.to_string())
    }

    /// 1, 2, 3… within the conversation: no gap, no repeat, the order every member sees.
    async fn seq(&self) -> i64 {
        self.message.seq
    }

    /// The id the sender's client gave it; a retried send with it returns this message.
    async fn client_message_id(&self) -> &str {
        &self.message.client_message_id
    }

    /// The text, 1..4000 characters.
    async fn body(&self) -> &str {
        &self.message.body
    }

    /// When it was stored.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.message.created_at
    }

    /// Who sent it.
    async fn sender(&self, ctx: &Context<'_>) -> Result<User> {
        load_user(ctx, self.message.sender_id).await
    }

    /// For the sender: SENT, DELIVERED (every other member has it) or READ (every other member
    /// read it), from the members' watermarks.
    async fn status(&self) -> MessageStatus {
        status_of(&self.message, &self.members).into()
    }
}

/// A page of a conversation's history, in seq order.
pub(crate) struct MessageConnection {
    pub(crate) messages: Vec<Message>,
    pub(crate) page_info: PageInfo,
}

/// A page of a conversation's history, in seq order.
#[Object]
impl MessageConnection {
    /// Where this page sits: cursors are seqs.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// The messages on this page, oldest first.
    async fn edges(&self) -> Vec<MessageEdge<'_>> {
        self.messages
            .iter()
            .map(|node| MessageEdge { node })
            .collect()
    }
}

/// A message and its cursor.
pub(crate) struct MessageEdge<'a> {
    node: &'a Message,
}

/// A message and its cursor.
#[Object]
impl MessageEdge<'_> {
    /// Pass as `after` (or `before`) to page on from this message.
    async fn cursor(&self) -> String {
        self.node.message.seq.to_string()
    }

    /// The message at this place in the history.
    async fn node(&self) -> &Message {
        self.node
    }
}

/// A message to send.
#[derive(InputObject)]
pub(crate) struct SendMessageInput {
    /// The conversation to send to.
    pub(crate) conversation_id: ID,
    /// The text: 1..4000 characters once trimmed; no control characters but newlines and tabs.
    pub(crate) body: String,
    /// Chosen by the client, unique per message (a UUID); retrying with it returns the same message.
    pub(crate) client_message_id: String,
}
