//! Elasticsearch: the shared index of the scaled-out mode. Every instance reads and writes the same
//! index, so the cursor lives in the cluster too, in a one-document companion index `{name}-meta`.
//!
//! The mapping and the queries mirror the Tantivy index (`tantivy.rs`): stemmed English fields
//! with the same boosts for relevance, plain lower-cased words (split on anything but letters and
//! digits, as [`words`] does) for typos and type-ahead, one typo per word of four characters or
//! more, every word required somewhere, and an ISBN that also matches exactly.
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use async_trait::async_trait;
use elasticsearch::http::headers::{CONTENT_TYPE, HeaderValue};
use elasticsearch::http::response::Response;
use elasticsearch::http::transport::{SingleNodeConnectionPool, TransportBuilder};
use elasticsearch::http::{StatusCode, Url};
use elasticsearch::indices::{IndicesCreateParts, IndicesExistsParts};
use elasticsearch::params::{Conflicts, Refresh};
use elasticsearch::{
    BulkOperation, BulkParts, DeleteByQueryParts, Elasticsearch, GetParts, IndexParts, SearchParts,
};
use serde_json::{Value, json};

use super::suggestion::SuggestionRanking;
use super::{Batch, BookDocument, SearchIndex, SearchRequest, SearchResults, Suggestion, words};
use crate::domain::book::BookFilter;
use crate::domain::isbn;
use crate::error::{Error, Result};

/// Id of the one document of the meta index.
const CURSOR_ID: &str = "cursor";
/// A hung cluster must not hang the relay: it gives up and retries with backoff.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Emptying a large index for `folio reindex` is slow, and nothing waits on it but the operator.
const CLEAR_TIMEOUT: Duration = Duration::from_secs(600);
/// Elasticsearch's default `index.max_result_window`: `from + size` beyond it is refused.
const MAX_RESULT_WINDOW: usize = 10_000;
/// Text fields with their relevance boosts, as in the Tantivy index.
const STEMMED_FIELDS: [&str; 5] = [
    "title^3",
    "authors^2.5",
    "subtitle^1.5",
    "keywords^1.5",
    "description",
];
/// Plain-word fields where typos are matched: a stem would move a misspelt word further away
/// ("whailing" → "whail", two edits from "whale"). Fuzzy matches score below exact ones.
const TYPO_FIELDS: [&str; 3] = ["title_words", "author_words^0.8", "all_words^0.3"];

/// Search in Elasticsearch.
pub struct ElasticIndex {
    client: Elasticsearch,
    name: String,
    meta: String,
    /// The cursor as this instance last read or wrote it, to put back when a batch half failed.
    last_cursor: AtomicI64,
}

impl ElasticIndex {
    /// Connects to Elasticsearch at `url` and makes sure the index `name` and its companion
    /// `{name}-meta` exist with their mappings. Credentials may be given in the URL.
    pub async fn connect(url: &str, name: &str) -> anyhow::Result<Self> {
        let mut url = Url::parse(url).context("ELASTICSEARCH_URL is not a URL")?;
        // Request paths are joined to the URL: without a trailing slash, a path prefix is lost.
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        // One node, no sniffing: behind a load balancer or a cloud endpoint the URL is the cluster.
        let transport = TransportBuilder::new(SingleNodeConnectionPool::new(url))
            .timeout(REQUEST_TIMEOUT)
            .build()?;
        let index = ElasticIndex {
            client: Elasticsearch::new(transport),
            name: name.to_owned(),
            meta: format!("{name}-meta"),
            last_cursor: AtomicI64::new(0),
        };
        index.ensure(&index.name, Self::books_index_body()).await?;
        index.ensure(&index.meta, Self::meta_index_body()).await?;
        Ok(index)
    }

