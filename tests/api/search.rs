//! Full-text search and type-ahead over HTTP, and the outbox that keeps the index in step.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use folio::search::{
    Batch, SearchIndex, SearchRequest, SearchResults, SharedIndex, Suggestion, TantivyIndex,
};
use folio::services::updates::outbox;
use folio::services::updates::relay::BUS_CONSUMER;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, error_code, spawn_app, spawn_app_with, without_background_work,
};

/// The consumer that `outbox::prune` waits for in the pruning tests.
const PUBLISHER: &str = "test-publisher";

const SEARCH: &str = "query($q: String!, $first: Int!, $after: String, $filter: BookFilter) {
  searchBooks(query: $q, first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor score node { id title } }
    facets { category { slug } count } } }";

async fn add(
    app: &TestApp,
    admin: &str,
    n: u64,
    title: &str,
    authors: &[&str],
    slugs: &[&str],
    extra: Value,
) -> String {
    let mut input = json!({
        "isbn": folio::domain::isbn::synthetic(n).as_str(), "title": title, "price": "10.00",
        "authorNames": authors, "categorySlugs": slugs,
    });
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    let body = app
        .gql_as(
            Some(admin),
            "mutation($i: CreateBookInput!) { createBook(input: $i) { id } }",
            json!({"i": input}),
        )
        .await;
    body["data"]["createBook"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

/// Searches until the result satisfies `done` (the index follows commits within a moment) or a
/// second has passed; returns the last answer.
async fn search_until(
    app: &TestApp,
    q: &str,
    filter: Value,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let body = app
            .gql(SEARCH, json!({"q": q, "first": 10, "filter": filter}))
            .await;
        if done(&body) || started.elapsed() > Duration::from_secs(1) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn titles(body: &Value) -> Vec<String> {
    body["data"]["searchBooks"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn shelf(app: &TestApp) -> String {
    let admin = app.admin_token().await;
    add(app, &admin, 1, "Moby-Dick", &["Herman Melville"], &["adventure", "classics"],
        json!({"subtitle": "or, The Whale", "description": "A captain hunts the white whale across the seas.",
               "keywords": ["whaling", "obsession"]})).await;
    add(
        app,
        &admin,
        2,
        "Bartleby, the Scrivener",
        &["Herman Melville"],
        &["short-stories", "classics"],
        json!({"description": "A copyist who prefers not to."}),
    )
    .await;
    add(app, &admin, 3, "Pride and Prejudice", &["Jane Austen"], &["romance", "classics"],
        json!({"isbn": "978-0-14-143951-8", "description": "Five sisters and the question of marriage."})).await;
    add(
        app,
        &admin,
        4,
        "The Whale Road",
        &["A. Writer"],
        &["adventure"],
        json!({"description": "Sailing north."}),
    )
    .await;
    admin
}

async fn search_ranks_titles_first_and_tolerates_a_typo_per_word(backend: Backend) {
    let app = spawn_app(backend).await;
    shelf(&app).await;
    // Searchable within a second of the commit.
    let whale = search_until(&app, "whale", json!(null), |b| titles(b).len() == 2).await;
    assert_eq!(
        titles(&whale),
        ["The Whale Road", "Moby-Dick"],
        "a title match outranks a subtitle match"
    );
    assert_eq!(whale["data"]["searchBooks"]["totalCount"], 2);

    for (query, expected) in [
        ("melvile", "Moby-Dick"),
        ("melvile", "Bartleby, the Scrivener"),
        ("prejudise", "Pride and Prejudice"),
        ("hunts the white whale", "Moby-Dick"),
        ("whailing", "Moby-Dick"),
        ("scrivner melville", "Bartleby, the Scrivener"),
    ] {
        let body = app.gql(SEARCH, json!({"q": query, "first": 5})).await;
        assert!(
            titles(&body).iter().any(|t| t == expected),
            "{query}: {body}"
        );
    }
    let nothing = app.gql(SEARCH, json!({"q": "zebra", "first": 5})).await;
    assert_eq!(nothing["data"]["searchBooks"]["totalCount"], 0);
}

async fn an_isbn_finds_its_book_in_any_format(backend: Backend) {
    let app = spawn_app(backend).await;
    shelf(&app).await;
    search_until(&app, "austen", json!(null), |b| !titles(b).is_empty()).await;
    for isbn in [
        "9780141439518",
        "978-0-14-143951-8",
        "0141439513",
        "0-14-143951-3",
    ] {
        let body = app.gql(SEARCH, json!({"q": isbn, "first": 5})).await;
        assert_eq!(titles(&body), ["Pride and Prejudice"], "{isbn}");
    }
}

async fn the_browse_filter_narrows_search_and_facets_count_all_matches(backend: Backend) {
    let app = spawn_app(backend).await;
    shelf(&app).await;
    let all = search_until(&app, "melville", json!(null), |b| titles(b).len() == 2).await;
    let facets = &all["data"]["searchBooks"]["facets"];
    assert_eq!(
        facets[0],
        json!({"category": {"slug": "classics"}, "count": 2})
    );
    assert_eq!(facets.as_array().unwrap().len(), 3);

    // Facets cover every match, not just the page.
    let one_per_page = app.gql(SEARCH, json!({"q": "melville", "first": 1})).await;
    assert_eq!(one_per_page["data"]["searchBooks"]["facets"][0]["count"], 2);
    assert_eq!(
        one_per_page["data"]["searchBooks"]["pageInfo"]["hasNextPage"],
        true
    );
    let next = app
        .gql(
            SEARCH,
            json!({"q": "melville", "first": 1,
            "after": one_per_page["data"]["searchBooks"]["pageInfo"]["endCursor"]}),
        )
        .await;
    assert_eq!(
        next["data"]["searchBooks"]["pageInfo"]["hasNextPage"],
        false
    );
    assert_ne!(titles(&next), titles(&one_per_page));

    let categories = app.gql("{ categories { id slug } }", json!({})).await;
    let adventure = categories["data"]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "adventure")
        .unwrap()["id"]
        .clone();
    let filtered = app
        .gql(
            SEARCH,
            json!({"q": "melville", "first": 5, "filter": {"categoryId": adventure}}),
        )
        .await;
    assert_eq!(titles(&filtered), ["Moby-Dick"]);
    let none_in_stock = app
        .gql(
            SEARCH,
            json!({"q": "melville", "first": 5, "filter": {"inStock": true}}),
        )
        .await;
    assert_eq!(none_in_stock["data"]["searchBooks"]["totalCount"], 0);
    let cheap = app
        .gql(
            SEARCH,
            json!({"q": "melville", "first": 5, "filter": {"maxPrice": "9.99"}}),
        )
        .await;
    assert_eq!(cheap["data"]["searchBooks"]["totalCount"], 0);
    let empty = app.gql(SEARCH, json!({"q": "  ", "first": 5})).await;
    assert_eq!(error_code(&empty), "BAD_USER_INPUT");
}

async fn updates_and_deletes_reach_search(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = shelf(&app).await;
    let found = search_until(&app, "bartleby", json!(null), |b| !titles(b).is_empty()).await;
    let id = found["data"]["searchBooks"]["edges"][0]["node"]["id"].clone();
    app.gql_as(
        Some(&admin),
        "mutation($id: ID!) { updateBook(id: $id, input: {title: \"Benito Cereno\"}) { id } }",
        json!({"id": id}),
    )
    .await;
    let renamed = search_until(&app, "cereno", json!(null), |b| !titles(b).is_empty()).await;
    assert_eq!(titles(&renamed), ["Benito Cereno"]);
    app.gql_as(
        Some(&admin),
        "mutation($id: ID!) { deleteBook(id: $id) }",
        json!({"id": id}),
    )
    .await;
    let gone = search_until(&app, "cereno", json!(null), |b| titles(b).is_empty()).await;
    assert!(titles(&gone).is_empty());
}

async fn suggestions_complete_titles_and_author_names(backend: Backend) {
    let app = spawn_app(backend).await;
    shelf(&app).await;
    search_until(&app, "melville", json!(null), |b| titles(b).len() == 2).await;
    search_until(&app, "prejudice", json!(null), |b| titles(b).len() == 1).await;
    let body = app
        .gql("{ her: suggest(prefix: \"her\") { text kind authorId bookId } pri: suggest(prefix: \"pride an\", first: 8) { text kind bookId } }", json!({}))
        .await;
    assert_eq!(body["data"]["her"][0]["text"], "Herman Melville");
    assert_eq!(body["data"]["her"][0]["kind"], "AUTHOR");
    assert!(body["data"]["her"][0]["authorId"].is_string());
    assert_eq!(
        body["data"]["her"].as_array().unwrap().len(),
        1,
        "one author, listed once: {body}"
    );
    assert_eq!(
        body["data"]["pri"][0],
        json!({"text": "Pride and Prejudice", "kind": "TITLE", "bookId": body["data"]["pri"][0]["bookId"]})
    );
}

crate::on_every_backend!(
    search_ranks_titles_first_and_tolerates_a_typo_per_word,
    an_isbn_finds_its_book_in_any_format,
    the_browse_filter_narrows_search_and_facets_count_all_matches,
    updates_and_deletes_reach_search,
    suggestions_complete_titles_and_author_names,
);

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
