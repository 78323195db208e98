//! The Elasticsearch backend against a local stub that checks its requests.
//!
//! The stub listens on 127.0.0.1, records every request (method, path, query string, body) and
//! answers as Elasticsearch does; the tests assert the requests the index sends and how it reads
//! the answers. A live test runs against a real cluster when `FOLIO_TEST_ELASTICSEARCH_URL` is set.
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use folio::domain::book::BookFilter;
use folio::error::Error;
use folio::search::{
    Batch, BookDocument, ElasticIndex, SearchIndex, SearchRequest, SearchResults, Suggestion,
};
use serde_json::{Value, json};

use crate::helpers::{say_once_skipped, unique};

/// What the stub was sent.
#[derive(Clone, Debug)]
struct Recorded {
    method: Method,
    path: String,
    query: String,
    content_type: String,
    body: String,
}

impl Recorded {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    fn ndjson(&self) -> Vec<Value> {
        assert!(self.body.ends_with('\n'), "NDJSON ends with a newline");
        self.body
            .lines()
            .map(|line| serde_json::from_str(line).expect("one JSON value per line"))
            .collect()
    }
}

#[derive(Default)]
struct StubState {
    requests: Vec<Recorded>,
    indices: HashSet<String>,
    /// Meta index → the cursor document stored there.
    cursors: HashMap<String, i64>,
    /// Fail the first book of every bulk, as a rejected or broken shard does.
    fail_bulk: bool,
    /// Answer searches with 503, as a cluster without a live shard does.
    fail_search: bool,
    search_reply: Value,
}

/// A stand-in Elasticsearch on a local port.
struct Stub {
    url: String,
    state: Arc<Mutex<StubState>>,
}

impl Stub {
    async fn start() -> Stub {
        let state = Arc::new(Mutex::new(StubState::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Stub { url, state }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, StubState> {
        self.state.lock().unwrap()
    }

    /// The requests recorded since the last call.
    fn take_requests(&self) -> Vec<Recorded> {
        std::mem::take(&mut self.state().requests)
    }
}

fn reply(status: StatusCode, body: Value) -> Response {
    (
        status,
        [
            ("X-Elastic-Product", "Elasticsearch"),
            ("Content-Type", "application/json"),
        ],
        body.to_string(),
    )
        .into_response()
}

async fn answer(
    State(state): State<Arc<Mutex<StubState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = String::from_utf8_lossy(&body).into_owned();
    let mut stub = state.lock().unwrap();
    stub.requests.push(Recorded {
        method: method.clone(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or("").to_owned(),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned(),
        body: body.clone(),
    });
    let segments: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("HEAD", [index]) if stub.indices.contains(*index) => reply(StatusCode::OK, json!({})),
        ("HEAD", [_]) => reply(StatusCode::NOT_FOUND, json!({})),
        ("PUT", [index]) => {
            stub.indices.insert(index.to_string());
            let ack = json!({"acknowledged": true, "shards_acknowledged": true, "index": index});
            reply(StatusCode::OK, ack)
        }
        ("POST", ["_bulk"]) => bulk(&mut stub, &body),
        ("GET", [meta, "_doc", "cursor"]) => match stub.cursors.get(*meta) {
            Some(cursor) => reply(
                StatusCode::OK,
                json!({"_index": meta, "_id": "cursor", "_version": 3, "_seq_no": 2,
                    "_primary_term": 1, "found": true, "_source": {"cursor": cursor}}),
            ),
            None => reply(
                StatusCode::NOT_FOUND,
                json!({"_index": meta, "_id": "cursor", "found": false}),
            ),
        },
        ("PUT" | "POST", [meta, "_doc", "cursor"]) => {
            let cursor = serde_json::from_str::<Value>(&body).unwrap()["cursor"]
                .as_i64()
                .unwrap();
            stub.cursors.insert(meta.to_string(), cursor);
            reply(
                StatusCode::OK,
                json!({"_index": meta, "_id": "cursor", "result": "updated"}),
            )
        }
        ("POST", [_, "_search"]) if stub.fail_search => reply(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"error": {"type": "search_phase_execution_exception",
                "reason": "all shards failed"}, "status": 503}),
        ),
        ("POST", [_, "_search"]) => reply(StatusCode::OK, stub.search_reply.clone()),
        ("POST", [_, "_delete_by_query"]) => reply(
            StatusCode::OK,
            json!({"took": 2, "deleted": 3, "version_conflicts": 0, "failures": []}),
        ),
        _ => reply(
            StatusCode::BAD_REQUEST,
            json!({"error": "the stub does not know this request"}),
        ),
    }
}

/// Answers a bulk request item by item, as Elasticsearch does: deleting a missing document is a
/// 404 that is no error; a failing item does not stop the others (the cursor among them).
fn bulk(stub: &mut StubState, body: &str) -> Response {
    let mut lines = body
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap());
    let mut items = Vec::new();
    let mut errors = false;
    while let Some(action) = lines.next() {
        let (kind, meta) = action.as_object().unwrap().iter().next().unwrap();
        let index = meta["_index"].as_str().unwrap().to_owned();
        let id = meta["_id"].as_str().unwrap().to_owned();
        let item = if kind == "delete" {
            json!({"_index": index, "_id": id, "result": "not_found", "status": 404})
        } else {
            let source = lines.next().unwrap();
            if index.ends_with("-meta") {
                let cursor = source["cursor"].as_i64().unwrap();
                stub.cursors.insert(index.clone(), cursor);
                json!({"_index": index, "_id": id, "result": "updated", "status": 200})
            } else if stub.fail_bulk && !errors {
                errors = true;
                json!({"_index": index, "_id": id, "status": 500, "error": {
                    "type": "illegal_state_exception", "reason": "shard is closing"}})
            } else {
                json!({"_index": index, "_id": id, "result": "created", "status": 201})
            }
        };
        items.push(json!({ kind.clone(): item }));
    }
    reply(
        StatusCode::OK,
        json!({"took": 1, "errors": errors, "items": items}),
    )
}

