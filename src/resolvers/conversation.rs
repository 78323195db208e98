//! Conversations: `conversations`, `conversation`; `createConversation`, `addMembers`,
//! `leaveConversation`.
use async_graphql::{Context, ID, Object, Result, ResultExt};

use crate::domain::id::{parse_id, parse_ids};
use crate::loaders::prefetch_conversations;
use crate::schema::connection::{Connection, selects_total_count};
use crate::schema::context::{state, viewer};
use crate::schema::conversation::{Conversation, CreateConversationInput};
use crate::schema::guard::SignedInGuard;
use crate::services::chat::conversation;

/// The viewer's conversations.
#[derive(Default)]
pub(crate) struct ConversationQuery;

#[Object]
impl ConversationQuery {
    /// The signed-in user's conversations, newest activity first.
    #[graphql(
        guard = "SignedInGuard",
        complexity = "first.max(0) as usize * child_complexity"
    )]
    async fn conversations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1..100.", default = 20)] first: i32,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<Connection<Conversation>> {
        let user_id = viewer(ctx).user_id().extend()?;
        let db = &state(ctx)?.db;
        let page = conversation::conversations_of(db, user_id, first, after.as_deref())
            .await
            .extend()?;
        let total = if selects_total_count(ctx) {
            conversation::count_conversations(db, user_id)
                .await
                .extend()?
        } else {
            0
        };
        prefetch_conversations(ctx, &page).await?;
        Ok(Connection::new(page, after.is_some(), total, |c| {
            Conversation {
                conversation: c,
                viewer: user_id,
            }
        }))
    }

    /// One conversation; members only (FORBIDDEN for others, NOT_FOUND if none).
    #[graphql(guard = "SignedInGuard")]
    async fn conversation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The conversation's id.")] id: ID,
    ) -> Result<Conversation> {
        let user_id = viewer(ctx).user_id().extend()?;
        let id = parse_id("id", &id).extend()?;
        let (found, _) = conversation::membership(&state(ctx)?.db, id, user_id)
            .await
            .extend()?;
        Ok(Conversation {
            conversation: found,
            viewer: user_id,
        })
    }
}

/// Starting, joining and leaving conversations.
#[derive(Default)]
pub(crate) struct ConversationMutation;

#[Object]
impl ConversationMutation {
    /// Starts a conversation with `memberIds` (the other members). Exactly one other member makes
    /// a DIRECT conversation, and asking again for the same pair returns the same conversation;
    /// more make a GROUP.
    #[graphql(guard = "SignedInGuard")]
    async fn create_conversation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The other members and a group's title.")] input: CreateConversationInput,
    ) -> Result<Conversation> {
        let user_id = viewer(ctx).user_id().extend()?;
        let members =
            parse_ids("memberIds", &input.member_ids, conversation::MAX_MEMBERS).extend()?;
        let state = state(ctx)?;
        let created = conversation::create_conversation(
            &state.db,
            state.bus.as_ref(),
            user_id,
            &members,
            input.title,
        )
        .await
        .extend()?;
        Ok(Conversation {
            conversation: created,
            viewer: user_id,
        })
    }

    /// Adds users to a GROUP conversation the viewer is in (FORBIDDEN otherwise; CONFLICT for a
    /// DIRECT one). They can read the history; what was sent before they joined counts as read.
    #[graphql(guard = "SignedInGuard")]
    async fn add_members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The group to add them to.")] conversation_id: ID,
        #[graphql(desc = "The users to add.")] user_ids: Vec<ID>,
    ) -> Result<Conversation> {
        let user_id = viewer(ctx).user_id().extend()?;
        let id = parse_id("conversationId", &conversation_id).extend()?;
        let users = parse_ids("userIds", &user_ids, conversation::MAX_MEMBERS).extend()?;
        let state = state(ctx)?;
        let updated = conversation::add_members(&state.db, state.bus.as_ref(), user_id, id, &users)
            .await
            .extend()?;
        Ok(Conversation {
            conversation: updated,
            viewer: user_id,
        })
    }

    /// Leaves a conversation: no more reading, sending or receiving there. True once left.
    #[graphql(guard = "SignedInGuard")]
    async fn leave_conversation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The conversation to leave.")] conversation_id: ID,
    ) -> Result<bool> {
        let user_id = viewer(ctx).user_id().extend()?;
        let id = parse_id("conversationId", &conversation_id).extend()?;
        let state = state(ctx)?;
        conversation::leave_conversation(&state.db, state.bus.as_ref(), user_id, id)
            .await
            .extend()?;
        Ok(true)
    }
}
