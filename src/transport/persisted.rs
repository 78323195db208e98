//! What a client sent (a query, a persisted query's hash, or both) turned into the document to
//! run, on every transport. The hash travels as Apollo's automatic persisted queries send it:
//! `extensions.persistedQuery = { version: 1, sha256Hash }` (in the JSON body, or as the
//! JSON-encoded `extensions` parameter of a GET). The rules, and the safelist, are
//! `operations::PersistedOperations::document_for`.
use async_graphql::ErrorExtensions;
use async_graphql::parser::parse_query;
use serde_json::{Value, json};

use super::{Gateway, GraphQLBody};
use crate::error::Error;
use crate::operations::document::reads_only_the_schema;

/// `body` with the document it names in place of (or checked against) what it sent.
pub(crate) async fn admit(gateway: &Gateway, mut body: GraphQLBody) -> Result<GraphQLBody, Error> {
    let hash = persisted_hash(body.extensions.as_ref())?;
    // Introspection passes a safelist only while the schema answers it at all.
    let introspection = gateway.state.config.introspection;
    let document = gateway
        .state
        .operations
        .document_for(hash.as_deref(), body.query.take(), |text| {
            introspection && parse_query(text).is_ok_and(|doc| reads_only_the_schema(&doc))
        })
        .await?;
    body.query = Some(document.to_string());
    Ok(body)
}

/// Whether the body names a document at all, by text or by hash.
pub(crate) fn names_a_document(body: &GraphQLBody) -> bool {
    body.query.is_some() || persisted_query(body.extensions.as_ref()).is_some()
}

fn persisted_query(extensions: Option<&Value>) -> Option<&Value> {
    extensions
        .and_then(|e| e.get("persistedQuery"))
        .filter(|p| !p.is_null())
}

/// The hash of `extensions.persistedQuery`, if the request has one.
fn persisted_hash(extensions: Option<&Value>) -> Result<Option<String>, Error> {
    let Some(persisted) = persisted_query(extensions) else {
        return Ok(None);
    };
    if persisted.get("version") != Some(&json!(1)) {
        return Err(Error::bad_input(
            "extensions.persistedQuery.version",
            "only version 1 of persisted queries is supported",
        ));
    }
    match persisted.get("sha256Hash").and_then(Value::as_str) {
        Some(hash) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(Some(hash.to_ascii_lowercase()))
        }
        _ => Err(Error::bad_input(
            "extensions.persistedQuery.sha256Hash",
            "is not a SHA-256 in hex",
        )),
    }
}

/// A refused request as a GraphQL response: the error alone, without locations or data.
pub(crate) fn refusal(error: &Error) -> async_graphql::Response {
    let extended = error.extend();
    let mut server_error = async_graphql::ServerError::new(extended.message, None);
    server_error.extensions = extended.extensions;
    async_graphql::Response::from_errors(vec![server_error])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_persisted_query_needs_version_1_and_a_hex_sha256() {
        let hash = "A".repeat(64);
        let good = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}});
        assert_eq!(persisted_hash(Some(&good)).unwrap(), Some("a".repeat(64)));
        assert_eq!(persisted_hash(Some(&json!({}))).unwrap(), None);
        assert_eq!(persisted_hash(None).unwrap(), None);
        for bad in [
            json!({"persistedQuery": {"version": 2, "sha256Hash": "a".repeat(64)}}),
            json!({"persistedQuery": {"version": 1, "sha256Hash": "xyz"}}),
            json!({"persistedQuery": {"version": 1}}),
        ] {
            assert!(persisted_hash(Some(&bad)).is_err(), "{bad}");
        }
    }
}
