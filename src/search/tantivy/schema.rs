//! The Tantivy index's fields and the document a book becomes: stemmed English fields for
//! relevance, plain lower-cased words for typos and type-ahead, and the fields filters read.
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions,
};
use tantivy::{TantivyDocument, doc};

use crate::search::BookDocument;

/// Bumped whenever the fields below change: an index of another version is rebuilt from scratch.
pub(super) const SCHEMA_VERSION: u32 = 2;

/// The index's fields, resolved once when the schema is built.
#[derive(Clone, Copy)]
pub(super) struct Fields {
    pub(super) id: Field,
    pub(super) isbn: Field,
    pub(super) title: Field,
    pub(super) title_words: Field,
    pub(super) subtitle: Field,
    pub(super) description: Field,
    pub(super) keywords: Field,
    pub(super) authors: Field,
    pub(super) author_words: Field,
    pub(super) author_ids: Field,
    pub(super) all_words: Field,
    pub(super) category: Field,
    pub(super) price: Field,
    pub(super) in_stock: Field,
}

/// The schema, and its fields' handles.
pub(super) fn schema() -> (Schema, Fields) {
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

/// Categories are facets under `/c`, so one facet collector counts them all.
pub(super) fn category_facet(id: i64) -> Facet {
    Facet::from_path(["c".to_owned(), id.to_string()])
}

impl Fields {
    /// The document a book becomes.
    pub(super) fn document(&self, book: &BookDocument) -> TantivyDocument {
        let f = self;
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
}
