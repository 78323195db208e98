//! The index against a real cluster, when `FOLIO_TEST_ELASTICSEARCH_URL` names one.
use std::time::Duration;

use folio::domain::book::BookFilter;
use folio::search::{Batch, ElasticIndex, SearchIndex, SearchResults, Suggestion};

use super::{book, request};
use crate::helpers::{say_once_skipped, unique};

#[tokio::test]
async fn searching_a_live_elasticsearch_finds_what_was_indexed() {
    let url = match std::env::var("FOLIO_TEST_ELASTICSEARCH_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            say_once_skipped(
                "FOLIO_TEST_ELASTICSEARCH_URL is not set: the live Elasticsearch test is skipped",
            );
            return;
        }
    };
    let name = unique("folio_test_books");
    // In a task, so that a failed assertion still lets the indices be deleted below.
    let mut task = tokio::spawn(live(url.clone(), name.clone()));
    let outcome = tokio::time::timeout(Duration::from_secs(120), &mut task).await;
    task.abort();
    let base = url.trim_end_matches('/');
    let deleted = reqwest::Client::new()
        .delete(format!("{base}/{name},{name}-meta"))
        .timeout(Duration::from_secs(30))
        .send()
        .await;
    match outcome {
        Err(_) => panic!("the live test did not finish within 120 s"),
        Ok(Err(failed)) if failed.is_panic() => std::panic::resume_unwind(failed.into_panic()),
        Ok(finished) => finished.unwrap(),
    }
    let deleted = deleted.expect("the test indices could be deleted");
    assert!(deleted.status().is_success(), "{:?}", deleted.text().await);
}

async fn live(url: String, name: String) {
    let index = ElasticIndex::connect(&url, &name).await.unwrap();
    assert_eq!(index.cursor().await.unwrap(), 0);
    let mut moby = book(
        1,
        "Moby-Dick; or, The Whale",
        &[(7, "Herman Melville")],
        &[1, 2],
    );
    moby.keywords = vec!["whaling".into(), "sea".into()];
    let mut budd = book(2, "Billy Budd", &[(7, "Herman Melville")], &[1]);
    budd.description = "A sailor's tale of the sea, with no whales in it.".into();
    budd.in_stock = false;
    let pride = book(3, "Pride and Prejudice", &[(8, "Jane Austen")], &[3]);
    let batch = Batch {
        upserts: vec![moby.clone(), budd, pride],
        deletes: vec![99],
        up_to: 5,
    };
    index.apply(batch).await.unwrap();
    assert_eq!(index.cursor().await.unwrap(), 5);

    let all = BookFilter::default();
    let ids = |results: &SearchResults| results.hits.iter().map(|h| h.0).collect::<Vec<_>>();
    // "whalse" is one typo from "whale" in Moby-Dick's title and from "whales" in Billy Budd's
    // description: both match, the title first.
    let found = index
        .search(&request("whalse", all.clone(), 0, 10))
        .await
        .unwrap();
    assert_eq!(ids(&found), [1, 2], "{found:?}");
    assert_eq!(
        (found.total, found.facets.clone()),
        (2, vec![(1, 2), (2, 1)])
    );
    // "mobby" is one typo from "moby"; "whales" stems to the title's "whale".
    let found = index
        .search(&request("mobby whales", all.clone(), 0, 10))
        .await
        .unwrap();
    assert_eq!(ids(&found), [1], "{found:?}");
    let melville = index
        .search(&request("melvile", all.clone(), 0, 10))
        .await
        .unwrap();
    assert_eq!(melville.total, 2, "{melville:?}");
    let from_1002 = BookFilter {
        min_price: Some(1002),
        ..Default::default()
    };
    let found = index
        .search(&request("melville", from_1002, 0, 10))
        .await
        .unwrap();
    assert_eq!(ids(&found), [2], "min price is inclusive: {found:?}");
    let in_stock = BookFilter {
        in_stock: true,
        ..Default::default()
    };
    let found = index
        .search(&request("melville", in_stock, 0, 10))
        .await
        .unwrap();
    assert_eq!(ids(&found), [1], "{found:?}");
    let by_isbn = index
        .search(&request(&moby.isbn, all.clone(), 0, 10))
        .await
        .unwrap();
    assert_eq!(by_isbn.hits.first().map(|h| h.0), Some(1), "{by_isbn:?}");
    let none = index
        .search(&request("moby prejudice", all, 0, 10))
        .await
        .unwrap();
    assert_eq!(none.total, 0, "every word must match: {none:?}");

    assert_eq!(
        index.suggest("mel", 5).await.unwrap(),
        [Suggestion::Author {
            text: "Herman Melville".into(),
            author_id: 7
        }]
    );
    assert_eq!(
        index.suggest("pride and p", 5).await.unwrap(),
        [Suggestion::Title {
            text: "Pride and Prejudice".into(),
            book_id: 3
        }]
    );

    index
        .apply(Batch {
            deletes: vec![1],
            up_to: 6,
            ..Default::default()
        })
        .await
        .unwrap();
    let gone = index
        .search(&request("moby", BookFilter::default(), 0, 10))
        .await
        .unwrap();
    assert_eq!(gone.total, 0, "{gone:?}");
    index.clear().await.unwrap();
    assert_eq!(index.cursor().await.unwrap(), 0);
}
