//! Typing indicators as subscribers get them.
use async_graphql::{Context, ID, Object, Result};

use crate::schema::user::{User, load_user};

/// Someone started or stopped typing.
pub(crate) struct TypingEvent {
    pub(crate) conversation_id: i64,
    pub(crate) user_id: i64,
    pub(crate) is_typing: bool,
}

/// Someone started or stopped typing.
#[Object]
impl TypingEvent {
    /// The conversation someone types in.
    async fn conversation_id(&self) -> ID {
        ID(self.conversation_id.to_string())
    }

    /// Who is typing (or stopped).
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        load_user(ctx, self.user_id).await
    }

    /// True while they type; false when they stop, or 5 s after their last `true`.
    async fn is_typing(&self) -> bool {
        self.is_typing
    }
}
