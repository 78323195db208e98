//! Conversation id → its newest message. One statement per batch: each conversation's row knows
//! its `last_seq`, and (conversation, seq) is unique.
use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};

use super::{LoadError, load_error};
use crate::entities::message;

/// Keys are (conversation id, its last seq).
pub(crate) struct LastMessageOfConversation(pub(crate) DatabaseConnection);

impl Loader<(i64, i64)> for LastMessageOfConversation {
    type Value = message::Model;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(i64, i64)],
    ) -> Result<HashMap<(i64, i64), Self::Value>, Self::Error> {
        let mut any = Condition::any();
        for (conversation_id, seq) in keys.iter().filter(|(_, seq)| *seq > 0) {
            any = any.add(
                Condition::all()
                    .add(message::Column::ConversationId.eq(*conversation_id))
                    .add(message::Column::Seq.eq(*seq)),
            );
        }
        if keys.iter().all(|(_, seq)| *seq == 0) {
            return Ok(HashMap::new());
        }
        Ok(message::Entity::find()
            .filter(any)
            .all(&self.0)
            .await
            .map_err(load_error)?
            .into_iter()
            .map(|m| ((m.conversation_id, m.seq), m))
            .collect())
    }
}