/// Every test is bounded: a request the stub never answers fails the test instead of hanging it.
async fn bounded<T>(test: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), test)
        .await
        .expect("the test finished within 30 s")
}

fn book(id: i64, title: &str, authors: &[(i64, &str)], categories: &[i64]) -> BookDocument {
    BookDocument {
        id,
        isbn: folio::domain::isbn::synthetic(id as u64)
            .as_str()
            .to_owned(),
        title: title.to_owned(),
        subtitle: None,
        description: format!("The story of {title}."),
        keywords: vec!["classic".into()],
        author_ids: authors.iter().map(|(id, _)| *id).collect(),
        author_names: authors.iter().map(|(_, n)| n.to_string()).collect(),
        category_ids: categories.to_vec(),
        price_minor: 1000 + id,
        in_stock: true,
    }
}

/// A stub and an index connected to it, with the connection's requests already taken.
async fn connected() -> (Stub, ElasticIndex) {
    let stub = Stub::start().await;
    let index = ElasticIndex::connect(&stub.url, "books").await.unwrap();
    stub.take_requests();
    (stub, index)
}

fn request(text: &str, filter: BookFilter, offset: usize, limit: usize) -> SearchRequest {
    SearchRequest {
        text: text.into(),
        filter,
        offset,
        limit,
    }
}

/// The clause one word of a search becomes: stemmed fields with their boosts, and for words of four
/// characters or more, one typo on the plain-word fields.
fn word_clause(word: &str) -> Value {
    let mut either = vec![json!({"multi_match": {
        "query": word, "type": "most_fields",
        "fields": ["title^3", "authors^2.5", "subtitle^1.5", "keywords^1.5", "description"]}})];
    if word.len() >= 4 {
        either.push(json!({"multi_match": {
            "query": word, "type": "most_fields",
            "fields": ["title_words", "author_words^0.8", "all_words^0.3"],
            "fuzziness": 1, "prefix_length": 0}}));
    }
    json!({"bool": {"should": either, "minimum_should_match": 1}})
}

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
async fn a_search_sends_multi_match_with_fuzziness_filters_and_a_terms_aggregation() {
    bounded(async {
        let (stub, index) = connected().await;
        stub.state().search_reply = json!({
            "took": 3, "timed_out": false,
            "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": {"total": {"value": 23, "relation": "eq"}, "max_score": 12.5, "hits": [
                {"_index": "books", "_id": "7", "_score": 12.5},
                {"_index": "books", "_id": "9", "_score": 3.25}]},
            "aggregations": {"categories": {"doc_count_error_upper_bound": 0,
                "sum_other_doc_count": 0, "buckets": [
                {"key": 3, "doc_count": 23}, {"key": 5, "doc_count": 4},
                {"key": 1, "doc_count": 4}]}}
        });
        let filter = BookFilter {
            category_id: Some(3),
            min_price: Some(100),
            in_stock: true,
            ..Default::default()
        };
        let results = index
            .search(&request("Moby dik", filter, 20, 10))
            .await
            .unwrap();
        assert_eq!(
            results,
            SearchResults {
                hits: vec![(7, 12.5), (9, 3.25)],
                total: 23,
                facets: vec![(3, 23), (1, 4), (5, 4)],
            }
        );
        let sent = stub.take_requests();
        assert_eq!(sent.len(), 1);
        assert_eq!(
            (&sent[0].method, sent[0].path.as_str()),
            (&Method::POST, "/books/_search")
        );
        let body = sent[0].json();
        assert_eq!((&body["from"], &body["size"]), (&json!(20), &json!(10)));
        assert_eq!(body["track_total_hits"], true);
        assert_eq!(
            body["query"],
            json!({"bool": {
                // Every word must match; "dik" is too short for a typo.
                "must": [word_clause("moby"), word_clause("dik")],
                "filter": [
                    {"term": {"category_ids": 3}},
                    {"range": {"price": {"gte": 100}}},
                    {"term": {"in_stock": true}},
                ],
            }})
        );
        assert_eq!(
            body["aggs"],
            json!({"categories": {"terms": {"field": "category_ids", "size": 100}}})
        );
    })
    .await
}

