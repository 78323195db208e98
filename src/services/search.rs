//! Searching the catalog: checks the request, asks the index, and pages by offset (relevance order
//! is not a stable key, so search cursors are positions in the ranking).
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{Error, Result};
use crate::search::{SearchIndex, SearchRequest, SearchResults, Suggestion};
use crate::services::catalog::BookFilter;
use crate::services::page::page_size;

/// Longest query accepted.
pub const MAX_QUERY_LEN: usize = 200;

/// The cursor after the hit at `position` (0-based) of a ranking.
pub fn cursor_at(position: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("search:{position}"))
}

fn offset_after(cursor: &str) -> Result<usize> {
    URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|s| {
            s.strip_prefix("search:")
                .and_then(|n| n.parse::<usize>().ok())
        })
        .map(|position| position + 1)
        .ok_or_else(|| Error::bad_input("after", "is not a cursor of this search"))
}

/// A page of books matching `text`, best first, with the total and category facets.
pub async fn search_books(
    index: &dyn SearchIndex,
    text: &str,
    filter: BookFilter,
    first: i32,
    after: Option<&str>,
) -> Result<(usize, SearchResults)> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::bad_input("query", "must not be empty"));
    }
    if text.chars().count() > MAX_QUERY_LEN {
        return Err(Error::bad_input(
            "query",
            format!("must be at most {MAX_QUERY_LEN} characters"),
        ));
    }
    let limit = page_size(first)? as usize;
    let offset = after.map(offset_after).transpose()?.unwrap_or(0);
    let request = SearchRequest {
        text: text.to_owned(),
        filter,
        offset,
        limit,
    };
    Ok((offset, index.search(&request).await?))
}

/// Type-ahead suggestions for `prefix`, best first.
pub async fn suggest(index: &dyn SearchIndex, prefix: &str, first: i32) -> Result<Vec<Suggestion>> {
    let prefix = prefix.trim();
    if prefix.chars().count() > MAX_QUERY_LEN {
        return Err(Error::bad_input(
            "prefix",
            format!("must be at most {MAX_QUERY_LEN} characters"),
        ));
    }
    if !(1..=20).contains(&first) {
        return Err(Error::bad_input("first", "must be between 1 and 20"));
    }
    if prefix.is_empty() {
        return Ok(Vec::new());
    }
    index.suggest(prefix, first as usize).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_cursor_points_after_its_position() {
        assert_eq!(offset_after(&cursor_at(0)).unwrap(), 1);
        assert_eq!(offset_after(&cursor_at(41)).unwrap(), 42);
        assert!(offset_after("nope").is_err());
    }
}
