//! A conversation's history: pages in seq order, forward from a seq or back from the newest, narrowed
//! to a time range. Cursors are seqs.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::domain::cursor::seq_cursor;
use crate::entities::message;
use crate::error::{Error, Result};
use crate::services::chat::conversation::membership;

/// Which page of history to read. Cursors are seqs.
#[derive(Clone, Debug, Default)]
pub(crate) struct HistoryQuery {
    pub(crate) first: Option<i32>,
    pub(crate) after: Option<String>,
    pub(crate) last: Option<i32>,
    pub(crate) before: Option<String>,
    /// Only messages sent at or after this time.
    pub(crate) since: Option<chrono::DateTime<chrono::Utc>>,
    /// Only messages sent before this time.
    pub(crate) until: Option<chrono::DateTime<chrono::Utc>>,
}

/// A page of history in seq order.
#[derive(Clone, Debug)]
pub(crate) struct HistoryPage {
    pub(crate) messages: Vec<message::Model>,
    pub(crate) has_next_page: bool,
    pub(crate) has_previous_page: bool,
}

/// Most messages one page may ask for; and how many a page without `first` or `last` holds.
pub(crate) const MAX_PAGE: i32 = 100;
const DEFAULT_PAGE: i32 = 20;

/// A page of a conversation's history for a member: forward with `first`/`after`, or the newest
/// page first with `last`/`before` (the default: the last 20); `since`/`until` narrow it in time.
pub(crate) async fn history(
    db: &impl ConnectionTrait,
    viewer: i64,
    conversation_id: i64,
    query: &HistoryQuery,
) -> Result<HistoryPage> {
    membership(db, conversation_id, viewer).await?;
    if query.first.is_some() && query.last.is_some() {
        return Err(Error::bad_input("first", "give first or last, not both"));
    }
    let after = seq_cursor("after", query.after.as_deref())?;
    let before = seq_cursor("before", query.before.as_deref())?;
    let mut select =
        message::Entity::find().filter(message::Column::ConversationId.eq(conversation_id));
    if let Some(after) = after {
        select = select.filter(message::Column::Seq.gt(after));
    }
    if let Some(before) = before {
        select = select.filter(message::Column::Seq.lt(before));
    }
    if let Some(since) = query.since {
        select = select.filter(message::Column::CreatedAt.gte(since));
    }
    if let Some(until) = query.until {
        select = select.filter(message::Column::CreatedAt.lt(until));
    }
    let forward = query.first.is_some();
    let size = query.first.or(query.last).unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&size) {
        let field = if forward { "first" } else { "last" };
        return Err(Error::bad_input(
            field,
            format!("must be between 1 and {MAX_PAGE}"),
        ));
    }
    let select = if forward {
        select.order_by_asc(message::Column::Seq)
    } else {
        select.order_by_desc(message::Column::Seq)
    };
    let mut messages = select.limit(size as u64 + 1).all(db).await?;
    let more = messages.len() > size as usize;
    messages.truncate(size as usize);
    if !forward {
        messages.reverse();
    }
    Ok(HistoryPage {
        messages,
        has_next_page: if forward { more } else { before.is_some() },
        has_previous_page: if forward {
            after.is_some_and(|a| a > 0)
        } else {
            more
        },
    })
}
