//! The live price and stock updates behind `priceChanged` and `stockChanged`: bus events, in
//! order, each once (repeats of a republished batch are dropped by their outbox id). A subscriber
//! that falls behind is not left with a silent hole: on a gap it reads the current prices or stock
//! of its books from the database and sends what changed since it last heard.
use std::collections::{HashMap, HashSet};

use futures_util::stream::{self, Stream, StreamExt};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::bus::{Delivery, Event, SharedBus, topic};
use crate::entities::book;
use crate::error::Result;
use crate::services::stock::available_by_book;
use crate::services::watch;

/// A price change as subscribers get it.
#[derive(Clone, Debug)]
pub struct PriceUpdate {
    pub book: book::Model,
    pub old_minor: i64,
    pub new_minor: i64,
    pub currency: String,
    pub changed_at: chrono::DateTime<chrono::Utc>,
}

/// A stock change as subscribers get it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StockUpdate {
    pub book_id: i64,
    pub available: i64,
}

/// Whose price changes a subscriber wants.
#[derive(Clone, Debug)]
pub enum PriceInterest {
    /// These books.
    Books(HashSet<i64>),
    /// Whatever books this user watches at the time of the change.
    WatchedBy(i64),
}

impl PriceInterest {
    async fn wants(&self, db: &DatabaseConnection, book_id: i64) -> bool {
        match self {
            PriceInterest::Books(ids) => ids.contains(&book_id),
            PriceInterest::WatchedBy(user_id) => watch::is_watching(db, *user_id, book_id)
                .await
                .unwrap_or_else(|err| {
                    tracing::warn!(error = %err, "could not read a price watch");
                    false
                }),
        }
    }

    async fn book_ids(&self, db: &DatabaseConnection) -> Result<Vec<i64>> {
        Ok(match self {
            PriceInterest::Books(ids) => ids.iter().copied().collect(),
            PriceInterest::WatchedBy(user_id) => watch::watches_of(db, *user_id)
                .await?
                .into_iter()
                .map(|w| w.book_id)
                .collect(),
        })
    }
}

async fn prices_of(db: &DatabaseConnection, ids: &[i64]) -> Result<HashMap<i64, book::Model>> {
    Ok(book::Entity::find()
        .filter(book::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect())
}

/// Price changes for `interest`, from the moment of the call.
pub fn price_updates(
    db: DatabaseConnection,
    bus: &SharedBus,
    interest: PriceInterest,
) -> impl Stream<Item = PriceUpdate> + use<> {
    let deliveries = bus.subscribe(topic::PRICES);
    async_stream::stream! {
        // What the subscriber knows: the prices as of subscribing, then as each update says.
        let mut known: HashMap<i64, (i64, String)> = match interest.book_ids(&db).await {
            Ok(ids) => prices_of(&db, &ids).await.unwrap_or_default()
                .into_values().map(|b| (b.id, (b.price_minor, b.currency))).collect(),
            Err(_) => HashMap::new(),
        };
        let mut last_change = 0i64;
        for await delivery in deliveries {
            match delivery {
                Delivery::Event(event) => {
                    let Event::PriceChanged { change_id, book_id, old_minor, new_minor, currency, changed_at } = event.as_ref() else {
                        continue;
                    };
                    if *change_id <= last_change {
                        continue;
                    }
                    last_change = *change_id;
                    if !interest.wants(&db, *book_id).await {
                        continue;
                    }
                    let Ok(Some(book)) = book::Entity::find_by_id(*book_id).one(&db).await else {
                        continue;
                    };
                    known.insert(*book_id, (*new_minor, currency.clone()));
                    yield PriceUpdate { book, old_minor: *old_minor, new_minor: *new_minor, currency: currency.clone(), changed_at: *changed_at };
                }
                Delivery::Gap => {
                    tracing::info!("a price subscriber fell behind; recovering from the database");
                    let Ok(ids) = interest.book_ids(&db).await else { continue };
                    let Ok(books) = prices_of(&db, &ids).await else { continue };
                    for book in books.into_values() {
                        let now = (book.price_minor, book.currency.clone());
                        match known.insert(book.id, now.clone()) {
                            Some(before) if before != now => yield PriceUpdate {
                                old_minor: before.0,
                                new_minor: now.0,
                                currency: now.1,
                                changed_at: book.updated_at,
                                book,
                            },
                            _ => {}
                        }
                    }
                }
            }
        }
    }
}

/// Changes of available stock of `book_ids`, from the moment of the call.
pub fn stock_updates(
    db: DatabaseConnection,
    bus: &SharedBus,
    book_ids: Vec<i64>,
) -> impl Stream<Item = StockUpdate> + use<> {
    let deliveries =
        stream::select_all(book_ids.iter().map(|id| bus.subscribe(&topic::stock(*id))));
    async_stream::stream! {
        let mut known = available_by_book(&db, &book_ids).await.unwrap_or_default();
        let mut last_change: HashMap<i64, i64> = HashMap::new();
        for await delivery in deliveries {
            match delivery {
                Delivery::Event(event) => {
                    let Event::StockChanged { change_id, book_id, available } = event.as_ref() else {
                        continue;
                    };
                    let last = last_change.entry(*book_id).or_default();
                    if *change_id <= *last {
                        continue;
                    }
                    *last = *change_id;
                    // What the subscriber already knows is not news (e.g. the first event after
                    // subscribing, or one a new relay sends again after taking over).
                    if known.insert(*book_id, *available) == Some(*available) {
                        continue;
                    }
                    yield StockUpdate { book_id: *book_id, available: *available };
                }
                Delivery::Gap => {
                    tracing::info!("a stock subscriber fell behind; recovering from the database");
                    let Ok(now) = available_by_book(&db, &book_ids).await else { continue };
                    for (book_id, available) in now {
                        if known.insert(book_id, available) != Some(available) {
                            yield StockUpdate { book_id, available };
                        }
                    }
                }
            }
        }
    }
    .boxed()
}
