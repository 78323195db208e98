//! The live price and stock updates behind `priceChanged` and `stockChanged`: bus events, in
//! order, each once (repeats of a republished batch are dropped by their outbox id). A subscriber
//! that falls behind is not left with a silent hole: on a gap it reads the current prices or stock
//! of its books from the database and sends what changed since it last heard; if it cannot read
//! them, its stream ends with an error.
use std::collections::{HashMap, HashSet, VecDeque};

use futures_util::stream::{self, BoxStream, Stream, StreamExt};
use sea_orm::DatabaseConnection;

use crate::bus::{Delivery, Event, SharedBus, topic};
use crate::entities::book;
use crate::error::{Error, Result};
use crate::services::catalog::book::books_by_ids;
use crate::services::inventory::level::available_by_book;
use crate::services::updates::price_watch;

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
    async fn wants(&self, db: &DatabaseConnection, book_id: i64) -> Result<bool> {
        match self {
            PriceInterest::Books(ids) => Ok(ids.contains(&book_id)),
            PriceInterest::WatchedBy(user_id) => {
                price_watch::is_watching(db, *user_id, book_id).await
            }
        }
    }

    async fn book_ids(&self, db: &DatabaseConnection) -> Result<Vec<i64>> {
        Ok(match self {
            PriceInterest::Books(ids) => ids.iter().copied().collect(),
            PriceInterest::WatchedBy(user_id) => price_watch::watches_of(db, *user_id)
                .await?
                .into_iter()
                .map(|w| w.book_id)
                .collect(),
        })
    }
}

/// The error that ends a live stream which could not read what it needed.
fn interrupted(what: &str, cause: Error) -> Error {
    tracing::warn!(error = %cause, "a {what} stream could not read the database; ending it");
    Error::StreamInterrupted {
        resume_after_seq: None,
    }
}

/// Price changes for `interest`, from the moment of the call.
pub fn price_updates(
    db: DatabaseConnection,
    bus: &SharedBus,
    interest: PriceInterest,
) -> impl Stream<Item = Result<PriceUpdate>> + use<> {
    let prices = Prices {
        db,
        interest,
        live: bus.subscribe(topic::PRICES),
        known: None,
        last_change: 0,
        ready: VecDeque::new(),
        ended: false,
    };
    stream::unfold(prices, |mut prices| async move {
        let next = prices.next().await?;
        Some((next, prices))
    })
}

/// Where one `priceChanged` subscription stands.
struct Prices {
    db: DatabaseConnection,
    interest: PriceInterest,
    live: BoxStream<'static, Delivery>,
    /// What the subscriber knows: the prices as of subscribing, then as each update says. Read on
    /// the first poll, after the bus subscription exists.
    known: Option<HashMap<i64, (i64, String)>>,
    /// The outbox id of the last change passed on: a republished one is a repeat.
    last_change: i64,
    ready: VecDeque<PriceUpdate>,
    ended: bool,
}

impl Prices {
    async fn next(&mut self) -> Option<Result<PriceUpdate>> {
        loop {
            if let Some(update) = self.ready.pop_front() {
                if self.ready.is_empty() {
                    // An idle subscription keeps no room for its last batch.
                    self.ready = VecDeque::new();
                }
                return Some(Ok(update));
            }
            if self.ended {
                return None;
            }
            let handled = match self.known {
                None => Box::pin(self.read_known()).await,
                Some(_) => match self.live.next().await? {
                    Delivery::Event(event) => Box::pin(self.on_event(&event)).await,
                    Delivery::Gap => {
                        tracing::info!("a price subscriber fell behind; recovering");
                        Box::pin(self.recover()).await
                    }
                },
            };
            if let Err(err) = handled {
                self.ended = true;
                return Some(Err(interrupted("price", err)));
            }
        }
    }

    async fn read_known(&mut self) -> Result<()> {
        let books = current_prices(&self.db, &self.interest).await?;
        let known = books
            .into_values()
            .map(|b| (b.id, (b.price_minor, b.currency)))
            .collect();
        self.known = Some(known);
        Ok(())
    }

