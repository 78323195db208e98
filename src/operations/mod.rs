//! Persisted operations: documents a client names by the SHA-256 of their text instead of sending
//! them. Automatic persisted queries (Apollo's protocol) register documents in the
//! `persisted_operations` table, so a hash registered through one instance works on all of them,
//! with an in-process cache in front (a document never changes under its hash, so nothing in the
//! cache goes stale, and a hit costs no query). In safelist mode the list read at start is the
//! only source, and nothing can be registered.
//!
//! The rules of the protocol (what a hash, a text or both mean) are `PersistedOperations::document_for`;
//! how a request carries them is the transport's business.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sea_orm::DatabaseConnection;

use crate::entities::persisted_operation;
use crate::error::{Error, Result};

pub mod document;
pub mod manifest;
pub mod safelist;

pub use safelist::Safelist;

/// Registered documents remembered per instance; past that the cache starts over (a client build
/// has a few hundred operations at most).
const MAX_CACHED: usize = 10_000;

/// The persisted documents: the table and its cache, or the safelist.
pub struct PersistedOperations {
    db: DatabaseConnection,
    /// Hash → document. A std mutex: held only for a lookup or an insert.
    cache: Mutex<HashMap<String, Arc<str>>>,
    safelist: Option<Safelist>,
}

impl PersistedOperations {
    /// Registered documents in `db`, or (when given) only those of the safelist.
    pub fn new(db: DatabaseConnection, safelist: Option<Safelist>) -> Self {
        PersistedOperations {
            db,
            cache: Mutex::new(HashMap::new()),
            safelist,
        }
    }

    /// Whether only the safelist's documents run.
    pub fn is_safelisted(&self) -> bool {
        self.safelist.is_some()
    }

    /// The document to run for a request that sent a hash, a text, or both, `reads_only_the_schema`
    /// saying whether a text is introspection (which the safelist lets through, so that tools
    /// like the playground load; turning introspection off hides the schema).
    ///
    /// - a text alone runs as it is, in safelist mode only if it is listed
    ///   (`OPERATION_NOT_ALLOWED`);
    /// - a hash alone runs its document: `PERSISTED_QUERY_NOT_FOUND` when none is registered
    ///   (`OPERATION_NOT_ALLOWED` in safelist mode, where none can be);
    /// - both register the text under the hash, which must be the text's SHA-256
    ///   (`BAD_USER_INPUT` otherwise, and nothing is registered); in safelist mode the hash must
    ///   be listed and the text must be its document.
    pub async fn document_for(
        &self,
        hash: Option<&str>,
        text: Option<String>,
        reads_only_the_schema: impl FnOnce(&str) -> bool,
    ) -> Result<Arc<str>> {
        let hash = hash.map(str::to_ascii_lowercase);
        match (hash, text) {
            (None, None) => Err(Error::bad_input("query", "the request has no query")),
            (None, Some(text)) => match &self.safelist {
                Some(list) if !list.allows_text(&text) && !reads_only_the_schema(&text) => {
                    Err(Error::OperationNotAllowed)
                }
                _ => Ok(text.into()),
            },
            (Some(hash), None) => match self.find(&hash).await? {
                Some(document) => Ok(document),
                None if self.is_safelisted() => Err(Error::OperationNotAllowed),
                None => Err(Error::PersistedQueryNotFound),
            },
            (Some(hash), Some(text)) => {
                if let Some(list) = &self.safelist {
                    let Some(listed) = list.document(&hash) else {
                        return Err(Error::OperationNotAllowed);
                    };
                    if document::normal_form(&listed) != document::normal_form(&text) {
                        return Err(hash_mismatch());
                    }
                    return Ok(listed);
                }
                if document::sha256_hex(&text) != hash {
                    return Err(hash_mismatch());
                }
                // Only documents worth keeping are stored: ones that parse, of a bounded size
                // (anyone may register, so the table must not become free storage).
                if text.len() > MAX_REGISTERED_BYTES {
                    return Err(Error::bad_input(
                        "query",
                        format!("a persisted query may be at most {MAX_REGISTERED_BYTES} bytes"),
                    ));
                }
                if async_graphql::parser::parse_query(&text).is_err() {
                    // Not stored; the execution reports the syntax error as for any query.
                    return Ok(text.into());
                }
                persisted_operation::register(&self.db, &hash, &text).await?;
                let text: Arc<str> = text.into();
                self.remember(hash, text.clone());
                Ok(text)
            }
        }
    }

    /// The document of `hash`: from the safelist, or from the cache, else the table.
    async fn find(&self, hash: &str) -> Result<Option<Arc<str>>> {
        if let Some(list) = &self.safelist {
            return Ok(list.document(hash));
        }
        if let Some(document) = self.lock().get(hash) {
            return Ok(Some(document.clone()));
        }
        let Some(document) = persisted_operation::document(&self.db, hash).await? else {
            return Ok(None);
        };
        let document: Arc<str> = document.into();
        self.remember(hash.to_owned(), document.clone());
        Ok(Some(document))
    }

    fn remember(&self, hash: String, document: Arc<str>) {
        let mut cache = self.lock();
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(hash, document);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<str>>> {
        // A panic while holding the lock cannot leave the map half-written: use it as it is.
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The largest document that may be registered: far above any real operation.
const MAX_REGISTERED_BYTES: usize = 64 * 1024;

fn hash_mismatch() -> Error {
    Error::bad_input(
        "extensions.persistedQuery.sha256Hash",
        "is not the SHA-256 of the query",
    )
}
