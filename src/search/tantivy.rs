//! The embedded search index: Tantivy in `<data-dir>/search`. Each instance keeps its own and
//! follows the outbox itself; the outbox id it has applied is stored in the commit payload, so the
//! documents and the cursor can never disagree.
use std::ops::Bound;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{
    BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

use super::suggestion::SuggestionRanking;
use super::{Batch, SearchIndex, SearchRequest, SearchResults, Suggestion, words};
use crate::domain::isbn;
use crate::error::{Error, Result};

/// Bumped whenever the fields below change: an index of another version is rebuilt from scratch.
const SCHEMA_VERSION: u32 = 2;
/// Memory for the writer's in-progress segment.
const WRITER_HEAP: usize = 64 * 1024 * 1024;

/// What the commit payload records.
#[derive(Serialize, Deserialize, Default)]
struct Payload {
    version: u32,
    cursor: i64,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    isbn: Field,
    title: Field,
    title_words: Field,
    subtitle: Field,
    description: Field,
    keywords: Field,
    authors: Field,
    author_words: Field,
    author_ids: Field,
    all_words: Field,
    category: Field,
    price: Field,
    in_stock: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    // Stemmed English for relevance ("whales" finds "whale").
    let stemmed = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("en_stem")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    // Plain lower-cased words for type-ahead, where a stem would cut a prefix short.
    let plain = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("default")
            .set_index_option(IndexRecordOption::Basic),
    );
    let fields = Fields {
        id: builder.add_u64_field("id", INDEXED | STORED | FAST),
        isbn: builder.add_text_field("isbn", STRING),
        title: builder.add_text_field("title", stemmed.clone() | STORED),
        title_words: builder.add_text_field("title_words", plain.clone()),
        subtitle: builder.add_text_field("subtitle", stemmed.clone()),
        description: builder.add_text_field("description", stemmed.clone()),
        keywords: builder.add_text_field("keywords", stemmed.clone()),
        authors: builder.add_text_field("authors", stemmed | STORED),
        author_words: builder.add_text_field("author_words", plain.clone()),
        author_ids: builder.add_u64_field("author_ids", INDEXED | STORED),
        // Every text field's plain words, where typos are matched: a stem would move a misspelt
        // word further from its stem ("whailing" → "whail", two edits from "whale").
        all_words: builder.add_text_field("all_words", plain.clone()),
        category: builder.add_facet_field("category", FacetOptions::default()),
        price: builder.add_i64_field("price", INDEXED | FAST),
        in_stock: builder.add_u64_field("in_stock", INDEXED),
    };
    (builder.build(), fields)
}

fn category_facet(id: i64) -> Facet {
    Facet::from_path(["c".to_owned(), id.to_string()])
}

/// The embedded Tantivy index.
pub struct TantivyIndex {
    index: Index,
    fields: Fields,
    reader: IndexReader,
    /// One writer per index; a std mutex because it is only used inside blocking tasks.
    writer: Arc<Mutex<IndexWriter>>,
}

fn internal(err: impl std::fmt::Display) -> Error {
    Error::internal(anyhow::anyhow!("search index: {err}"))
}

impl TantivyIndex {
    /// Opens the index in `dir`, creating it, or rebuilding it if it has another schema version.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
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

    fn document(&self, book: &super::BookDocument) -> TantivyDocument {
        let f = self.fields;
        let mut doc = doc!(
            f.id => book.id as u64,
            f.isbn => book.isbn.clone(),
            f.title => book.title.clone(),
            f.title_words => book.title.clone(),
            f.description => book.description.clone(),
            f.keywords => book.keywords.join(" "),
            f.price => book.price_minor,
            f.in_stock => u64::from(book.in_stock),
        );
        if let Some(subtitle) = &book.subtitle {
            doc.add_text(f.subtitle, subtitle);
            doc.add_text(f.all_words, subtitle);
        }
        for text in [&book.description, &book.keywords.join(" ")] {
            doc.add_text(f.all_words, text);
        }
        for name in &book.author_names {
            doc.add_text(f.authors, name);
            doc.add_text(f.author_words, name);
        }
        for id in &book.author_ids {
            doc.add_u64(f.author_ids, *id as u64);
        }
        for id in &book.category_ids {
            doc.add_facet(f.category, category_facet(*id));
        }
        doc
    }

