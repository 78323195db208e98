//! Presence in one process: the instance's own records are the whole truth.
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::PresenceStore;
use crate::error::Result;

/// Who is connected, and when users were last seen. A std mutex: never held across an await.
#[derive(Default)]
pub(crate) struct MemoryPresence {
    online: Mutex<HashSet<i64>>,
    last_seen: Mutex<HashMap<i64, DateTime<Utc>>>,
}

#[async_trait]
impl PresenceStore for MemoryPresence {
    async fn add(&self, user_id: i64) -> Result<()> {
        self.online
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(user_id);
        Ok(())
    }

    async fn remove(&self, user_id: i64) -> Result<()> {
        self.online
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&user_id);
        Ok(())
    }

    async fn online(&self, user_ids: &[i64]) -> Result<HashSet<i64>> {
        let online = self.online.lock().unwrap_or_else(|e| e.into_inner());
        Ok(user_ids
            .iter()
            .copied()
            .filter(|id| online.contains(id))
            .collect())
    }

    async fn set_last_seen(&self, user_id: i64, at: DateTime<Utc>) -> Result<()> {
        self.last_seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(user_id, at);
        Ok(())
    }

    async fn last_seen(&self, user_ids: &[i64]) -> Result<HashMap<i64, DateTime<Utc>>> {
        let seen = self.last_seen.lock().unwrap_or_else(|e| e.into_inner());
        Ok(user_ids
            .iter()
            .filter_map(|id| seen.get(id).map(|at| (*id, *at)))
            .collect())
    }

    async fn heartbeat(&self) -> Result<Vec<(i64, DateTime<Utc>)>> {
        Ok(Vec::new())
    }
}
