//! Elasticsearch: the shared index of the scaled-out mode (written in a following step).
use async_trait::async_trait;

use super::{Batch, SearchIndex, SearchRequest, SearchResults, Suggestion};
use crate::error::Result;

/// Search in Elasticsearch.
pub struct ElasticIndex;

impl ElasticIndex {
    /// Connects to Elasticsearch at `url` and makes sure the index `name` exists with its mapping.
    pub async fn connect(_url: &str, _name: &str) -> anyhow::Result<Self> {
        anyhow::bail!("the Elasticsearch backend is not built yet")
    }
}

#[async_trait]
impl SearchIndex for ElasticIndex {
    async fn apply(&self, _batch: Batch) -> Result<()> {
        unreachable!()
    }
    async fn cursor(&self) -> Result<i64> {
        unreachable!()
    }
    async fn clear(&self) -> Result<()> {
        unreachable!()
    }
    async fn search(&self, _request: &SearchRequest) -> Result<SearchResults> {
        unreachable!()
    }
    async fn suggest(&self, _prefix: &str, _limit: usize) -> Result<Vec<Suggestion>> {
        unreachable!()
    }
}
