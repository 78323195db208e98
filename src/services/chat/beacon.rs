//! The chat beacon: where each recently active conversation is, published so that a message whose
//! publish was lost (its sender died between commit and publish) still reaches subscribers. Every
//! instance sends it (`workers::spawn_chat_beacon`); a repeated beacon costs subscribers a
//! comparison.
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use crate::bus::{Event, EventBus, topic};
use crate::entities::conversation;
use crate::error::Result;

/// How recently a conversation must have been active for the beacon to mention it.
const BEACON_WINDOW: chrono::Duration = chrono::Duration::minutes(2);

/// Publishes the `last_seq` of every conversation active within the window: one query, one event
/// per active conversation. Returns how many it published.
pub(crate) async fn publish_positions(
    db: &DatabaseConnection,
    bus: &dyn EventBus,
) -> Result<usize> {
    let since = chrono::Utc::now() - BEACON_WINDOW;
    let active: Vec<(i64, i64)> = conversation::Entity::find()
        .select_only()
        .column(conversation::Column::Id)
        .column(conversation::Column::LastSeq)
        .filter(conversation::Column::LastActivityAt.gt(since))
        .into_tuple()
        .all(db)
        .await?;
    for &(conversation_id, last_seq) in &active {
        let event = Event::ConversationAt {
            conversation_id,
            last_seq,
        };
        bus.publish(&topic::conversation(conversation_id), &event)
            .await?;
    }
    Ok(active.len())
}
