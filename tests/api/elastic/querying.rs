//! The searches and suggestions the index sends, and how it reads Elasticsearch's answers.
use axum::http::Method;
use folio::domain::book::BookFilter;
use folio::error::Error;
use folio::search::{SearchIndex, SearchResults, Suggestion};
use serde_json::{Value, json};

use super::{bounded, connected, request};

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
