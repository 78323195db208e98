//! User id → presence. One store lookup per batch (with Redis: one `SMISMEMBER` per live instance
//! and one `HMGET`, whatever the number of users).
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;

use super::LoadError;
use crate::presence::{Presence, UserPresence};

pub(crate) struct PresenceOfUser(pub(crate) Arc<Presence>);

impl Loader<i64> for PresenceOfUser {
    type Value = UserPresence;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        Ok(self
            .0
            .of(keys)
            .await
            .map_err(Arc::new)?
            .into_iter()
            .map(|p| (p.user_id, p))
            .collect())
    }
}