    fn text_query(&self, text: &str) -> Option<Box<dyn Query>> {
        let f = self.fields;
        let mut stemmer = self.index.tokenizers().get("en_stem")?;
        let mut per_word: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in words(text) {
            let mut stream = stemmer.token_stream(&word);
            let Some(stem) = stream.next().map(|t| t.text.clone()) else {
                continue;
            };
            let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (field, boost) in [
                (f.title, 3.0),
                (f.authors, 2.5),
                (f.subtitle, 1.5),
                (f.keywords, 1.5),
                (f.description, 1.0),
            ] {
                let exact = TermQuery::new(
                    Term::from_field_text(field, &stem),
                    IndexRecordOption::WithFreqs,
                );
                alternatives.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(exact), boost)),
                ));
            }
            // One typo per word: an edit or a transposition, on the plain words. Not for very short
            // words, where one edit reaches half the dictionary. Fuzzy matches score below exact ones.
            if word.chars().count() >= 4 {
                for (field, boost) in [
                    (f.title_words, 1.0),
                    (f.author_words, 0.8),
                    (f.all_words, 0.3),
                ] {
                    let fuzzy = FuzzyTermQuery::new(Term::from_field_text(field, &word), 1, true);
                    alternatives.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(fuzzy), boost)),
                    ));
                }
            }
            per_word.push((Occur::Must, Box::new(BooleanQuery::new(alternatives))));
        }
        let mut top: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if !per_word.is_empty() {
            top.push((Occur::Should, Box::new(BooleanQuery::new(per_word))));
        }
        if let Some(isbn) = isbn::looks_like_isbn(text) {
            let term = Term::from_field_text(f.isbn, isbn.as_str());
            let exact = TermQuery::new(term, IndexRecordOption::Basic);
            top.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(exact), 20.0)),
            ));
        }
        (!top.is_empty()).then(|| Box::new(BooleanQuery::new(top)) as Box<dyn Query>)
    }

    fn filter_clauses(
        &self,
        filter: &crate::domain::book::BookFilter,
    ) -> Vec<(Occur, Box<dyn Query>)> {
        let f = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(id) = filter.category_id {
            let term = Term::from_facet(f.category, &category_facet(id));
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
            ));
        }
        if let Some(id) = filter.author_id {
            let term = Term::from_field_u64(f.author_ids, id as u64);
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
            ));
        }
        if filter.min_price.is_some() || filter.max_price.is_some() {
            let bound = |v: Option<i64>| match v {
                Some(v) => Bound::Included(Term::from_field_i64(f.price, v)),
                None => Bound::Unbounded,
            };
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    bound(filter.min_price),
                    bound(filter.max_price),
                )),
            ));
        }
        if filter.in_stock {
            let term = Term::from_field_u64(f.in_stock, 1);
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
            ));
        }
        clauses
    }

    fn search_blocking(&self, request: &SearchRequest) -> Result<SearchResults> {
        let Some(text) = self.text_query(&request.text) else {
            return Ok(SearchResults::default());
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text)];
        clauses.extend(self.filter_clauses(&request.filter));
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let mut facets = FacetCollector::for_field("category");
        facets.add_facet(Facet::from("/c"));
        let top = TopDocs::with_limit(request.limit.max(1))
            .and_offset(request.offset)
            .order_by_score();
        let (hits, total, facet_counts) = searcher
            .search(&query, &(top, Count, facets))
            .map_err(internal)?;
        let mut results = SearchResults {
            total: total as u64,
            ..Default::default()
        };
        for (score, address) in hits {
            let doc: TantivyDocument = searcher.doc(address).map_err(internal)?;
            if let Some(id) = doc.get_first(self.fields.id).and_then(|v| v.as_u64()) {
                results.hits.push((id as i64, score));
            }
        }
        results.facets = facet_counts
            .get("/c")
            .filter_map(|(facet, count)| {
                let id = facet.to_path().last()?.parse::<i64>().ok()?;
                Some((id, count))
            })
            .collect();
        results
            .facets
            .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(results)
    }

    fn suggest_blocking(&self, prefix: &str, limit: usize) -> Result<Vec<Suggestion>> {
        let Some(mut ranking) = SuggestionRanking::for_prefix(prefix) else {
            return Ok(Vec::new());
        };
        let searcher = self.reader.searcher();
        let f = self.fields;
        // Earlier words whole, the last one as a prefix, all of them in the same field.
        let prefix_query = |field: Field| -> BooleanQuery {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = ranking
                .earlier_words()
                .iter()
                .map(|w| {
                    let term = Term::from_field_text(field, w);
                    (
                        Occur::Must,
                        Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>,
                    )
                })
                .collect();
            let term = Term::from_field_text(field, ranking.last_word());
            clauses.push((
                Occur::Must,
                Box::new(FuzzyTermQuery::new_prefix(term, 0, false)),
            ));
            BooleanQuery::new(clauses)
        };
        let (by_author, by_title) = (prefix_query(f.author_words), prefix_query(f.title_words));
        // Many books share an author, who is suggested once: read more books to find enough.
        let top = TopDocs::with_limit(limit * 4).order_by_score();
        for (_, address) in searcher.search(&by_author, &top).map_err(internal)? {
            let doc: TantivyDocument = searcher.doc(address).map_err(internal)?;
            let names = doc.get_all(f.authors).filter_map(|v| v.as_str());
            let ids = doc.get_all(f.author_ids).filter_map(|v| v.as_u64());
            for (name, id) in names.zip(ids) {
                ranking.offer_author(name, id as i64);
            }
        }
        // The title query matches on titles only, so every title it finds matches.
        let top = TopDocs::with_limit(limit).order_by_score();
        for (_, address) in searcher.search(&by_title, &top).map_err(internal)? {
            let doc: TantivyDocument = searcher.doc(address).map_err(internal)?;
            let title = doc.get_first(f.title).and_then(|v| v.as_str());
            let id = doc.get_first(f.id).and_then(|v| v.as_u64());
            if let (Some(title), Some(id)) = (title, id) {
                ranking.offer_title(title, id as i64);
            }
        }
        Ok(ranking.ranked(limit))
    }
}

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
            .map(|b| (b.id, self.document(b)))
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

impl TantivyIndex {
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
