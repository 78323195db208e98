//! `Conversation`, its members, and the conversations connection.
use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, Result, ResultExt, SimpleObject};

use crate::entities::{conversation, conversation_member};
use crate::error::Error;
use crate::loaders::{Loaders, gql_error};
use crate::resolvers::state;
use crate::schema::User;
use crate::schema::connection::PageInfo;
use crate::schema::message::{Message, MessageConnection};
use crate::services::conversation::ConversationKind;
use crate::services::message::{self, HistoryQuery};
use crate::services::page::Page;

/// A conversation the viewer is a member of.
pub struct Conversation {
    pub(crate) conversation: conversation::Model,
    /// Who is looking: their watermarks give `unreadCount`.
    pub(crate) viewer: i64,
}

impl Conversation {
    async fn members(&self, ctx: &Context<'_>) -> Result<Arc<Vec<conversation_member::Model>>> {
        let members = ctx
            .data_unchecked::<Loaders>()
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
        ConversationKind::from_db(&self.conversation.kind)
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
        let Some(newest) = ctx
            .data_unchecked::<Loaders>()
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
        let page = message::history(&state(ctx).db, self.viewer, self.conversation.id, &query)
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
pub struct ConversationMember(pub conversation_member::Model);

/// A member of a conversation.
#[Object]
impl ConversationMember {
    /// The member.
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        ctx.data_unchecked::<Loaders>()
            .user_by_id
            .load_one(self.0.user_id)
            .await
            .map_err(gql_error)?
            .map(User::from)
            .ok_or(Error::NotFound("user"))
            .extend()
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

/// A page of the viewer's conversations, newest activity first.
pub struct ConversationConnection {
    pub(crate) page: Page<conversation::Model>,
    pub(crate) total: u64,
    pub(crate) after: bool,
    pub(crate) viewer: i64,
}

/// A page of the viewer's conversations, newest activity first.
#[Object]
impl ConversationConnection {
    /// How many conversations the viewer is in.
    async fn total_count(&self) -> u64 {
        self.total
    }

    /// Where this page sits.
    async fn page_info(&self) -> PageInfo {
        PageInfo::forward(
            self.page.items.iter().map(|(c, _)| c),
            self.page.has_next_page,
            self.after,
        )
    }

    /// The conversations on this page.
    async fn edges(&self) -> Vec<ConversationEdge> {
        self.page
            .items
            .iter()
            .map(|(cursor, c)| ConversationEdge {
                cursor: cursor.clone(),
                node: Conversation {
                    conversation: c.clone(),
                    viewer: self.viewer,
                },
            })
            .collect()
    }
}

/// A conversation and its cursor.
#[derive(SimpleObject)]
pub struct ConversationEdge {
    /// Pass as `after` to continue after this conversation.
    pub cursor: String,
    /// The conversation.
    pub node: Conversation,
}

/// A conversation to start.
#[derive(InputObject)]
pub struct CreateConversationInput {
    /// The other members: exactly one makes a DIRECT conversation (the same one every time for a
    /// pair), more make a GROUP.
    pub member_ids: Vec<ID>,
    /// A group's title (ignored for a DIRECT conversation).
    pub title: Option<String>,
}