    /// The settings and mapping the books index is created with. `folio_english` (stemmed, for
    /// relevance) and `folio_words` (plain lower-cased words, for typos and type-ahead) split text
    /// as Tantivy's tokenizer does. The `*_words` fields are filled by `copy_to`, so `_source` is
    /// the document as [`BookDocument`] has it; the type-ahead fields index prefixes up to 5
    /// characters, so a short prefix is a term lookup rather than a scan of the term dictionary.
    pub fn books_index_body() -> Value {
        let stemmed = json!({ "type": "text", "analyzer": "folio_english" });
        let stemmed_into = |copy_to: &str| {
            let mut field = stemmed.clone();
            field["copy_to"] = json!([copy_to]);
            field
        };
        let plain = json!({ "type": "text", "analyzer": "folio_words" });
        let type_ahead = json!({
            "type": "text", "analyzer": "folio_words",
            "index_prefixes": { "min_chars": 1, "max_chars": 5 },
        });
        json!({
            "settings": { "analysis": {
                "tokenizer": {
                    "folio_alphanumeric": { "type": "pattern", "pattern": "[^\\p{L}\\p{N}]+" },
                },
                // Snowball English, the stemmer of Tantivy's `en_stem`.
                "filter": {
                    "folio_english_stemmer": { "type": "stemmer", "language": "porter2" },
                },
                "analyzer": {
                    "folio_english": {
                        "type": "custom", "tokenizer": "folio_alphanumeric",
                        "filter": ["lowercase", "folio_english_stemmer"],
                    },
                    "folio_words": {
                        "type": "custom", "tokenizer": "folio_alphanumeric",
                        "filter": ["lowercase"],
                    },
                },
            } },
            "mappings": {
                "dynamic": "strict",
                "properties": {
                    "id": { "type": "long" },
                    "isbn": { "type": "keyword" },
                    "title": stemmed_into("title_words"),
                    "subtitle": stemmed_into("all_words"),
                    "description": stemmed_into("all_words"),
                    "keywords": stemmed_into("all_words"),
                    "authors": stemmed,
                    "author_names": { "type": "keyword", "copy_to": ["authors", "author_words"] },
                    "author_ids": { "type": "long" },
                    "title_words": type_ahead.clone(),
                    "author_words": type_ahead,
                    "all_words": plain,
                    "category_ids": { "type": "long" },
                    "price": { "type": "long" },
                    "in_stock": { "type": "boolean" },
                },
            },
        })
    }

    /// The settings and mapping of the meta index, which holds the cursor.
    pub fn meta_index_body() -> Value {
        let properties = json!({ "cursor": { "type": "long" } });
        json!({ "mappings": { "dynamic": "strict", "properties": properties } })
    }

    /// Creates `index` with `body` unless it exists.
    async fn ensure(&self, index: &str, body: Value) -> anyhow::Result<()> {
        let indices = self.client.indices();
        let what = format!("checking that index {index} exists");
        let sent = indices
            .exists(IndicesExistsParts::Index(&[index]))
            .send()
            .await;
        if answer(&what, sent, true).await?.is_some() {
            return Ok(());
        }
        let what = format!("creating index {index}");
        let sent = indices
            .create(IndicesCreateParts::Index(index))
            .body(body)
            .send()
            .await;
        let (status, text) = read(&what, sent).await?;
        // Another instance starting at the same time may have created it first.
        if status.is_success() || text.contains("resource_already_exists_exception") {
            Ok(())
        } else {
            bail!("Elasticsearch {what}: {status}: {}", excerpt(&text))
        }
    }

    async fn write_cursor(&self, cursor: i64) -> anyhow::Result<()> {
        let request = self
            .client
            .index(IndexParts::IndexId(&self.meta, CURSOR_ID));
        let sent = request.body(json!({ "cursor": cursor })).send().await;
        answer("writing the cursor", sent, false).await?;
        self.last_cursor.store(cursor, Ordering::SeqCst);
        Ok(())
    }

