//! Counting a million books takes tens of milliseconds on either database, far more than the rest of
//! a Browse page. `totalCount` therefore comes from this cache, keyed by filter
//! (`services::catalog::browse::count_books` fills it). The services that change the catalog or its
//! stock empty it when they commit, and so does the outbox relay for every change it sees (so other
//! instances' changes reach it within the relay interval); entries expire after `MAX_AGE` whatever
//! happens.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::book::BookFilter;

/// The longest a count is served without recounting.
const MAX_AGE: Duration = Duration::from_secs(30);
/// Filters remembered at once; past that the cache starts over (filters are few in practice).
const MAX_ENTRIES: usize = 4096;

/// Filter → (count, when counted). A std mutex: held only for a map lookup or insert.
#[derive(Default)]
pub struct CountCache {
    entries: Mutex<HashMap<BookFilter, (u64, Instant)>>,
}

impl CountCache {
    /// The number of books matching `filter`, if counted within `MAX_AGE`.
    pub(crate) fn get(&self, filter: &BookFilter) -> Option<u64> {
        match self.lock().get(filter) {
            Some((count, at)) if at.elapsed() < MAX_AGE => Some(*count),
            _ => None,
        }
    }

    /// Remembers that `count` books match `filter` now.
    pub(crate) fn put(&self, filter: &BookFilter, count: u64) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(filter.clone(), (count, Instant::now()));
    }

    /// Forgets every count: the catalog or its stock changed.
    pub(crate) fn invalidate(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<BookFilter, (u64, Instant)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_forgets_every_count() {
        let counts = CountCache::default();
        let shelf = BookFilter::shelf(3);
        counts.put(&shelf, 42);
        assert_eq!(counts.get(&shelf), Some(42));
        assert_eq!(counts.get(&BookFilter::default()), None);
        counts.invalidate();
        assert_eq!(counts.get(&shelf), None);
    }
}
