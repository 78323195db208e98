//! Searching the Tantivy index: the query a search text becomes, the clauses of a filter, and the
//! type-ahead query, each run in a blocking task by the [`SearchIndex`](crate::search::SearchIndex)
//! impl in `mod.rs`.
use std::ops::Bound;

use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{
    BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Facet, Field, IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};

use super::schema::category_facet;
use super::{TantivyIndex, internal};
use crate::domain::book::BookFilter;
use crate::domain::isbn;
use crate::error::Result;
use crate::search::suggestion::SuggestionRanking;
use crate::search::{SearchRequest, SearchResults, Suggestion, words};

impl TantivyIndex {
    /// Every word in some field, stemmed or with one typo, or the text as an ISBN; `None` when
    /// the text has neither words nor an ISBN.
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

    /// The filter as required clauses, which narrow the matches and the facets alike.
    fn filter_clauses(&self, filter: &BookFilter) -> Vec<(Occur, Box<dyn Query>)> {
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

    /// A page of hits with the total and the category facets. Blocking: run it on a blocking task.
    pub(super) fn search_blocking(&self, request: &SearchRequest) -> Result<SearchResults> {
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

    /// Books whose authors or title start with the typed prefix, ranked by [`SuggestionRanking`].
    /// Blocking: run it on a blocking task.
    pub(super) fn suggest_blocking(&self, prefix: &str, limit: usize) -> Result<Vec<Suggestion>> {
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
