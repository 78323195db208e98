//! Creating the index with its mapping, writing batches in one bulk request with the cursor last,
//! and clearing.
use axum::http::Method;
use folio::error::Error;
use folio::search::{Batch, BookDocument, ElasticIndex, SearchIndex};
use serde_json::json;

use super::stub::Stub;
use super::{book, bounded, connected};

#[tokio::test]
async fn connecting_creates_the_index_with_its_explicit_mapping() {
    bounded(async {
        let stub = Stub::start().await;
        ElasticIndex::connect(&stub.url, "books").await.unwrap();
        let sent = stub.take_requests();
        let calls: Vec<(String, String)> = sent
            .iter()
            .map(|r| (r.method.to_string(), r.path.clone()))
            .collect();
        let call = |m: &str, p: &str| (m.to_owned(), p.to_owned());
        assert_eq!(
            calls,
            [
                call("HEAD", "/books"),
                call("PUT", "/books"),
                call("HEAD", "/books-meta"),
                call("PUT", "/books-meta")
            ]
        );
        let body = sent[1].json();
        assert_eq!(body, ElasticIndex::books_index_body());
        assert_eq!(body["mappings"]["dynamic"], "strict");
        let analysis = &body["settings"]["analysis"];
        assert_eq!(
            analysis["analyzer"]["folio_english"]["filter"],
            json!(["lowercase", "folio_english_stemmer"])
        );
        assert_eq!(
            analysis["filter"]["folio_english_stemmer"],
            json!({"type": "stemmer", "language": "porter2"})
        );
        assert_eq!(
            analysis["analyzer"]["folio_words"]["filter"],
            json!(["lowercase"])
        );
        let fields = &body["mappings"]["properties"];
        for text in ["title", "subtitle", "description", "keywords", "authors"] {
            assert_eq!(fields[text]["analyzer"], "folio_english", "{text}");
        }
        for plain in ["title_words", "author_words", "all_words"] {
            assert_eq!(fields[plain]["analyzer"], "folio_words", "{plain}");
        }
        assert_eq!(fields["isbn"]["type"], "keyword");
        assert_eq!(fields["author_names"]["type"], "keyword");
        for long in ["id", "author_ids", "category_ids", "price"] {
            assert_eq!(fields[long]["type"], "long", "{long}");
        }
        assert_eq!(fields["in_stock"]["type"], "boolean");
        assert_eq!(sent[3].json(), ElasticIndex::meta_index_body());
        assert_eq!(sent[3].json()["mappings"]["dynamic"], "strict");

        // A second instance finds both indices and creates nothing.
        ElasticIndex::connect(&stub.url, "books").await.unwrap();
        let again = stub.take_requests();
        assert!(again.iter().all(|r| r.method == Method::HEAD), "{again:?}");
    })
    .await
}

#[tokio::test]
async fn a_batch_is_one_bulk_request_with_the_cursor_last() {
    bounded(async {
        let (stub, index) = connected().await;
        assert_eq!(index.cursor().await.unwrap(), 0, "no cursor yet reads as 0");
        stub.take_requests();
        let moby = book(1, "Moby-Dick", &[(7, "Herman Melville")], &[2, 5]);
        let budd = book(2, "Billy Budd", &[(7, "Herman Melville")], &[2]);
        index
            .apply(Batch {
                upserts: vec![moby.clone(), budd.clone()],
                deletes: vec![3],
                up_to: 42,
            })
            .await
            .unwrap();
        let sent = stub.take_requests();
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(
            (&sent[0].method, sent[0].path.as_str()),
            (&Method::POST, "/_bulk")
        );
        assert_eq!(sent[0].query, "refresh=wait_for");
        assert_eq!(sent[0].content_type, "application/x-ndjson");
        let source = |b: &BookDocument| {
            json!({"id": b.id, "isbn": b.isbn, "title": b.title, "subtitle": null,
                "description": b.description, "keywords": b.keywords, "author_ids": b.author_ids,
                "author_names": b.author_names, "category_ids": b.category_ids,
                "price": b.price_minor, "in_stock": true})
        };
        assert_eq!(
            sent[0].ndjson(),
            [
                json!({"index": {"_index": "books", "_id": "1"}}),
                source(&moby),
                json!({"index": {"_index": "books", "_id": "2"}}),
                source(&budd),
                json!({"delete": {"_index": "books", "_id": "3"}}),
                json!({"index": {"_index": "books-meta", "_id": "cursor"}}),
                json!({"cursor": 42}),
            ]
        );
        assert_eq!(index.cursor().await.unwrap(), 42);

        // An empty batch still moves the cursor (the end of a reindex).
        index
            .apply(Batch {
                up_to: 43,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(index.cursor().await.unwrap(), 43);
    })
    .await
}

#[tokio::test]
async fn a_failed_bulk_item_fails_the_batch() {
    bounded(async {
        let (stub, index) = connected().await;
        let first = book(1, "Moby-Dick", &[(7, "Herman Melville")], &[2]);
        index
            .apply(Batch {
                upserts: vec![first],
                deletes: vec![],
                up_to: 42,
            })
            .await
            .unwrap();
        assert_eq!(index.cursor().await.unwrap(), 42);

        stub.state().fail_bulk = true;
        let next = Batch {
            upserts: vec![book(2, "Billy Budd", &[(7, "Herman Melville")], &[2])],
            deletes: vec![],
            up_to: 50,
        };
        let err = index.apply(next).await.unwrap_err();
        let Error::Internal(cause) = &err else {
            panic!("expected an internal error, got {err:?}");
        };
        let cause = format!("{cause:#}");
        assert!(
            cause.contains("500") && cause.contains("shard is closing"),
            "{cause}"
        );
        // The cursor item went through in the same bulk (items succeed one by one), so the index
        // put it back: the failed book is applied again on the next try instead of being skipped.
        assert_eq!(index.cursor().await.unwrap(), 42);
        let sent = stub.take_requests();
        let put_back = sent
            .iter()
            .find(|r| r.path == "/books-meta/_doc/cursor" && r.method != Method::GET)
            .expect("the cursor was written back");
        assert_eq!(put_back.json(), json!({"cursor": 42}));
    })
    .await
}

#[tokio::test]
async fn clearing_empties_the_index_and_the_cursor() {
    bounded(async {
        let (stub, index) = connected().await;
        index
            .apply(Batch {
                up_to: 9,
                ..Default::default()
            })
            .await
            .unwrap();
        stub.take_requests();
        index.clear().await.unwrap();
        let sent = stub.take_requests();
        assert_eq!(sent[0].path, "/books/_delete_by_query");
        assert!(sent[0].query.contains("refresh=true"), "{}", sent[0].query);
        assert_eq!(sent[0].json(), json!({"query": {"match_all": {}}}));
        assert_eq!(index.cursor().await.unwrap(), 0);
    })
    .await
}
