//! The Elasticsearch backend against a local stub that checks its requests.
//!
//! The stub listens on 127.0.0.1, records every request (method, path, query string, body) and
//! answers as Elasticsearch does; the tests assert the requests the index sends and how it reads
//! the answers. A live test runs against a real cluster when `FOLIO_TEST_ELASTICSEARCH_URL` is set.
//!
//! `stub` is the stand-in; `indexing` covers the index, its mapping, bulk writes and the cursor;
//! `querying` the searches and suggestions it sends and how it reads their answers; `live` the
//! real cluster.
use std::future::Future;
use std::time::Duration;

use folio::domain::book::BookFilter;
use folio::search::{BookDocument, ElasticIndex, SearchRequest};

use stub::Stub;

mod indexing;
mod live;
mod querying;
mod stub;

/// Every test is bounded: a request the stub never answers fails the test instead of hanging it.
pub async fn bounded<T>(test: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), test)
        .await
        .expect("the test finished within 30 s")
}

pub fn book(id: i64, title: &str, authors: &[(i64, &str)], categories: &[i64]) -> BookDocument {
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
pub async fn connected() -> (Stub, ElasticIndex) {
    let stub = Stub::start().await;
    let index = ElasticIndex::connect(&stub.url, "books").await.unwrap();
    stub.take_requests();
    (stub, index)
}

pub fn request(text: &str, filter: BookFilter, offset: usize, limit: usize) -> SearchRequest {
    SearchRequest {
        text: text.into(),
        filter,
        offset,
        limit,
    }
}
