//! Read receipts: a member's watermarks, after they moved.
use async_graphql::{Context, ID, Object, Result, SimpleObject};

use crate::entities::conversation_member;
use crate::schema::user::{User, load_user};
use crate::services::chat::receipt::Receipt;

/// A member's watermarks after `markDelivered` or `markRead`.
#[derive(SimpleObject)]
pub(crate) struct Watermarks {
    /// Every message up to this seq has reached the member.
    pub(crate) last_delivered_seq: i64,
    /// Every message up to this seq has been read by the member.
    pub(crate) last_read_seq: i64,
}

/// A member's watermarks moved.
pub(crate) struct ReadReceipt(pub(crate) Receipt);

/// A member's watermarks moved.
#[Object]
impl ReadReceipt {
    /// The conversation the receipt is for.
    async fn conversation_id(&self) -> ID {
        ID(self.0.conversation_id.to_string())
    }

    /// The member whose watermarks moved.
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        load_user(ctx, self.0.user_id).await
    }

    /// Every message up to this seq has reached the member.
    async fn last_delivered_seq(&self) -> i64 {
        self.0.last_delivered_seq
    }

    /// Every message up to this seq has been read by the member.
    async fn last_read_seq(&self) -> i64 {
        self.0.last_read_seq
    }
}

impl From<conversation_member::Model> for Watermarks {
    fn from(member: conversation_member::Model) -> Self {
        Watermarks {
            last_delivered_seq: member.last_delivered_seq,
            last_read_seq: member.last_read_seq,
        }
    }
}
