//! `Conversation`, its members, and the conversations connection.
use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, ResultExt};

use crate::entities::{conversation, conversation_member};
use crate::loaders::gql_error;
use crate::schema::connection::{Node, PageInfo};
use crate::schema::context::{loaders, state};
use crate::schema::message::{Message, MessageConnection};
use crate::schema::user::{User, load_user};
use crate::services::chat::history::{self, HistoryQuery};

/// What kind of conversation.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::status::ConversationKind")]
pub(crate) enum ConversationKind {
    /// Two people; one such conversation per pair.
    Direct,
    /// Any number of people, with an optional title.
    Group,
}

/// A conversation the viewer is a member of.
pub(crate) struct Conversation {
    pub(crate) conversation: conversation::Model,
    /// Who is looking: their watermarks give `unreadCount`.
    pub(crate) viewer: i64,
}

impl Node for Conversation {
    const NAME: &'static str = "Conversation";
}

impl Conversation {
    async fn members(&self, ctx: &Context<'_>) -> Result<Arc<Vec<conversation_member::Model>>> {
        let members = loaders(ctx)?
            .members_of_conversation
            .load_one(self.conversation.id)
            .await
            .map_err(gql_error)?
            .unwrap_or_default();
        Ok(Arc::new(members))
    }
}

/// A conversation the viewer is a member of.
#[Object]
impl Conversation {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.conversation.id.to_string())
    }

    /// DIRECT (two people) or GROUP.
    async fn kind(&self) -> ConversationKind {
        self.conversation.kind.into()
    }

    /// A group's title, if it has one.
    async fn title(&self) -> Option<&str> {
        self.conversation.title.as_deref()
    }

    /// The members, by when they joined, with how far each has received and read.
    #[graphql(name = "members")]
    async fn member_list(&self, ctx: &Context<'_>) -> Result<Vec<ConversationMember>> {
        Ok(self
            .members(ctx)
            .await?
            .iter()
            .cloned()
            .map(ConversationMember)
            .collect())
    }

    /// The newest message, if any.
    async fn last_message(&self, ctx: &Context<'_>) -> Result<Option<Message>> {
        let Some(newest) = loaders(ctx)?
            .last_message_of_conversation
            .load_one((self.conversation.id, self.conversation.last_seq))
            .await
            .map_err(gql_error)?
        else {
            return Ok(None);
        };
        Ok(Some(Message {
            message: newest,
            members: self.members(ctx).await?,
        }))
    }

    /// Messages the viewer has not read yet (their own count as read).
    async fn unread_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let members = self.members(ctx).await?;
        let read = members
            .iter()
            .find(|m| m.user_id == self.viewer)
            .map_or(self.conversation.last_seq, |m| m.last_read_seq);
        Ok((self.conversation.last_seq - read).max(0))
    }

    /// The seq of the newest message (0 before the first).
    async fn last_seq(&self) -> i64 {
        self.conversation.last_seq
    }

    /// History: the newest page first with `last`/`before` (the default: the last 20), or forward
    /// with `first`/`after`; cursors follow seq. `since`/`until` narrow it to a time range.
    #[graphql(
        complexity = "(first.unwrap_or(0) + last.unwrap_or(20)).max(1) as usize * child_complexity"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn messages(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size going forward, 1..100.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a seq).")] after: Option<String>,
        #[graphql(desc = "Page size going back from the newest (or from `before`), 1..100.")]
        last: Option<i32>,
        #[graphql(desc = "End before this cursor (a seq).")] before: Option<String>,
        #[graphql(desc = "Only messages sent at or after this time.")] since: Option<
            chrono::DateTime<chrono::Utc>,
        >,
        #[graphql(desc = "Only messages sent before this time.")] until: Option<
            chrono::DateTime<chrono::Utc>,
        >,
    ) -> Result<MessageConnection> {
        let query = HistoryQuery {
            first,
            after,
            last,
            before,
            since,
            until,
        };
        let page = history::history(&state(ctx)?.db, self.viewer, self.conversation.id, &query)
            .await
            .extend()?;
        let members = self.members(ctx).await?;
        let cursors: Vec<String> = page.messages.iter().map(|m| m.seq.to_string()).collect();
        Ok(MessageConnection {
            page_info: PageInfo {
                has_next_page: page.has_next_page,
                has_previous_page: page.has_previous_page,
                start_cursor: cursors.first().cloned(),
                end_cursor: cursors.last().cloned(),
            },
            messages: page
                .messages
                .into_iter()
                .map(|message| Message {
                    message,
                    members: members.clone(),
                })
                .collect(),
        })
    }
}

/// A member of a conversation.
pub(crate) struct ConversationMember(pub(crate) conversation_member::Model);

/// A member of a conversation.
#[Object]
impl ConversationMember {
    /// The user who is a member.
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        load_user(ctx, self.0.user_id).await
    }

    /// Every message up to this seq has reached one of the member's devices.
    async fn last_delivered_seq(&self) -> i64 {
        self.0.last_delivered_seq
    }

    /// Every message up to this seq has been read by the member.
    async fn last_read_seq(&self) -> i64 {
        self.0.last_read_seq
    }

    /// When the member joined.
    async fn joined_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.joined_at
    }
}

/// A conversation to start.
#[derive(InputObject)]
pub(crate) struct CreateConversationInput {
    /// The other members: exactly one makes a DIRECT conversation (the same one every time for a
    /// pair), more make a GROUP.
    pub(crate) member_ids: Vec<ID>,
    /// A group's title (ignored for a DIRECT conversation).
    pub(crate) title: Option<String>,
}
