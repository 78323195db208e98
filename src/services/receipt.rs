//! Read receipts as they happen: every move of a member's watermarks in a conversation.
use std::collections::HashMap;

use futures_util::stream::{Stream, StreamExt};
use sea_orm::DatabaseConnection;

use crate::bus::{Delivery, Event, SharedBus, topic};
use crate::error::Result;
use crate::services::conversation::{members_of, membership};

/// A member's watermarks after they moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub conversation_id: i64,
    pub user_id: i64,
    pub last_delivered_seq: i64,
    pub last_read_seq: i64,
}

/// Receipts of a conversation for a member, from now on; ends when the member leaves. On a gap the
/// members' watermarks are read again and those that moved are sent. FORBIDDEN for non-members.
pub async fn receipts(
    db: DatabaseConnection,
    bus: &SharedBus,
    viewer: i64,
    conversation_id: i64,
) -> Result<impl Stream<Item = Receipt> + use<>> {
    let mut live = bus.subscribe(&topic::conversation(conversation_id));
    membership(&db, conversation_id, viewer).await?;
    let watermarks = |members: Vec<crate::entities::conversation_member::Model>| {
        members
            .into_iter()
            .map(|m| (m.user_id, (m.last_delivered_seq, m.last_read_seq)))
            .collect::<HashMap<_, _>>()
    };
    let mut known = watermarks(members_of(&db, conversation_id).await?);
    Ok(async_stream::stream! {
        while let Some(delivery) = live.next().await {
            match delivery {
                Delivery::Event(event) => match event.as_ref() {
                    Event::ReceiptUpdated { conversation_id: c, user_id, last_delivered_seq, last_read_seq } if *c == conversation_id => {
                        let now = (*last_delivered_seq, *last_read_seq);
                        if known.insert(*user_id, now) != Some(now) {
                            yield Receipt { conversation_id, user_id: *user_id, last_delivered_seq: now.0, last_read_seq: now.1 };
                        }
                    }
                    Event::MembershipChanged { user_id, member: false, .. } if *user_id == viewer => return,
                    _ => {}
                },
                Delivery::Gap => {
                    let Ok(members) = members_of(&db, conversation_id).await else { continue };
                    for (user_id, now) in watermarks(members) {
                        if known.insert(user_id, now) != Some(now) {
                            yield Receipt { conversation_id, user_id, last_delivered_seq: now.0, last_read_seq: now.1 };
                        }
                    }
                }
            }
        }
    })
}