    async fn apply_batch(&self, batch: Batch) -> anyhow::Result<()> {
        let mut ops: Vec<BulkOperation<Value>> = Vec::new();
        for book in &batch.upserts {
            let op = BulkOperation::index(document(book)).index(&self.name);
            ops.push(op.id(book.id.to_string()).into());
        }
        // A book both upserted and deleted ends up indexed, as in the Tantivy index.
        for id in batch
            .deletes
            .iter()
            .filter(|id| !batch.upserts.iter().any(|b| b.id == **id))
        {
            ops.push(
                BulkOperation::delete(id.to_string())
                    .index(&self.name)
                    .into(),
            );
        }
        let cursor = BulkOperation::index(json!({ "cursor": batch.up_to }));
        ops.push(cursor.index(&self.meta).id(CURSOR_ID).into());
        let actions = ops.len();
        let request = self.client.bulk(BulkParts::None).refresh(Refresh::WaitFor);
        let request = request.header(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-ndjson"),
        );
        let reply = answer("bulk", request.body(ops).send().await, false).await?;
        let reply = reply.unwrap_or_default();
        let items = reply["items"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        if items.len() != actions {
            bail!(
                "Elasticsearch bulk: {} items for {actions} actions",
                items.len()
            );
        }
        let failed: Vec<String> = items.iter().filter_map(item_failure).collect();
        if failed.is_empty() {
            self.last_cursor.store(batch.up_to, Ordering::SeqCst);
            return Ok(());
        }
        // Bulk items succeed or fail one by one: when the cursor went through but a book did not,
        // put the cursor back, or the failed change would never be applied. Going back is safe: a
        // change applied twice leaves the same documents.
        if items
            .last()
            .is_some_and(|cursor| item_failure(cursor).is_none())
        {
            let previous = self.last_cursor.load(Ordering::SeqCst);
            if let Err(err) = self.write_cursor(previous).await {
                tracing::error!(error = %err, "the search cursor could not be put back");
            }
        }
        // The first few say why; a whole rejected batch would flood the log.
        let first: Vec<&str> = failed.iter().take(5).map(String::as_str).collect();
        bail!(
            "Elasticsearch bulk: {} failed: {}",
            failed.len(),
            first.join("; ")
        )
    }

    async fn search_index(&self, request: &SearchRequest) -> anyhow::Result<SearchResults> {
        let Some(query) = text_query(&request.text, &request.filter) else {
            return Ok(SearchResults::default());
        };
        // Past the result window Elasticsearch refuses the request; Tantivy answers an empty page
        // with the total and facets, and so does this.
        let from = request.offset.min(MAX_RESULT_WINDOW);
        let body = json!({
            "from": from,
            "size": request.limit.min(MAX_RESULT_WINDOW - from),
            "track_total_hits": true,
            "_source": false,
            "query": query,
            "aggs": { "categories": { "terms": { "field": "category_ids", "size": 100 } } },
        });
        let reply = self.query("search", body).await?;
        let total = reply["hits"]["total"]["value"].as_u64().ok_or_else(|| {
            anyhow!(
                "Elasticsearch search: no hits.total in {}",
                excerpt(&reply.to_string())
            )
        })?;
        let hits = hits(&reply)
            .filter_map(|hit| Some((hit_id(hit)?, hit["_score"].as_f64().unwrap_or(0.0) as f32)))
            .collect();
        let buckets = reply["aggregations"]["categories"]["buckets"].as_array();
        let mut facets: Vec<(i64, u64)> = buckets
            .into_iter()
            .flatten()
            .filter_map(|b| Some((b["key"].as_i64()?, b["doc_count"].as_u64()?)))
            .collect();
        facets.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(SearchResults {
            hits,
            total,
            facets,
        })
    }

    async fn suggest_from_index(
        &self,
        prefix: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<Suggestion>> {
        let Some(mut ranking) = SuggestionRanking::for_prefix(prefix) else {
            return Ok(Vec::new());
        };
        // Earlier words whole, the last one as a prefix, all of them in the same field.
        let prefix_of = |field: &str| {
            let query = json!({ "query": ranking.words().join(" "), "operator": "and" });
            json!({ "match_bool_prefix": { field: query } })
        };
        let body = json!({
            "size": limit * 4,
            "_source": ["title", "author_ids", "author_names"],
            "query": { "bool": {
                "should": [prefix_of("title_words"), prefix_of("author_words")],
                "minimum_should_match": 1,
            } },
        });
        let reply = self.query("suggest", body).await?;
        for hit in hits(&reply) {
            let source = &hit["_source"];
            let names = source["author_names"].as_array().into_iter().flatten();
            let ids = source["author_ids"].as_array().into_iter().flatten();
            for (name, id) in names.zip(ids) {
                if let (Some(name), Some(id)) = (name.as_str(), id.as_i64()) {
                    ranking.offer_author(name, id);
                }
            }
            // The hit may have matched on its authors only: keep the title if it matches itself.
            if let (Some(title), Some(id)) = (source["title"].as_str(), hit_id(hit))
                && ranking.title_matches(title)
            {
                ranking.offer_title(title, id);
            }
        }
        Ok(ranking.ranked(limit))
    }

    async fn query(&self, what: &str, body: Value) -> anyhow::Result<Value> {
        let index = [self.name.as_str()];
        let sent = self
            .client
            .search(SearchParts::Index(&index))
            .body(body)
            .send()
            .await;
        Ok(answer(what, sent, false).await?.unwrap_or_default())
    }
}

/// The document as the books index stores it.
fn document(book: &BookDocument) -> Value {
    json!({
        "id": book.id, "isbn": book.isbn, "title": book.title, "subtitle": book.subtitle,
        "description": book.description, "keywords": book.keywords,
        "author_ids": book.author_ids, "author_names": book.author_names,
        "category_ids": book.category_ids, "price": book.price_minor, "in_stock": book.in_stock,
    })
}

/// The `bool` query of a search: every word somewhere (or the ISBN), under the filter.
fn text_query(text: &str, filter: &BookFilter) -> Option<Value> {
    let per_word: Vec<Value> = words(text)
        .into_iter()
        .map(|word| {
            let mut either = vec![json!({ "multi_match": {
                "query": word, "type": "most_fields", "fields": STEMMED_FIELDS,
            } })];
            // One typo, not for very short words, where one edit reaches half the dictionary.
            if word.chars().count() >= 4 {
                either.push(json!({ "multi_match": {
                    "query": word, "type": "most_fields", "fields": TYPO_FIELDS,
                    "fuzziness": 1, "prefix_length": 0,
                } }));
            }
            json!({ "bool": { "should": either, "minimum_should_match": 1 } })
        })
        .collect();
    let mut query = json!({ "filter": filters(filter) });
    match isbn::looks_like_isbn(text) {
        // An ISBN's digits are no words of any text: the exact ISBN alone must be enough.
        Some(isbn) => {
            query["should"] = json!([
                { "bool": { "must": per_word } },
                { "term": { "isbn": { "value": isbn.as_str(), "boost": 20.0 } } },
            ]);
            query["minimum_should_match"] = json!(1);
        }
        None if per_word.is_empty() => return None,
        None => query["must"] = Value::Array(per_word),
    }
    Some(json!({ "bool": query }))
}

fn filters(filter: &BookFilter) -> Vec<Value> {
    let mut clauses = Vec::new();
    if let Some(id) = filter.category_id {
        clauses.push(json!({ "term": { "category_ids": id } }));
    }
    if let Some(id) = filter.author_id {
        clauses.push(json!({ "term": { "author_ids": id } }));
    }
    if filter.min_price.is_some() || filter.max_price.is_some() {
        let mut range = serde_json::Map::new();
        if let Some(min) = filter.min_price {
            range.insert("gte".into(), min.into());
        }
        if let Some(max) = filter.max_price {
            range.insert("lte".into(), max.into());
        }
        clauses.push(json!({ "range": { "price": range } }));
    }
    if filter.in_stock {
        clauses.push(json!({ "term": { "in_stock": true } }));
    }
    clauses
}

fn hits(reply: &Value) -> impl Iterator<Item = &Value> {
    reply["hits"]["hits"].as_array().into_iter().flatten()
}

fn hit_id(hit: &Value) -> Option<i64> {
    hit["_id"].as_str()?.parse().ok()
}

/// Why a bulk item failed, or `None` if it did not. Deleting a book that is not there is no
/// failure (no `error` then); a 404 with an `error`, a missing index, is one.
fn item_failure(item: &Value) -> Option<String> {
    let (action, result) = item.as_object()?.iter().next()?;
    let status = result["status"].as_u64().unwrap_or(0);
    let ok = (200..300).contains(&status)
        || action == "delete" && status == 404 && result.get("error").is_none();
    let reason = &result["error"]["reason"];
    (!ok).then(|| {
        format!(
            "{action} {}: {status} {}",
            result["_id"],
            reason.as_str().unwrap_or("")
        )
    })
}

/// The status and body of what Elasticsearch answered to `what`.
async fn read(
    what: &str,
    sent: std::result::Result<Response, elasticsearch::Error>,
) -> anyhow::Result<(StatusCode, String)> {
    let response = sent.with_context(|| format!("Elasticsearch {what}"))?;
    let status = response.status_code();
    let text = response
        .text()
        .await
        .with_context(|| format!("Elasticsearch {what}"))?;
    Ok((status, text))
}

/// The JSON body of a successful answer (`Null` when empty); `None` for a 404 when `missing_ok`.
/// Any other status is an error naming it with the start of the body, for the log.
async fn answer(
    what: &str,
    sent: std::result::Result<Response, elasticsearch::Error>,
    missing_ok: bool,
) -> anyhow::Result<Option<Value>> {
    let (status, text) = read(what, sent).await?;
    if missing_ok && status == StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !status.is_success() {
        bail!("Elasticsearch {what}: {status}: {}", excerpt(&text));
    }
    if text.trim().is_empty() {
        return Ok(Some(Value::Null));
    }
    let body = serde_json::from_str(&text)
        .with_context(|| format!("Elasticsearch {what}: not JSON: {}", excerpt(&text)))?;
    Ok(Some(body))
}

fn excerpt(text: &str) -> String {
    const MAX: usize = 300;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[async_trait]
impl SearchIndex for ElasticIndex {
    async fn apply(&self, batch: Batch) -> Result<()> {
        self.apply_batch(batch).await.map_err(Error::internal)
    }

    async fn cursor(&self) -> Result<i64> {
        let get = self.client.get(GetParts::IndexId(&self.meta, CURSOR_ID));
        let reply = answer("reading the cursor", get.send().await, true).await;
        let cursor = match reply.map_err(Error::internal)? {
            Some(doc) => doc["_source"]["cursor"].as_i64().unwrap_or(0),
            None => 0,
        };
        self.last_cursor.store(cursor, Ordering::SeqCst);
        Ok(cursor)
    }

    async fn clear(&self) -> Result<()> {
        let index = [self.name.as_str()];
        // Proceed past version conflicts: a relay may write while the index is emptied, and the
        // reindex that follows writes every book again anyway.
        let request = self
            .client
            .delete_by_query(DeleteByQueryParts::Index(&index))
            .refresh(true)
            .conflicts(Conflicts::Proceed)
            .request_timeout(CLEAR_TIMEOUT);
        let body = json!({ "query": { "match_all": {} } });
        let reply = answer("emptying the index", request.body(body).send().await, false).await;
        let reply = reply.map_err(Error::internal)?.unwrap_or_default();
        if let Some(failures) = reply["failures"].as_array().filter(|f| !f.is_empty()) {
            let failures = excerpt(&Value::Array(failures.clone()).to_string());
            return Err(Error::internal(anyhow!(
                "Elasticsearch emptying the index: {failures}"
            )));
        }
        self.write_cursor(0).await.map_err(Error::internal)
    }

    async fn search(&self, request: &SearchRequest) -> Result<SearchResults> {
        self.search_index(request).await.map_err(Error::internal)
    }

    async fn suggest(&self, prefix: &str, limit: usize) -> Result<Vec<Suggestion>> {
        self.suggest_from_index(prefix, limit)
            .await
            .map_err(Error::internal)
    }
}
