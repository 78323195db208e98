//! Elasticsearch: the shared index of the scaled-out mode. Every instance reads and writes the same
//! index, so the cursor lives in the cluster too, in a one-document companion index `{name}-meta`.
//!
//! The mapping and the queries mirror the Tantivy index (`search::tantivy`): stemmed English fields
//! with the same boosts for relevance, plain lower-cased words (split on anything but letters and
//! digits, as [`words`](crate::search::words) does) for typos and type-ahead, one typo per word of
//! four characters or more, every word required somewhere, and an ISBN that also matches exactly.
//!
//! `dsl` holds what is sent (mappings, documents, query bodies), `reply` how answers are read; this
//! file connects, writes batches and the cursor, and runs the queries.
mod dsl;
mod reply;

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use async_trait::async_trait;
use elasticsearch::http::Url;
use elasticsearch::http::headers::{CONTENT_TYPE, HeaderValue};
use elasticsearch::http::transport::{SingleNodeConnectionPool, TransportBuilder};
use elasticsearch::indices::{IndicesCreateParts, IndicesExistsParts};
use elasticsearch::params::{Conflicts, Refresh};
use elasticsearch::{
    BulkOperation, BulkParts, DeleteByQueryParts, Elasticsearch, GetParts, IndexParts, SearchParts,
};
use serde_json::{Value, json};

use self::dsl::{document, search_body, suggest_body};
use self::reply::{answer, excerpt, item_failure, offer_suggestions, read, search_results};
use super::suggestion::SuggestionRanking;
use super::{Batch, SearchIndex, SearchRequest, SearchResults, Suggestion};
use crate::error::{Error, Result};

/// Id of the one document of the meta index.
const CURSOR_ID: &str = "cursor";
/// A hung cluster must not hang the relay: it gives up and retries with backoff.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Emptying a large index for `folio reindex` is slow, and nothing waits on it but the operator.
const CLEAR_TIMEOUT: Duration = Duration::from_secs(600);

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

    /// Writes the cursor alone: after emptying the index, or to put it back when a batch half failed.
    async fn write_cursor(&self, cursor: i64) -> anyhow::Result<()> {
        let request = self
            .client
            .index(IndexParts::IndexId(&self.meta, CURSOR_ID));
        let sent = request.body(json!({ "cursor": cursor })).send().await;
        answer("writing the cursor", sent, false).await?;
        self.last_cursor.store(cursor, Ordering::SeqCst);
        Ok(())
    }

    /// The batch as one bulk request, the cursor last: one round trip, and the cursor moves with
    /// the books it covers.
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
        let Some(body) = search_body(request) else {
            return Ok(SearchResults::default());
        };
        let reply = self.query("search", body).await?;
        search_results(&reply)
    }

    async fn suggest_from_index(
        &self,
        prefix: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<Suggestion>> {
        let Some(mut ranking) = SuggestionRanking::for_prefix(prefix) else {
            return Ok(Vec::new());
        };
        let reply = self.query("suggest", suggest_body(&ranking, limit)).await?;
        offer_suggestions(&reply, &mut ranking);
        Ok(ranking.ranked(limit))
    }

    /// Runs a search of the books index; `what` names it in errors.
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
