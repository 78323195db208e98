//! The embedded search index: Tantivy in `<data-dir>/search`. Each instance keeps its own and
//! follows the outbox itself; the outbox id it has applied is stored in the commit payload, so the
//! documents and the cursor can never disagree.
//!
//! `schema` holds the fields and the document a book becomes; `query` the searches and the
//! type-ahead; this file opens the index and writes it.
mod query;
mod schema;

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use self::schema::{Fields, SCHEMA_VERSION, schema};
use super::{Batch, SearchIndex, SearchRequest, SearchResults, Suggestion};
use crate::error::{Error, Result};

/// Memory for the writer's in-progress segment.
const WRITER_HEAP: usize = 64 * 1024 * 1024;

/// What the commit payload records.
#[derive(Serialize, Deserialize, Default)]
struct Payload {
    version: u32,
    cursor: i64,
}

/// The embedded Tantivy index.
pub struct TantivyIndex {
    index: Index,
    fields: Fields,
    reader: IndexReader,
    /// One writer per index; a std mutex because it is only used inside blocking tasks.
    writer: Arc<Mutex<IndexWriter>>,
}

/// Tantivy's failures are the server's, not the client's: an internal error, logged with its cause.
fn internal(err: impl std::fmt::Display) -> Error {
    Error::internal(anyhow::anyhow!("search index: {err}"))
}

impl TantivyIndex {
    /// Opens the index in `dir`, creating it, or rebuilding it if it has another schema version.
    pub(crate) fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let mut index = Index::open_or_create(
            tantivy::directory::MmapDirectory::open(dir)?,
            schema.clone(),
        );
        let stale = match &index {
            Ok(existing) => {
                read_payload(existing).version != SCHEMA_VERSION
                    && !existing.searchable_segment_ids()?.is_empty()
                    || existing.schema() != schema
            }
            Err(_) => true,
        };
        if stale {
            tracing::warn!(dir = %dir.display(), "the search index has another schema; rebuilding it");
            drop(index);
            std::fs::remove_dir_all(dir)?;
            std::fs::create_dir_all(dir)?;
            index = Index::create_in_dir(dir, schema);
        }
        Self::from_index(index?, fields)
    }

    /// An index in memory, for tests.
    pub fn in_memory() -> anyhow::Result<Self> {
        let (schema, fields) = schema();
        Self::from_index(Index::create_in_ram(schema), fields)
    }

    fn from_index(index: Index, fields: Fields) -> anyhow::Result<Self> {
        let writer = index.writer(WRITER_HEAP)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(TantivyIndex {
            index,
            fields,
            reader,
            writer: Arc::new(Mutex::new(writer)),
        })
    }

    /// A second handle on the same index and reader, to move into a blocking task.
    fn clone_handle(&self) -> TantivyIndex {
        TantivyIndex {
            index: self.index.clone(),
            fields: self.fields,
            reader: self.reader.clone(),
            writer: self.writer.clone(),
        }
    }
}

/// The payload of the last commit; the default (version 0, cursor 0) for an index never committed.
fn read_payload(index: &Index) -> Payload {
    index
        .load_metas()
        .ok()
        .and_then(|meta| meta.payload)
        .and_then(|p| serde_json::from_str(&p).ok())
        .unwrap_or_default()
}

#[async_trait]
impl SearchIndex for TantivyIndex {
    async fn apply(&self, batch: Batch) -> Result<()> {
        let docs: Vec<(i64, TantivyDocument)> = batch
            .upserts
            .iter()
            .map(|b| (b.id, self.fields.document(b)))
            .collect();
        let writer = self.writer.clone();
        let id_field = self.fields.id;
        tokio::task::spawn_blocking(move || -> Result<()> {
            let mut writer = writer.lock().unwrap_or_else(|e| e.into_inner());
            for id in batch.deletes.iter().chain(docs.iter().map(|(id, _)| id)) {
                writer.delete_term(Term::from_field_u64(id_field, *id as u64));
            }
            for (_, doc) in docs {
                writer.add_document(doc).map_err(internal)?;
            }
            let mut commit = writer.prepare_commit().map_err(internal)?;
            let payload = Payload {
                version: SCHEMA_VERSION,
                cursor: batch.up_to,
            };
            commit.set_payload(&serde_json::to_string(&payload).map_err(internal)?);
            commit.commit().map_err(internal)?;
            Ok(())
        })
        .await
        .map_err(internal)??;
        self.reader.reload().map_err(internal)
    }

    async fn cursor(&self) -> Result<i64> {
        let payload = read_payload(&self.index);
        Ok(if payload.version == SCHEMA_VERSION {
            payload.cursor
        } else {
            0
        })
    }

    async fn clear(&self) -> Result<()> {
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || -> Result<()> {
            let mut writer = writer.lock().unwrap_or_else(|e| e.into_inner());
            writer.delete_all_documents().map_err(internal)?;
            let mut commit = writer.prepare_commit().map_err(internal)?;
            commit.set_payload(
                &serde_json::to_string(&Payload {
                    version: SCHEMA_VERSION,
                    cursor: 0,
                })
                .map_err(internal)?,
            );
            commit.commit().map_err(internal)?;
            Ok(())
        })
        .await
        .map_err(internal)??;
        self.reader.reload().map_err(internal)
    }

    /// Merges every segment into one: a bulk load leaves dozens, and a search visits each.
    async fn compact(&self) -> Result<()> {
        let writer = self.writer.clone();
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || -> Result<()> {
            // The writer's own merge policy may be merging some of the same segments in the
            // background; a merge of a list that changed meanwhile fails, so read it again and retry.
            let mut last_error = None;
            for _ in 0..10 {
                let segments = index.searchable_segment_ids().map_err(internal)?;
                if segments.len() < 2 {
                    return Ok(());
                }
                let mut writer = writer.lock().unwrap_or_else(|e| e.into_inner());
                match writer.merge(&segments).wait() {
                    Ok(_) => {
                        writer.garbage_collect_files().wait().map_err(internal)?;
                        return Ok(());
                    }
                    Err(err) => last_error = Some(err),
                }
                drop(writer);
                std::thread::sleep(std::time::Duration::from_millis(500));
            }
            Err(internal(last_error.map_or_else(
                || "merge failed".to_owned(),
                |e| e.to_string(),
            )))
        })
        .await
        .map_err(internal)??;
        self.reader.reload().map_err(internal)
    }

    async fn search(&self, request: &SearchRequest) -> Result<SearchResults> {
        let this = self.clone_handle();
        let request = request.clone();
        tokio::task::spawn_blocking(move || this.search_blocking(&request))
            .await
            .map_err(internal)?
    }

    async fn suggest(&self, prefix: &str, limit: usize) -> Result<Vec<Suggestion>> {
        let this = self.clone_handle();
        let prefix = prefix.to_owned();
        tokio::task::spawn_blocking(move || this.suggest_blocking(&prefix, limit))
            .await
            .map_err(internal)?
    }
}
