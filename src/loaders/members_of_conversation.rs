//! Conversation id → its members, by when they joined. One statement per batch.
use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::{LoadError, load_error};
use crate::entities::conversation_member;

pub(crate) struct MembersOfConversation(pub(crate) DatabaseConnection);

impl Loader<i64> for MembersOfConversation {
    type Value = Vec<conversation_member::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = conversation_member::Entity::find()
            .filter(conversation_member::Column::ConversationId.is_in(keys.iter().copied()))
            .order_by_asc(conversation_member::Column::JoinedAt)
            .order_by_asc(conversation_member::Column::UserId)
            .all(&self.0)
            .await
            .map_err(load_error)?;
        let mut out: HashMap<i64, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            out.entry(row.conversation_id).or_default().push(row);
        }
        Ok(out)
    }
}
