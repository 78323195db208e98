//! Conversations and their members. A DIRECT conversation is one per pair of users (asking again
//! returns the same one); a GROUP has a title and members who can add others or leave. Only
//! members read, send or see members: everyone else gets FORBIDDEN.
use std::collections::BTreeSet;

use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::bus::{Event, EventBus, topic};
use crate::db::begin_write;
use crate::domain::cursor::{activity_after, activity_cursor};
use crate::domain::page::{Page, page_size};
use crate::domain::status::ConversationKind;
use crate::entities::{conversation, conversation_member, user};
use crate::error::{Error, Result};

/// Most members a conversation may have.
pub(crate) const MAX_MEMBERS: usize = 200;

/// Starts a conversation between `creator` and `member_ids` (the others). Exactly one other member
/// makes a DIRECT conversation, the same one however often it is asked for (a title is ignored
/// there); more make a GROUP.
pub(crate) async fn create_conversation(
    db: &DatabaseConnection,
    bus: &dyn EventBus,
    creator: i64,
    member_ids: &[i64],
    title: Option<String>,
) -> Result<conversation::Model> {
    let others: BTreeSet<i64> = member_ids
        .iter()
        .copied()
        .filter(|id| *id != creator)
        .collect();
    if others.is_empty() || others.len() >= MAX_MEMBERS {
        return Err(Error::bad_input(
            "memberIds",
            format!("must name 1 to {} other users", MAX_MEMBERS - 1),
        ));
    }
    let title = title.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    if title.as_ref().is_some_and(|t| t.chars().count() > 200) {
        return Err(Error::bad_input("title", "must be at most 200 characters"));
    }
    let found = user::Entity::find()
        .filter(user::Column::Id.is_in(others.iter().copied()))
        .count(db)
        .await?;
    if found as usize != others.len() {
        return Err(Error::NotFound("user"));
    }
    let now = chrono::Utc::now();
    let txn = begin_write(db).await?;
    let direct_key = (others.len() == 1).then(|| {
        let other = *others.iter().next().unwrap_or(&creator);
        format!("{}:{}", creator.min(other), creator.max(other))
    });
    let kind = if direct_key.is_some() {
        ConversationKind::Direct
    } else {
        ConversationKind::Group
    };
    // For a pair, the unique direct key decides: a concurrent request for the same pair waits for
    // this insert and then finds the conversation it made.
    let inserted = conversation::Entity::insert(conversation::ActiveModel {
        kind: Set(kind),
        title: Set(if direct_key.is_some() { None } else { title }),
        direct_key: Set(direct_key.clone()),
        last_seq: Set(0),
        last_activity_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([conversation::Column::DirectKey])
    .exec(&txn)
    .await?;
    let created = match inserted {
        sea_orm::TryInsertResult::Inserted(result) => result.last_insert_id,
        _ => {
            drop(txn);
            return conversation::Entity::find()
                .filter(conversation::Column::DirectKey.eq(direct_key))
                .one(db)
                .await?
                .ok_or(Error::NotFound("conversation"));
        }
    };
    let everyone = others.iter().copied().chain([creator]);
    conversation_member::Entity::insert_many(everyone.map(|user_id| {
        conversation_member::ActiveModel {
            conversation_id: Set(created),
            user_id: Set(user_id),
            last_delivered_seq: Set(0),
            last_read_seq: Set(0),
            joined_at: Set(now),
        }
    }))
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    let everyone: Vec<i64> = others.iter().copied().chain([creator]).collect();
    announce_membership(bus, created, &everyone, true).await;
    find_conversation(db, created).await
}

/// Tells the users' subscriptions (on every instance) that they joined or left a conversation.
/// After the commit; a lost announcement only delays them (they also check membership).
async fn announce_membership(
    bus: &dyn EventBus,
    conversation_id: i64,
    users: &[i64],
    member: bool,
) {
    for &user_id in users {
        let event = Event::MembershipChanged {
            conversation_id,
            user_id,
            member,
        };
        for topic in [topic::user(user_id), topic::conversation(conversation_id)] {
            if let Err(err) = bus.publish(&topic, &event).await {
                tracing::warn!(error = %err, conversation_id, "could not announce a membership");
            }
        }
    }
}

/// The conversation with this id (NOT_FOUND if none).
pub(crate) async fn find_conversation(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<conversation::Model> {
    conversation::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("conversation"))
}

/// The conversation and `user_id`'s membership of it: NOT_FOUND if there is no such conversation,
/// FORBIDDEN if the user is not a member.
pub(crate) async fn membership(
    db: &impl ConnectionTrait,
    conversation_id: i64,
    user_id: i64,
) -> Result<(conversation::Model, conversation_member::Model)> {
    let conversation = find_conversation(db, conversation_id).await?;
    let member = conversation_member::Entity::find_by_id((conversation_id, user_id))
        .one(db)
        .await?
        .ok_or(Error::Forbidden)?;
    Ok((conversation, member))
}

/// The members of a conversation, by when they joined.
pub(crate) async fn members_of(
    db: &impl ConnectionTrait,
    conversation_id: i64,
) -> Result<Vec<conversation_member::Model>> {
    Ok(conversation_member::Entity::find()
        .filter(conversation_member::Column::ConversationId.eq(conversation_id))
        .order_by_asc(conversation_member::Column::JoinedAt)
        .order_by_asc(conversation_member::Column::UserId)
        .all(db)
        .await?)
}

/// Adds users to a GROUP conversation `by` is in. New members start with everything so far counted
/// as read (the history stays theirs to scroll). Adding a member twice changes nothing.
pub(crate) async fn add_members(
    db: &DatabaseConnection,
    bus: &dyn EventBus,
    by: i64,
    conversation_id: i64,
    user_ids: &[i64],
) -> Result<conversation::Model> {
    let (conversation, _) = membership(db, conversation_id, by).await?;
    if conversation.kind == ConversationKind::Direct {
        return Err(Error::Conflict(
            "a direct conversation has two members; start a group instead".into(),
        ));
    }
    let new: BTreeSet<i64> = user_ids.iter().copied().collect();
    if new.is_empty() || new.len() >= MAX_MEMBERS {
        return Err(Error::bad_input(
            "userIds",
            format!("must name 1 to {} users", MAX_MEMBERS - 1),
        ));
    }
    let found = user::Entity::find()
        .filter(user::Column::Id.is_in(new.iter().copied()))
        .count(db)
        .await?;
    if found as usize != new.len() {
        return Err(Error::NotFound("user"));
    }
    let now = chrono::Utc::now();
    let seen = conversation.last_seq;
    let already: BTreeSet<i64> = members_of(db, conversation_id)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    conversation_member::Entity::insert_many(new.iter().map(|user_id| {
        conversation_member::ActiveModel {
            conversation_id: Set(conversation_id),
            user_id: Set(*user_id),
            last_delivered_seq: Set(seen),
            last_read_seq: Set(seen),
            joined_at: Set(now),
        }
    }))
    .on_conflict_do_nothing_on([
        conversation_member::Column::ConversationId,
        conversation_member::Column::UserId,
    ])
    .exec_without_returning(db)
    .await?;
    if members_of(db, conversation_id).await?.len() > MAX_MEMBERS {
        return Err(Error::Conflict(format!(
            "a conversation has at most {MAX_MEMBERS} members"
        )));
    }
    let joined: Vec<i64> = new.difference(&already).copied().collect();
    announce_membership(bus, conversation_id, &joined, true).await;
    find_conversation(db, conversation_id).await
}

/// `user_id` leaves the conversation: no more reading, sending or receiving there.
pub(crate) async fn leave_conversation(
    db: &DatabaseConnection,
    bus: &dyn EventBus,
    user_id: i64,
    conversation_id: i64,
) -> Result<()> {
    membership(db, conversation_id, user_id).await?;
    conversation_member::Entity::delete_by_id((conversation_id, user_id))
        .exec(db)
        .await?;
    announce_membership(bus, conversation_id, &[user_id], false).await;
    Ok(())
}

/// A page of the user's conversations, newest activity first (see `activity_cursor`).
pub(crate) async fn conversations_of(
    db: &impl ConnectionTrait,
    user_id: i64,
    first: i32,
    after: Option<&str>,
) -> Result<Page<conversation::Model>> {
    let first = page_size(first)?;
    let mine = Query::select()
        .column(conversation_member::Column::ConversationId)
        .from(conversation_member::Entity)
        .and_where(conversation_member::Column::UserId.eq(user_id))
        .to_owned();
    let mut query = conversation::Entity::find()
        .filter(conversation::Column::Id.in_subquery(mine))
        .order_by_desc(conversation::Column::LastActivityAt)
        .order_by_desc(conversation::Column::Id)
        .limit(first + 1);
    if let Some(cursor) = after {
        let (at, id) = activity_after(cursor)?;
        query = query.filter(
            Condition::any()
                .add(conversation::Column::LastActivityAt.lt(at))
                .add(
                    Condition::all()
                        .add(conversation::Column::LastActivityAt.eq(at))
                        .add(conversation::Column::Id.lt(id)),
                ),
        );
    }
    let rows = query.all(db).await?;
    Ok(Page::of(rows, first, |c| {
        activity_cursor(c.last_activity_at, c.id)
    }))
}

/// How many conversations the user is in.
pub(crate) async fn count_conversations(db: &impl ConnectionTrait, user_id: i64) -> Result<u64> {
    Ok(conversation_member::Entity::find()
        .filter(conversation_member::Column::UserId.eq(user_id))
        .count(db)
        .await?)
}
