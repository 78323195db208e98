//! The outbox that keeps the search index in step: an index that was down catches up without
//! writes ever waiting for it, pruning keeps what is not yet published, and an index that missed
//! pruned changes rebuilds itself.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use folio::search::{
    Batch, SearchIndex, SearchRequest, SearchResults, SharedIndex, Suggestion, TantivyIndex,
};
use folio::services::updates::outbox;
use folio::services::updates::relay::BUS_CONSUMER;
use serde_json::json;

use crate::helpers::{Backend, spawn_app, spawn_app_with, without_background_work};
use crate::search::{add, shelf};

/// The consumer that `outbox::prune` waits for in the pruning tests.
const PUBLISHER: &str = "test-publisher";

/// An index that can be switched off, to show that the outbox makes it catch up.
struct Flaky {
    inner: TantivyIndex,
    down: AtomicBool,
}

impl Flaky {
    fn check(&self) -> folio::error::Result<()> {
        if self.down.load(Ordering::SeqCst) {
            Err(folio::error::Error::internal(anyhow::anyhow!(
                "index unavailable"
            )))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl SearchIndex for Flaky {
    async fn apply(&self, batch: Batch) -> folio::error::Result<()> {
        self.check()?;
        self.inner.apply(batch).await
    }
    async fn cursor(&self) -> folio::error::Result<i64> {
        self.check()?;
        self.inner.cursor().await
    }
    async fn clear(&self) -> folio::error::Result<()> {
        self.inner.clear().await
    }
    async fn search(&self, request: &SearchRequest) -> folio::error::Result<SearchResults> {
        self.inner.search(request).await
    }
    async fn suggest(&self, prefix: &str, limit: usize) -> folio::error::Result<Vec<Suggestion>> {
        self.inner.suggest(prefix, limit).await
    }
}

#[tokio::test]
async fn an_index_that_was_down_catches_up_from_the_outbox_and_writes_never_waited_for_it() {
    let app = spawn_app(Backend::Sqlite).await;
    let flaky = Arc::new(Flaky {
        inner: TantivyIndex::in_memory().unwrap(),
        down: AtomicBool::new(true),
    });
    let index: SharedIndex = flaky.clone();
    let db = app.app.as_ref().unwrap().state.db.clone();
    // Writes succeed while this index is down.
    shelf(&app).await;
    assert!(
        folio::services::updates::relay::catch_up_once(&db, &index)
            .await
            .is_err()
    );

    flaky.down.store(false, Ordering::SeqCst);
    assert_eq!(melville_once_caught_up(&db, &index).await, 2);

    // Applying the same changes again (at least once) changes nothing.
    let reapplied = folio::services::updates::relay::reindex(&db, &index)
        .await
        .unwrap();
    assert_eq!(reapplied, 4);
    assert_eq!(melville_total(&index).await, 2);
}

#[tokio::test]
async fn pruning_the_outbox_keeps_every_change_not_yet_published() {
    let app = spawn_app_with(Backend::Sqlite, without_background_work).await;
    let db = app.app.as_ref().unwrap().state.db.clone();
    shelf(&app).await;
    let last = outbox::last_id(&db).await.unwrap();
    let written = outbox::read_after(&db, 0, 1000).await.unwrap().len() as u64;
    assert!(written > 0);

    // The publisher has published nothing yet: however old, nothing goes. (A stand-in for the bus
    // relay, which in this app may run at any moment.)
    assert_eq!(
        outbox::prune(&db, Duration::ZERO, PUBLISHER).await.unwrap(),
        0
    );
    assert_eq!(outbox::last_id(&db).await.unwrap(), last);

    // Once published, old rows go (and young ones stay), and the log says how far it was pruned.
    outbox::advance(&db, PUBLISHER, last).await.unwrap();
    assert_eq!(
        outbox::prune(&db, Duration::from_secs(3600), PUBLISHER)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        outbox::prune(&db, Duration::ZERO, PUBLISHER).await.unwrap(),
        written
    );
    assert!(outbox::read_after(&db, 0, 100).await.unwrap().is_empty());
    assert_eq!(outbox::cursor(&db, outbox::PRUNED).await.unwrap(), last);
}

#[tokio::test]
async fn an_index_away_while_its_changes_were_pruned_rebuilds_itself_when_it_comes_back() {
    let app = spawn_app_with(Backend::Sqlite, without_background_work).await;
    let db = app.app.as_ref().unwrap().state.db.clone();
    let admin = shelf(&app).await;
    // An index that has applied nothing, then the whole log pruned away.
    let index: SharedIndex = Arc::new(TantivyIndex::in_memory().unwrap());
    let last = outbox::last_id(&db).await.unwrap();
    outbox::advance(&db, BUS_CONSUMER, last).await.unwrap();
    outbox::prune(&db, Duration::ZERO, BUS_CONSUMER)
        .await
        .unwrap();

    // The next change shows the index that it is behind what was pruned.
    add(
        &app,
        &admin,
        5,
        "Typee",
        &["Herman Melville"],
        &["adventure"],
        json!({}),
    )
    .await;
    assert_eq!(melville_once_caught_up(&db, &index).await, 3);
}

/// Lets `index` catch up with the whole outbox (checking that its cursor reaches the log's head),
/// then counts the books it finds for "melville".
async fn melville_once_caught_up(db: &sea_orm::DatabaseConnection, index: &SharedIndex) -> u64 {
    while folio::services::updates::relay::catch_up_once(db, index)
        .await
        .unwrap()
        > 0
    {}
    assert_eq!(
        index.cursor().await.unwrap(),
        outbox::last_id(db).await.unwrap()
    );
    melville_total(index).await
}

/// How many books `index` finds for "melville".
async fn melville_total(index: &SharedIndex) -> u64 {
    let request = SearchRequest {
        text: "melville".into(),
        filter: Default::default(),
        offset: 0,
        limit: 10,
    };
    index.search(&request).await.unwrap().total
}
