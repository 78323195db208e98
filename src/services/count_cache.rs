//! Counting a million books takes tens of milliseconds on either database, far more than the rest of
//! a Browse page. `totalCount` therefore comes from this cache, keyed by filter. It is emptied by
//! every catalog or stock change this instance commits and by every change the outbox relay sees
//! (so other instances' changes reach it within the relay interval), and entries expire after
//! `MAX_AGE` whatever happens.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;

use crate::error::Result;
use crate::services::catalog::{self, BookFilter};

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
    /// The number of books matching `filter`, counted now if not known or too old.
    pub async fn count(&self, db: &impl ConnectionTrait, filter: &BookFilter) -> Result<u64> {
        if let Some((count, at)) = self.lock().get(filter)
            && at.elapsed() < MAX_AGE
        {
            return Ok(*count);
        }
        let count = catalog::count_books(db, filter).await?;
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(filter.clone(), (count, Instant::now()));
        Ok(count)
    }

    /// Forgets every count: the catalog or its stock changed.
    pub fn invalidate(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<BookFilter, (u64, Instant)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
