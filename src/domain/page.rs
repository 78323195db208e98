//! Pages of a list, shared by every paginated field: the size a client may ask for, and a page read
//! with one row more than asked so it knows whether more follow without counting.
use crate::error::{Error, Result};

/// Largest page a client may ask for.
pub(crate) const MAX_PAGE: u64 = 100;

/// One page of a list.
#[derive(Debug)]
pub struct Page<T> {
    /// Each item with the cursor that points just after it.
    pub items: Vec<(String, T)>,
    /// Whether more items follow the last one.
    pub has_next_page: bool,
}

impl<T> Page<T> {
    /// The page made of `rows`, read with one row more than `first` to learn whether more follow.
    pub(crate) fn of(mut rows: Vec<T>, first: u64, cursor: impl Fn(&T) -> String) -> Self {
        let has_next_page = rows.len() as u64 > first;
        rows.truncate(first as usize);
        Page {
            items: rows.into_iter().map(|row| (cursor(&row), row)).collect(),
            has_next_page,
        }
    }
}

/// Checks a requested page size.
pub(crate) fn page_size(first: i32) -> Result<u64> {
    if first < 1 || first as u64 > MAX_PAGE {
        return Err(Error::bad_input(
            "first",
            format!("must be between 1 and {MAX_PAGE}"),
        ));
    }
    Ok(first as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_are_bounded() {
        assert!(page_size(0).is_err());
        assert!(page_size(101).is_err());
        assert_eq!(page_size(20).unwrap(), 20);
    }

    #[test]
    fn a_page_read_with_one_row_more_knows_more_follow() {
        let page = Page::of(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(page.items, vec![("1".to_owned(), 1), ("2".to_owned(), 2)]);
        assert!(page.has_next_page);
        assert!(!Page::of(vec![1, 2], 2, |n| n.to_string()).has_next_page);
    }
}
