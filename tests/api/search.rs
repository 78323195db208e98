//! Full-text search and type-ahead over HTTP: ranking, typos, ISBNs, filters and facets, and
//! changes that reach the index. The shelf of books set up here serves search_outbox too.
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, error_code, spawn_app};

const SEARCH: &str = "query($q: String!, $first: Int!, $after: String, $filter: BookFilter) {
  searchBooks(query: $q, first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor score node { id title } }
    facets { category { slug } count } } }";

pub async fn add(
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

pub async fn shelf(app: &TestApp) -> String {
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
