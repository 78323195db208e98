//! The client contract: `schema.graphql` is current, every contract operation validates against the
//! schema, and every type, field and argument is documented.
use std::collections::BTreeSet;
use std::path::Path;

use std::sync::Arc;

use async_graphql::Response;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app};

/// Operations of domains whose issue has not landed yet, by name. Each entry is removed when its
/// domain lands; the test fails if a listed operation already validates, so none lingers here.
const PENDING: &[&str] = &[];

/// The files of `../shared/contract/next/` whose issue has landed, copied into `tests/contract/next/`.
const LANDED_NEXT: &[&str] = &["edge.graphql"];

fn manifest_path(relative: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

#[test]
fn schema_graphql_is_the_output_of_folio_schema() {
    let committed = std::fs::read_to_string(manifest_path("schema.graphql")).unwrap_or_default();
    assert!(
        committed == folio::graphql::sdl(),
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql` and commit it"
    );
}

#[test]
fn the_contract_copy_matches_the_shared_contract_when_it_is_present() {
    let shared = manifest_path("../shared/contract/operations.graphql");
    let Ok(shared) = std::fs::read_to_string(&shared) else {
        crate::helpers::say_once_skipped(
            "../shared/contract/operations.graphql is not beside this checkout: not compared",
        );
        return;
    };
    let ours = std::fs::read_to_string(manifest_path("tests/contract/operations.graphql")).unwrap();
    assert!(
        ours == shared,
        "tests/contract/operations.graphql differs from the shared contract; copy it again"
    );
}

#[test]
fn the_landed_next_contracts_match_the_shared_ones_when_present() {
    for landed in LANDED_NEXT {
        let Ok(shared) =
            std::fs::read_to_string(manifest_path(&format!("../shared/contract/next/{landed}")))
        else {
            continue;
        };
        let ours = std::fs::read_to_string(manifest_path(&format!("tests/contract/next/{landed}")))
            .unwrap();
        assert!(
            ours == shared,
            "tests/contract/next/{landed} differs from the shared one"
        );
    }
}

/// One top-level definition of the contract document: its keyword, name and source text.
struct Definition {
    keyword: String,
    name: String,
    text: String,
}

/// Splits the document at every line that starts a definition (the contract is written that way:
/// each definition begins at the start of a line with its keyword).
fn definitions(document: &str) -> Vec<Definition> {
    let mut out: Vec<Definition> = Vec::new();
    for line in document.lines() {
        let mut words = line.split(|c: char| !(c.is_alphanumeric() || c == '_'));
        let first = words.next().unwrap_or("");
        if matches!(first, "query" | "mutation" | "subscription" | "fragment") {
            let name = words.find(|w| !w.is_empty()).unwrap_or("").to_owned();
            out.push(Definition {
                keyword: first.to_owned(),
                name,
                text: String::new(),
            });
        }
        if let Some(current) = out.last_mut() {
            current.text.push_str(line);
            current.text.push('\n');
        }
    }
    out
}

/// The operation's text with every fragment it uses, directly or through other fragments.
fn with_fragments(operation: &Definition, all: &[Definition]) -> String {
    let mut needed = BTreeSet::new();
    let mut queue = vec![operation.text.clone()];
    while let Some(text) = queue.pop() {
        for fragment in all.iter().filter(|d| d.keyword == "fragment") {
            if text.contains(&format!("...{}", fragment.name))
                && needed.insert(fragment.name.clone())
            {
                queue.push(fragment.text.clone());
            }
        }
    }
    let mut document = operation.text.clone();
    for fragment in all.iter().filter(|d| needed.contains(&d.name)) {
        document.push_str(&fragment.text);
    }
    document
}

/// Stops every operation after validation, so that checking the contract runs no resolver.
struct ValidateOnly;

impl ExtensionFactory for ValidateOnly {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ValidateOnly)
    }
}

#[async_trait::async_trait]
impl Extension for ValidateOnly {
    async fn execute(
        &self,
        _ctx: &ExtensionContext<'_>,
        _operation_name: Option<&str>,
        _next: NextExecute<'_>,
    ) -> Response {
        Response::new(async_graphql::Value::Null)
    }
}

#[tokio::test]
async fn every_contract_operation_validates_against_the_schema() {
    let limits = folio::Config::embedded(".").limits;
    let schema = folio::graphql::builder(&limits)
        .extension(ValidateOnly)
        .finish();
    let document =
        std::fs::read_to_string(manifest_path("tests/contract/operations.graphql")).unwrap();
    let mut all = definitions(&document);
    assert!(
        all.len() > 40,
        "the contract was not read: {} definitions",
        all.len()
    );
    // The contracts of landed issues, which may use the main contract's fragments.
    for landed in LANDED_NEXT {
        let path = manifest_path(&format!("tests/contract/next/{landed}"));
        all.extend(definitions(&std::fs::read_to_string(path).unwrap()));
    }
    let mut failures = Vec::new();
    for operation in all.iter().filter(|d| d.keyword != "fragment") {
        let response = schema.execute(with_fragments(operation, &all)).await;
        // Variables are not supplied: an error about a missing variable value means the operation
        // itself validated. Anything else is a real mismatch with the schema.
        let errors: Vec<String> = response
            .errors
            .iter()
            .map(|e| e.message.clone())
            // The complexity limit reads page sizes from variables, and says so when one is missing.
            .filter(|m| {
                !(m.starts_with("Variable")
                    && (m.contains("not provided") || m.ends_with("is not defined.")))
            })
            .collect();
        let pending = PENDING.contains(&operation.name.as_str());
        match (errors.is_empty(), pending) {
            (true, false) | (false, true) => {}
            (false, false) => {
                failures.push(format!("{} does not validate: {errors:?}", operation.name))
            }
            (true, true) => failures.push(format!(
                "{} validates now: remove it from PENDING",
                operation.name
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

async fn every_type_field_and_argument_is_documented(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = app
        .gql(
            "{ __schema { types { name kind description
                fields { name description args { name description } }
                inputFields { name description }
                enumValues { name description } } } }",
            json!({}),
        )
        .await;
    let mut missing = Vec::new();
    let blank = |v: &Value| v.as_str().is_none_or(|s| s.trim().is_empty());
    for ty in body["data"]["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        // GraphQL's own introspection types and built-in scalars are documented by the spec.
        if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        if blank(&ty["description"]) {
            missing.push(format!("type {name}"));
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            let field_name = field["name"].as_str().unwrap();
            if blank(&field["description"]) {
                missing.push(format!("field {name}.{field_name}"));
            }
            for arg in field["args"].as_array().into_iter().flatten() {
                if blank(&arg["description"]) {
                    missing.push(format!("argument {name}.{field_name}({})", arg["name"]));
                }
            }
        }
        for field in ty["inputFields"].as_array().into_iter().flatten() {
            if blank(&field["description"]) {
                missing.push(format!("input field {name}.{}", field["name"]));
            }
        }
        for value in ty["enumValues"].as_array().into_iter().flatten() {
            if blank(&value["description"]) {
                missing.push(format!("enum value {name}.{}", value["name"]));
            }
        }
    }
    assert!(missing.is_empty(), "undocumented:\n{}", missing.join("\n"));
}

crate::on_every_backend!(every_type_field_and_argument_is_documented);
