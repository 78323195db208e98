//! Relay connections: one generic page type for the lists that are plain pages of nodes (orders,
//! conversations, reviews), and the `PageInfo` every connection shares. Books, search results and
//! history have their own connections, for what they add: a cached count, scores and facets, paging
//! both ways.
use std::borrow::Cow;

use async_graphql::{OutputType, SimpleObject, TypeName};

use crate::domain::page::Page;

/// Where a page sits in its list.
#[derive(SimpleObject, Clone, Debug, Default)]
pub(crate) struct PageInfo {
    /// Whether more items follow this page.
    pub(crate) has_next_page: bool,
    /// Whether items precede this page.
    pub(crate) has_previous_page: bool,
    /// Cursor of the first item on the page.
    pub(crate) start_cursor: Option<String>,
    /// Cursor of the last item on the page: pass it as `after` for the next page.
    pub(crate) end_cursor: Option<String>,
}

impl PageInfo {
    /// Page info for a forward page: `cursors` in order, whether more follow, and whether the page
    /// was asked for `after` a cursor.
    pub(crate) fn forward<'a>(
        cursors: impl DoubleEndedIterator<Item = &'a String> + Clone,
        has_next_page: bool,
        after: bool,
    ) -> Self {
        PageInfo {
            has_next_page,
            has_previous_page: after,
            start_cursor: cursors.clone().next().cloned(),
            end_cursor: cursors.last().cloned(),
        }
    }
}

/// A type listed in a [`Connection`]: its name gives the connection's and the edges' names.
pub(crate) trait Node: OutputType {
    /// "Order" lists as "OrderConnection" with "OrderEdge"s.
    const NAME: &'static str;
}

/// A page of a list, in the order the field that returns it states: the items with the cursors to
/// go on from, where the page sits, and how many items there are over every page.
#[derive(SimpleObject)]
#[graphql(name_type)]
pub(crate) struct Connection<N: Node> {
    /// How many items the list holds over all its pages: the same list the field returns (the
    /// viewer's orders, a book's reviews…), counted whole.
    total_count: u64,
    /// Where this page sits: pass `endCursor` as `after` for the next page.
    page_info: PageInfo,
    /// The items on this page, in the list's order.
    edges: Vec<Edge<N>>,
}

impl<N: Node> TypeName for Connection<N> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", N::NAME).into()
    }
}

/// One item of a page, and the cursor that points just after it.
#[derive(SimpleObject)]
#[graphql(name_type)]
pub(crate) struct Edge<N: Node> {
    /// Pass as `after` to continue the list after this item.
    cursor: String,
    /// The item at this place in the list.
    node: N,
}

impl<N: Node> TypeName for Edge<N> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Edge", N::NAME).into()
    }
}

impl<N: Node> Connection<N> {
    /// The connection of `page` (read `after` a cursor or from the start), its rows made nodes by
    /// `node`, with `total_count` items over all pages.
    pub(crate) fn new<T>(
        page: Page<T>,
        after: bool,
        total_count: u64,
        node: impl Fn(T) -> N,
    ) -> Self {
        let page_info =
            PageInfo::forward(page.items.iter().map(|(c, _)| c), page.has_next_page, after);
        Connection {
            total_count,
            page_info,
            edges: page
                .items
                .into_iter()
                .map(|(cursor, row)| Edge {
                    cursor,
                    node: node(row),
                })
                .collect(),
        }
    }
}

/// Whether the connection a field returns is asked for its `totalCount`: counting costs a
/// statement, spent only when asked.
pub(crate) fn selects_total_count(ctx: &async_graphql::Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}
