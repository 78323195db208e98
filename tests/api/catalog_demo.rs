//! The demo catalog a first start loads.
use serde_json::json;

use crate::helpers::{Backend, spawn_app};

/// A first start loads a few hundred classics with authors, shelves, stock and reviews, and only once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_catalog_loads_once_and_is_browsable_and_searchable() {
    let app = spawn_app(Backend::Sqlite).await;
    let db = &app.app.as_ref().unwrap().state.db;
    let loaded = folio::demo::load_if_empty(db).await.unwrap();
    assert!(loaded.accounts);
    assert_eq!(loaded.books, folio::demo::catalog_size());
    let again = folio::demo::load_if_empty(db).await.unwrap();
    assert!(
        !again.accounts && again.books == 0,
        "a second start loads nothing"
    );

    let body = app
        .gql(
            "{ books(first: 50) { totalCount edges { node { stockStatus reviewCount authors { bio } } } }
               categories { bookCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["books"]["totalCount"],
        folio::demo::catalog_size()
    );
    let edges = body["data"]["books"]["edges"].as_array().unwrap();
    for status in ["IN_STOCK", "LOW_STOCK", "OUT_OF_STOCK"] {
        assert!(
            edges.iter().any(|e| e["node"]["stockStatus"] == status),
            "no {status} among the first 50"
        );
    }
    assert!(
        edges
            .iter()
            .any(|e| e["node"]["reviewCount"].as_i64() > Some(0))
    );
    assert!(
        edges
            .iter()
            .all(|e| e["node"]["authors"][0]["bio"].is_string())
    );
    assert!(
        body["data"]["categories"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["bookCount"].as_i64() >= Some(8))
    );

    let started = std::time::Instant::now();
    loop {
        let found = app
            .gql(
                "{ searchBooks(query: \"moby dick\", first: 1) { edges { node { title } } } }",
                json!({}),
            )
            .await;
        if found["data"]["searchBooks"]["edges"][0]["node"]["title"] == "Moby-Dick" {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 10,
            "the demo catalog was not indexed: {found}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
