//! What is sent to Elasticsearch: the books and meta indices' settings and mappings, the document a
//! book becomes, and the bodies of searches and suggestions.
use serde_json::{Value, json};

use super::ElasticIndex;
use crate::domain::book::BookFilter;
use crate::domain::isbn;
use crate::search::suggestion::SuggestionRanking;
use crate::search::{BookDocument, SearchRequest, words};

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

impl ElasticIndex {
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
}

/// The document as the books index stores it.
pub(super) fn document(book: &BookDocument) -> Value {
    json!({
        "id": book.id, "isbn": book.isbn, "title": book.title, "subtitle": book.subtitle,
        "description": book.description, "keywords": book.keywords,
        "author_ids": book.author_ids, "author_names": book.author_names,
        "category_ids": book.category_ids, "price": book.price_minor, "in_stock": book.in_stock,
    })
}

/// The body of a search, or `None` when the text has neither a word nor an ISBN.
pub(super) fn search_body(request: &SearchRequest) -> Option<Value> {
    let query = text_query(&request.text, &request.filter)?;
    // Past the result window Elasticsearch refuses the request; Tantivy answers an empty page
    // with the total and facets, and so does this.
    let from = request.offset.min(MAX_RESULT_WINDOW);
    Some(json!({
        "from": from,
        "size": request.limit.min(MAX_RESULT_WINDOW - from),
        "track_total_hits": true,
        "_source": false,
        "query": query,
        "aggs": { "categories": { "terms": { "field": "category_ids", "size": 100 } } },
    }))
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

/// The filter clauses of a search: they narrow the matches without scoring them.
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

/// The body of a type-ahead search: books whose title or authors hold the typed words, the last
/// one as a prefix. It asks for `limit * 4` books: many share an author, who is suggested once,
/// and some matched by an author whose title does not match.
pub(super) fn suggest_body(ranking: &SuggestionRanking, limit: usize) -> Value {
    // Earlier words whole, the last one as a prefix, all of them in the same field.
    let prefix_of = |field: &str| {
        let query = json!({ "query": ranking.words().join(" "), "operator": "and" });
        json!({ "match_bool_prefix": { field: query } })
    };
    json!({
        "size": limit * 4,
        "_source": ["title", "author_ids", "author_names"],
        "query": { "bool": {
            "should": [prefix_of("title_words"), prefix_of("author_words")],
            "minimum_should_match": 1,
        } },
    })
}
