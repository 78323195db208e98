//! Persisted-query manifests: the JSON a client build ships (Apollo's
//! `apollo-persisted-query-manifest` format), made from a `.graphql` file of named operations by
//! `folio operations manifest`, and read back, with the plain `{ "<hash>": "<document>" }` form,
//! as a safelist.
use serde_json::{Value, json};

use super::document::{sha256_hex, split_operations};

/// Apollo's manifest for the operations of a `.graphql` file: each one's `id` is the SHA-256 of
/// its `body`, the hash a client sends for it.
pub fn apollo_manifest(source: &str) -> anyhow::Result<Value> {
    let operations: Vec<Value> = split_operations(source)?
        .into_iter()
        .map(|doc| {
            json!({
                "id": sha256_hex(&doc.body),
                "name": doc.name,
                "type": doc.kind,
                "body": doc.body,
            })
        })
        .collect();
    Ok(json!({
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": operations,
    }))
}

/// The (hash, document) pairs of a manifest, in either form. An Apollo manifest's ids are taken
/// as given: they are what its clients send, whatever function made them.
pub(crate) fn read_manifest(manifest: &Value) -> anyhow::Result<Vec<(String, String)>> {
    let Some(object) = manifest.as_object() else {
        anyhow::bail!("a manifest is a JSON object");
    };
    if let Some(format) = object.get("format") {
        anyhow::ensure!(
            format == "apollo-persisted-query-manifest",
            "unknown manifest format {format}"
        );
        anyhow::ensure!(
            object.get("version") == Some(&json!(1)),
            "only version 1 of the manifest format is known"
        );
        let Some(operations) = object.get("operations").and_then(Value::as_array) else {
            anyhow::bail!("the manifest has no `operations` list");
        };
        return operations
            .iter()
            .map(|op| match (op["id"].as_str(), op["body"].as_str()) {
                (Some(id), Some(body)) => Ok((id.to_ascii_lowercase(), body.to_owned())),
                _ => anyhow::bail!("every operation of the manifest needs an `id` and a `body`"),
            })
            .collect();
    }
    object
        .iter()
        .map(|(hash, document)| match document.as_str() {
            Some(document) => Ok((hash.to_ascii_lowercase(), document.to_owned())),
            None => anyhow::bail!("the document of {hash} is not a string"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_names_each_operation_by_the_hash_of_its_body() {
        let manifest = apollo_manifest("query A { me { id } }\nmutation B { signOut }").unwrap();
        assert_eq!(manifest["format"], "apollo-persisted-query-manifest");
        let ops = manifest["operations"].as_array().unwrap();
        assert_eq!(ops.len(), 2);
        assert_eq!(ops[0]["name"], "A");
        assert_eq!(ops[1]["type"], "mutation");
        assert_eq!(ops[0]["id"], sha256_hex("query A { me { id } }"));
        let pairs = read_manifest(&manifest).unwrap();
        assert_eq!(
            pairs[1],
            (
                sha256_hex("mutation B { signOut }"),
                "mutation B { signOut }".into()
            )
        );
    }

    #[test]
    fn a_plain_object_of_hashes_is_a_manifest_too() {
        let pairs = read_manifest(&json!({"ABC": "{ me { id } }"})).unwrap();
        assert_eq!(pairs, [("abc".to_owned(), "{ me { id } }".to_owned())]);
        assert!(read_manifest(&json!({"format": "other"})).is_err());
        assert!(read_manifest(&json!(["x"])).is_err());
    }
}
