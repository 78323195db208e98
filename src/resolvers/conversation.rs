//! Conversations: `conversations`, `conversation`; `createConversation`, `addMembers`,
//! `leaveConversation`.
use async_graphql::{Context, ID, Object, Result, ResultExt};

use super::{state, viewer};
use crate::auth::SignedInGuard;
use crate::loaders::{Loaders, gql_error};
use crate::schema::{Conversation, ConversationConnection, CreateConversationInput};
use crate::services::conversation;
use crate::services::id::{parse_id, parse_ids};
use crate::services::page::page_size;

/// Loads, one batch per relation, what a page of conversations shows: members, last messages, and
/// the users (with their presence) behind both, so a page costs the same statements whatever its
/// size. Left to themselves the loaders' batches depend on timing (see `loaders::prefetch_books`).
async fn prefetch(
    ctx: &Context<'_>,
    page: &crate::services::page::Page<crate::entities::conversation::Model>,
) -> Result<()> {
    let loaders = ctx.data_unchecked::<Loaders>();
    let ids = page.items.iter().map(|(_, c)| c.id);
    let last = page.items.iter().map(|(_, c)| (c.id, c.last_seq));
    let (members, messages) = tokio::join!(
        loaders.members_of_conversation.load_many(ids),
        loaders.last_message_of_conversation.load_many(last)
    );
    let mut users: Vec<i64> = members
        .map_err(gql_error)?
        .values()
        .flatten()
        .map(|m| m.user_id)
        .collect();
    users.extend(messages.map_err(gql_error)?.values().map(|m| m.sender_id));
    users.sort_unstable();
    users.dedup();
    let (found, presence) = tokio::join!(
        loaders.user_by_id.load_many(users.iter().copied()),
        loaders.presence_of_user.load_many(users.iter().copied())
    );
    found.map_err(gql_error)?;
    presence.map_err(gql_error)?;
    Ok(())
}

/// Conversation queries.
#[derive(Default)]
pub struct ConversationQuery;

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
    ) -> Result<ConversationConnection> {
        let user_id = viewer(ctx).user_id().extend()?;
        let db = &state(ctx).db;
        let first = page_size(first).extend()?;
        let page = conversation::conversations_of(db, user_id, first, after.as_deref())
            .await
            .extend()?;
        let total = conversation::count_conversations(db, user_id)
            .await
            .extend()?;
        prefetch(ctx, &page).await?;
        Ok(ConversationConnection {
            page,
            total,
            after: after.is_some(),
            viewer: user_id,
        })
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
        let (found, _) = conversation::membership(&state(ctx).db, id, user_id)
            .await
            .extend()?;
        Ok(Conversation {
            conversation: found,
            viewer: user_id,
        })
    }
}

/// Conversation mutations.
#[derive(Default)]
pub struct ConversationMutation;

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
        let state = state(ctx);
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
        #[graphql(desc = "The conversation.")] conversation_id: ID,
        #[graphql(desc = "The users to add.")] user_ids: Vec<ID>,
    ) -> Result<Conversation> {
        let user_id = viewer(ctx).user_id().extend()?;
        let id = parse_id("conversationId", &conversation_id).extend()?;
        let users = parse_ids("userIds", &user_ids, conversation::MAX_MEMBERS).extend()?;
        let state = state(ctx);
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
        #[graphql(desc = "The conversation.")] conversation_id: ID,
    ) -> Result<bool> {
        let user_id = viewer(ctx).user_id().extend()?;
        let id = parse_id("conversationId", &conversation_id).extend()?;
        let state = state(ctx);
        conversation::leave_conversation(&state.db, state.bus.as_ref(), user_id, id)
            .await
            .extend()?;
        Ok(true)
    }
}