#[tokio::test]
async fn a_page_past_the_result_window_asks_only_for_the_count() {
    bounded(async {
        let (stub, index) = connected().await;
        stub.state().search_reply = json!({"hits": {"total": {"value": 12000, "relation": "eq"},
            "hits": []}, "aggregations": {"categories": {"buckets": []}}});
        let results = index
            .search(&request("whale", BookFilter::default(), 10_005, 10))
            .await
            .unwrap();
        assert_eq!((results.total, results.hits.len()), (12000, 0));
        // Elasticsearch refuses from + size beyond 10 000; the page is empty, not an error.
        let body = stub.take_requests()[0].json();
        assert_eq!((&body["from"], &body["size"]), (&json!(10_000), &json!(0)));
    })
    .await
}

#[tokio::test]
async fn an_isbn_query_also_matches_the_isbn_field() {
    bounded(async {
        let (stub, index) = connected().await;
        stub.state().search_reply = json!({
            "hits": {"total": {"value": 1, "relation": "eq"},
                "hits": [{"_index": "books", "_id": "4", "_score": 31.0}]},
            "aggregations": {"categories": {"buckets": [{"key": 2, "doc_count": 1}]}}
        });
        let filter = BookFilter {
            max_price: Some(2000),
            ..Default::default()
        };
        let results = index
            .search(&request("978-0-14-143951-8", filter, 0, 5))
            .await
            .unwrap();
        assert_eq!(results.hits, [(4, 31.0)]);
        let query = &stub.take_requests()[0].json()["query"]["bool"];
        // Either all the words or the exact ISBN: the digits of an ISBN are in no text.
        assert_eq!(query["minimum_should_match"], 1);
        assert!(query.get("must").is_none(), "{query}");
        assert_eq!(
            query["should"][1],
            json!({"term": {"isbn": {"value": "9780141439518", "boost": 20.0}}})
        );
        let words = ["978", "0", "14", "143951", "8"].map(word_clause);
        assert_eq!(query["should"][0], json!({"bool": {"must": words}}));
        assert_eq!(
            query["filter"],
            json!([{"range": {"price": {"lte": 2000}}}])
        );
    })
    .await
}

#[tokio::test]
async fn suggestions_put_whole_prefix_matches_first() {
    bounded(async {
        let (stub, index) = connected().await;
        let hit = |id: &str, title: &str, ids: Value, names: Value| {
            json!({"_index": "books", "_id": id, "_score": 1.0,
                "_source": {"title": title, "author_ids": ids, "author_names": names}})
        };
        let total = json!({"value": 5, "relation": "eq"});
        stub.state().search_reply = json!({"hits": {"total": total, "hits": [
            hit("10", "Moby-Dick", json!([1]), json!(["Herman Melville"])),
            hit("11", "Melancholy Tales", json!([2]), json!(["Edgar Poe"])),
            hit("12", "Billy Budd", json!([1]), json!(["Herman Melville"])),
            hit("13", "Selected Works", json!([3, 4]), json!(["Mel Brooks", "Anne Bancroft"])),
            hit("14", "The Melody", json!([5]), json!(["Zed Zee"])),
        ]}});
        let author = |id: i64, text: &str| Suggestion::Author {
            text: text.into(),
            author_id: id,
        };
        let title = |id: i64, text: &str| Suggestion::Title {
            text: text.into(),
            book_id: id,
        };
        assert_eq!(
            index.suggest("Mel", 5).await.unwrap(),
            [
                author(3, "Mel Brooks"),
                title(11, "Melancholy Tales"),
                author(1, "Herman Melville"),
                title(14, "The Melody"),
            ],
            "whole-prefix matches first, each author once, and no book that matched by author only"
        );
        assert_eq!(
            index.suggest("mel", 2).await.unwrap(),
            [author(3, "Mel Brooks"), title(11, "Melancholy Tales")]
        );
        let body = stub.take_requests()[0].json();
        assert_eq!(body["size"], 20);
        assert_eq!(
            body["_source"],
            json!(["title", "author_ids", "author_names"])
        );
        let prefix = |field: &str| {
            json!({"match_bool_prefix": {field: {"query": "mel", "operator": "and"}}})
        };
        assert_eq!(
            body["query"]["bool"]["should"],
            json!([prefix("title_words"), prefix("author_words")])
        );
    })
    .await
}

#[tokio::test]
async fn an_error_answer_is_an_internal_error_that_names_the_status() {
    bounded(async {
        let (stub, index) = connected().await;
        stub.state().fail_search = true;
        let err = index
            .search(&request("whale", BookFilter::default(), 0, 10))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "internal server error",
            "nothing leaks to clients"
        );
        let Error::Internal(cause) = &err else {
            panic!("expected an internal error, got {err:?}");
        };
        let cause = format!("{cause:#}");
        assert!(
            cause.contains("503") && cause.contains("search_phase_execution_exception"),
            "{cause}"
        );
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
