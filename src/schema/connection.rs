//! Pieces shared by the Relay connections.
use async_graphql::SimpleObject;

/// Where a page sits in its list.
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct PageInfo {
    /// Whether more items follow this page.
    pub has_next_page: bool,
    /// Whether items precede this page.
    pub has_previous_page: bool,
    /// Cursor of the first item on the page.
    pub start_cursor: Option<String>,
    /// Cursor of the last item on the page: pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

impl PageInfo {
    /// Page info for a forward page: `cursors` in order, and whether more follow.
    pub fn forward<'a>(
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
