//! Page cursors: the opaque strings a client passes back as `after` (or `before`) to continue a
//! list. Each list has its own kind, and a cursor of one list is BAD_USER_INPUT in another.
//! Keyset cursors carry the sort key and id of the last row seen, so a list never skips or repeats
//! a row while others are inserted or deleted.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::domain::book::BookSort;
use crate::error::{Error, Result};

/// Where a page of books ends: the sort it belongs to, the last book's sort key, and its id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookCursor {
    #[serde(rename = "s")]
    pub sort: BookSort,
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    pub key: Option<SortKey>,
    #[serde(rename = "i")]
    pub id: i64,
}

/// A sort key value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SortKey {
    Int(i64),
    Text(String),
}

impl BookCursor {
    /// The opaque string clients pass back.
    pub(crate) fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Reads a cursor this server issued for `sort`; anything else is BAD_USER_INPUT on `after`.
    pub(crate) fn decode(value: &str, sort: BookSort) -> Result<BookCursor> {
        let bad = || Error::bad_input("after", "is not a cursor of this list and order");
        let bytes = URL_SAFE_NO_PAD.decode(value.trim()).map_err(|_| bad())?;
        let cursor: BookCursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        let key_fits = matches!(
            (cursor.sort, &cursor.key),
            (BookSort::Title, Some(SortKey::Text(_)))
                | (
                    BookSort::PriceAsc | BookSort::PriceDesc | BookSort::Rating,
                    Some(SortKey::Int(_))
                )
                | (BookSort::Newest, None)
        );
        if cursor.sort != sort || !key_fits {
            return Err(bad());
        }
        Ok(cursor)
    }
}

/// The cursor after the hit at `position` (0-based) of a search ranking. Relevance is not a stable
/// key, so search cursors are positions.
pub(crate) fn search_cursor(position: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("search:{position}"))
}

/// The offset of the hit after a search cursor.
pub(crate) fn search_offset_after(cursor: &str) -> Result<usize> {
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

/// The cursor of a row listed newest id first (orders): its id.
pub(crate) fn id_cursor(id: i64) -> String {
    id.to_string()
}

/// The id an [`id_cursor`] points after.
pub(crate) fn id_after(cursor: &str) -> Result<i64> {
    cursor
        .parse()
        .map_err(|_| Error::bad_input("after", "is not a cursor from this list"))
}

/// The cursor of a review (listed newest first).
pub(crate) fn review_cursor(id: i64) -> String {
    format!("r{id}")
}

/// The review id a [`review_cursor`] points after.
pub(crate) fn review_after(cursor: &str) -> Result<i64> {
    cursor
        .strip_prefix('r')
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| Error::bad_input("after", "is not a cursor of this list"))
}

/// The cursor of a conversation in the list ordered by activity: its activity time (microseconds)
/// and id, so a conversation that becomes active again while paging moves to the front without
/// repeating on a later page.
pub(crate) fn activity_cursor(at: chrono::DateTime<chrono::Utc>, id: i64) -> String {
    format!("{}:{id}", at.timestamp_micros())
}

/// The activity time and id an [`activity_cursor`] points after.
pub(crate) fn activity_after(cursor: &str) -> Result<(chrono::DateTime<chrono::Utc>, i64)> {
    let bad = || Error::bad_input("after", "is not a cursor from this list");
    let (micros, id) = cursor.split_once(':').ok_or_else(bad)?;
    let at = chrono::DateTime::from_timestamp_micros(micros.parse().map_err(|_| bad())?)
        .ok_or_else(bad)?;
    Ok((at, id.parse().map_err(|_| bad())?))
}

/// A history cursor is the message's seq; `field` names the argument that carried it.
pub(crate) fn seq_cursor(field: &str, value: Option<&str>) -> Result<Option<i64>> {
    value
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| Error::bad_input(field, "is not a cursor from this conversation"))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_book_cursor_only_fits_the_order_it_was_made_for() {
        let cursor = BookCursor {
            sort: BookSort::PriceAsc,
            key: Some(SortKey::Int(999)),
            id: 7,
        };
        let encoded = cursor.encode();
        assert_eq!(
            BookCursor::decode(&encoded, BookSort::PriceAsc).unwrap(),
            cursor
        );
        assert!(BookCursor::decode(&encoded, BookSort::Title).is_err());
        assert!(BookCursor::decode("garbage", BookSort::PriceAsc).is_err());
    }

    #[test]
    fn a_search_cursor_points_after_its_position() {
        assert_eq!(search_offset_after(&search_cursor(0)).unwrap(), 1);
        assert_eq!(search_offset_after(&search_cursor(41)).unwrap(), 42);
        assert!(search_offset_after("nope").is_err());
    }

    #[test]
    fn an_activity_cursor_round_trips_and_refuses_others() {
        let at = chrono::DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        assert_eq!(activity_after(&activity_cursor(at, 9)).unwrap(), (at, 9));
        assert!(activity_after("9").is_err());
        assert!(review_after(&id_cursor(3)).is_err());
    }
}
