//! Loading, in one batch per relation, what a page's selection will ask of its rows, so a page costs
//! the same statements whatever its size. Left to themselves the loaders' batches depend on timing:
//! the loader's delay can fire on another worker thread before every row has asked.
use async_graphql::Context;

use super::{Loaders, gql_error};
use crate::domain::page::Page;
use crate::entities::conversation;

/// What the selection under `edges.node` will ask of these books: authors, categories, stock.
pub(crate) async fn prefetch_books(
    ctx: &Context<'_>,
    book_ids: &[i64],
) -> Result<(), async_graphql::Error> {
    if book_ids.is_empty() {
        return Ok(());
    }
    let loaders = ctx.data::<Loaders>()?;
    let node = ctx.look_ahead().field("edges").field("node");
    let ids = || book_ids.iter().copied();
    let authors = async {
        if node.field("authors").exists() {
            loaders.authors_of_book.load_many(ids()).await.map(drop)
        } else {
            Ok(())
        }
    };
    let categories = async {
        if node.field("categories").exists() {
            loaders.categories_of_book.load_many(ids()).await.map(drop)
        } else {
            Ok(())
        }
    };
    let stock = async {
        if node.field("available").exists() || node.field("stockStatus").exists() {
            loaders.stock_of_book.load_many(ids()).await.map(drop)
        } else {
            Ok(())
        }
    };
    let (a, c, s) = tokio::join!(authors, categories, stock);
    a.and(c).and(s).map_err(gql_error)
}

/// What a page of conversations shows: members, last messages, and the users (with their presence)
/// behind both.
pub(crate) async fn prefetch_conversations(
    ctx: &Context<'_>,
    page: &Page<conversation::Model>,
) -> Result<(), async_graphql::Error> {
    let loaders = ctx.data::<Loaders>()?;
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