    async fn on_event(&mut self, event: &Event) -> Result<()> {
        let Event::PriceChanged {
            change_id,
            book_id,
            old_minor,
            new_minor,
            currency,
            changed_at,
        } = event
        else {
            return Ok(());
        };
        if *change_id <= self.last_change {
            return Ok(());
        }
        self.last_change = *change_id;
        if !self.interest.wants(&self.db, *book_id).await? {
            return Ok(());
        }
        let Some(book) = books_by_ids(&self.db, &[*book_id]).await?.remove(book_id) else {
            return Ok(());
        };
        let known = self.known.get_or_insert_with(HashMap::new);
        known.insert(*book_id, (*new_minor, currency.clone()));
        self.ready.push_back(PriceUpdate {
            book,
            old_minor: *old_minor,
            new_minor: *new_minor,
            currency: currency.clone(),
            changed_at: *changed_at,
        });
        Ok(())
    }

    async fn recover(&mut self) -> Result<()> {
        let books = current_prices(&self.db, &self.interest).await?;
        let known = self.known.get_or_insert_with(HashMap::new);
        for book in books.into_values() {
            let now = (book.price_minor, book.currency.clone());
            match known.insert(book.id, now.clone()) {
                Some(before) if before != now => self.ready.push_back(PriceUpdate {
                    old_minor: before.0,
                    new_minor: now.0,
                    currency: now.1,
                    changed_at: book.updated_at,
                    book,
                }),
                _ => {}
            }
        }
        Ok(())
    }
}

/// The books of `interest` as they are now (their prices, that is).
async fn current_prices(
    db: &DatabaseConnection,
    interest: &PriceInterest,
) -> Result<HashMap<i64, book::Model>> {
    let ids = interest.book_ids(db).await?;
    books_by_ids(db, &ids).await
}

/// Changes of available stock of `book_ids`, from the moment of the call.
pub fn stock_updates(
    db: DatabaseConnection,
    bus: &SharedBus,
    book_ids: Vec<i64>,
) -> impl Stream<Item = Result<StockUpdate>> + use<> {
    let live = stream::select_all(book_ids.iter().map(|id| bus.subscribe(&topic::stock(*id))));
    let levels = Levels {
        db,
        book_ids,
        live: live.boxed(),
        known: None,
        last_change: HashMap::new(),
        ready: VecDeque::new(),
        ended: false,
    };
    stream::unfold(levels, |mut levels| async move {
        let next = levels.next().await?;
        Some((next, levels))
    })
}

/// Where one `stockChanged` subscription stands.
struct Levels {
    db: DatabaseConnection,
    book_ids: Vec<i64>,
    live: BoxStream<'static, Delivery>,
    /// The available units the subscriber knows of, read on the first poll.
    known: Option<HashMap<i64, i64>>,
    /// Per book, the outbox id of the last change passed on.
    last_change: HashMap<i64, i64>,
    ready: VecDeque<StockUpdate>,
    ended: bool,
}

impl Levels {
    async fn next(&mut self) -> Option<Result<StockUpdate>> {
        loop {
            if let Some(update) = self.ready.pop_front() {
                if self.ready.is_empty() {
                    // An idle subscription keeps no room for its last batch.
                    self.ready = VecDeque::new();
                }
                return Some(Ok(update));
            }
            if self.ended {
                return None;
            }
            let handled = match self.known {
                None => Box::pin(available_by_book(&self.db, &self.book_ids))
                    .await
                    .map(|now| self.known = Some(now)),
                Some(_) => match self.live.next().await? {
                    Delivery::Event(event) => {
                        self.on_event(&event);
                        Ok(())
                    }
                    Delivery::Gap => {
                        tracing::info!("a stock subscriber fell behind; recovering");
                        Box::pin(available_by_book(&self.db, &self.book_ids))
                            .await
                            .map(|now| self.note_all(now))
                    }
                },
            };
            if let Err(err) = handled {
                self.ended = true;
                return Some(Err(interrupted("stock", err)));
            }
        }
    }

    fn on_event(&mut self, event: &Event) {
        let Event::StockChanged {
            change_id,
            book_id,
            available,
        } = event
        else {
            return;
        };
        let last = self.last_change.entry(*book_id).or_default();
        if *change_id <= *last {
            return;
        }
        *last = *change_id;
        self.note(*book_id, *available);
    }

    fn note_all(&mut self, now: HashMap<i64, i64>) {
        for (book_id, available) in now {
            self.note(book_id, available);
        }
    }

    /// Queues the level unless the subscriber knows it already (e.g. the first event after
    /// subscribing, or one a new relay sends again after taking over).
    fn note(&mut self, book_id: i64, available: i64) {
        let known = self.known.get_or_insert_with(HashMap::new);
        if known.insert(book_id, available) != Some(available) {
            self.ready.push_back(StockUpdate { book_id, available });
        }
    }
}
