//! Persisted operations: Apollo's automatic persisted queries over POST and GET, shared by every
//! instance; safelist mode; the manifest `folio operations manifest` prints; Cache-Control.
use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, error_code, spawn_app, spawn_app_with, spawn_two_instances,
};

const CATEGORIES: &str = "query Categories { categories { name } }";

fn sha256(text: &str) -> String {
    folio::operations::document::sha256_hex(text)
}

fn persisted(hash: &str) -> Value {
    json!({"persistedQuery": {"version": 1, "sha256Hash": hash}})
}

/// POSTs a hash, with the query when given.
async fn post_hash(app: &TestApp, hash: &str, query: Option<&str>) -> Value {
    let mut body = json!({"extensions": persisted(hash)});
    if let Some(query) = query {
        body["query"] = json!(query);
    }
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// GETs a hash alone, as a CDN-friendly client does.
async fn get_hash(app: &TestApp, hash: &str) -> reqwest::Response {
    let extensions = persisted(hash).to_string();
    app.client
        .get(app.url("/graphql"))
        .query(&[("extensions", extensions.as_str())])
        .send()
        .await
        .unwrap()
}

async fn an_unknown_hash_is_registered_with_its_query_then_runs_alone_over_post_and_get(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let hash = sha256(CATEGORIES);
    let unknown = post_hash(&app, &hash, None).await;
    assert_eq!(
        error_code(&unknown),
        "PERSISTED_QUERY_NOT_FOUND",
        "{unknown}"
    );
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");

    let registered = post_hash(&app, &hash, Some(CATEGORIES)).await;
    assert!(registered["data"]["categories"].is_array(), "{registered}");
    let by_post = post_hash(&app, &hash, None).await;
    assert_eq!(by_post, registered);
    let by_get = get_hash(&app, &hash).await;
    assert_eq!(by_get.status(), 200);
    assert_eq!(by_get.json::<Value>().await.unwrap(), registered);
}

async fn a_hash_that_is_not_the_querys_registers_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let hash = sha256("query Other { me { id } }");
    let mismatch = post_hash(&app, &hash, Some(CATEGORIES)).await;
    assert_eq!(error_code(&mismatch), "BAD_USER_INPUT", "{mismatch}");
    assert!(mismatch["data"].is_null());
    let still_unknown = post_hash(&app, &hash, None).await;
    assert_eq!(error_code(&still_unknown), "PERSISTED_QUERY_NOT_FOUND");
}

async fn only_documents_that_parse_and_fit_are_registered(backend: Backend) {
    let app = spawn_app(backend).await;
    let broken = "{ categories { name ";
    let first = post_hash(&app, &sha256(broken), Some(broken)).await;
    assert_eq!(error_code(&first), "BAD_USER_INPUT", "{first}");
    let again = post_hash(&app, &sha256(broken), None).await;
    assert_eq!(error_code(&again), "PERSISTED_QUERY_NOT_FOUND");

    let huge = format!("{{ categories {{ name }} }} # {}", "x".repeat(70_000));
    let refused = post_hash(&app, &sha256(&huge), Some(&huge)).await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
    let after = post_hash(&app, &sha256(&huge), None).await;
    assert_eq!(error_code(&after), "PERSISTED_QUERY_NOT_FOUND");
}

async fn a_persisted_mutation_cannot_run_over_get(backend: Backend) {
    let app = spawn_app(backend).await;
    let mutation = r#"mutation Add { addToCart(bookId: "1", quantity: 1) { itemCount } }"#;
    let hash = sha256(mutation);
    // Registered (the mutation itself fails: nobody is signed in).
    let first = post_hash(&app, &hash, Some(mutation)).await;
    assert_eq!(error_code(&first), "UNAUTHENTICATED", "{first}");
    let over_get = get_hash(&app, &hash).await;
    assert_eq!(over_get.status(), 405);
    assert_eq!(over_get.headers()["allow"], "GET, POST");
}

#[tokio::test]
async fn a_hash_registered_on_one_instance_runs_on_the_other() {
    let Some((first, second)) = spawn_two_instances(|_| {}).await else {
        return;
    };
    let hash = sha256(CATEGORIES);
    let registered = post_hash(&first, &hash, Some(CATEGORIES)).await;
    assert!(registered["data"]["categories"].is_array(), "{registered}");
    assert_eq!(post_hash(&second, &hash, None).await, registered);
}

#[tokio::test]
async fn a_known_hash_costs_no_query() {
    let app = spawn_app_with(Backend::Sqlite, crate::helpers::without_background_work).await;
    let query = "query Kind { __typename }";
    let hash = sha256(query);
    post_hash(&app, &hash, Some(query)).await;
    // The workers' first passes, at start, share the pool: let them finish.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let counter = app.state().sql_statements.clone();
    let before = counter.get();
    for _ in 0..10 {
        let body = post_hash(&app, &hash, None).await;
        assert_eq!(body["data"], json!({"__typename": "Query"}));
    }
    // Not one statement per request (a stray one from elsewhere in the server is tolerated).
    assert!(
        counter.get() - before < 3,
        "{} statements",
        counter.get() - before
    );
}

const CLIENT_OPERATIONS: &str = "# The storefront's operations.
query Categories { categories { name } }

query Me { me { ...Person } }

fragment Person on User { id name }
";

fn safelisted(path: std::path::PathBuf) -> impl FnOnce(&mut folio::Config) {
    move |config| config.safelist = Some(path)
}

#[tokio::test]
async fn a_safelist_runs_its_operations_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("operations.graphql");
    std::fs::write(&file, CLIENT_OPERATIONS).unwrap();
    let app = spawn_app_with(Backend::Sqlite, safelisted(file)).await;

    // By text, however it is laid out, and by hash.
    let by_text = app
        .gql(
            "query Categories {\n  categories {\n    name\n  }\n}",
            json!({}),
        )
        .await;
    assert!(by_text["data"]["categories"].is_array(), "{by_text}");
    let me = "query Me { me { ...Person } }\n\nfragment Person on User { id name }";
    assert_eq!(
        post_hash(&app, &sha256(me), None).await["data"],
        json!({"me": null})
    );

    // Anything else is refused, and cannot be registered.
    let other = "query Other { categories { name slug } }";
    let refused = app.gql(other, json!({})).await;
    assert_eq!(error_code(&refused), "OPERATION_NOT_ALLOWED", "{refused}");
    let register = post_hash(&app, &sha256(other), Some(other)).await;
    assert_eq!(error_code(&register), "OPERATION_NOT_ALLOWED");
    let after = post_hash(&app, &sha256(other), None).await;
    assert_eq!(error_code(&after), "OPERATION_NOT_ALLOWED");

    // The playground still loads its schema.
    let introspection = app
        .gql(crate::http_strictness::GRAPHIQL_INTROSPECTION, json!({}))
        .await;
    assert!(introspection.get("errors").is_none(), "{introspection}");
}

#[tokio::test]
async fn the_manifest_command_prints_what_a_safelist_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let operations = dir.path().join("operations.graphql");
    std::fs::write(&operations, CLIENT_OPERATIONS).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(["operations", "manifest"])
        .arg(&operations)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let manifest: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(manifest["format"], "apollo-persisted-query-manifest");
    let ops = manifest["operations"].as_array().unwrap();
    assert_eq!(ops.len(), 2);
    assert_eq!(
        (&ops[1]["name"], &ops[1]["type"]),
        (&json!("Me"), &json!("query"))
    );

    let file = dir.path().join("manifest.json");
    std::fs::write(&file, &output.stdout).unwrap();
    let app = spawn_app_with(Backend::Sqlite, safelisted(file)).await;
    for op in ops {
        let body = post_hash(&app, op["id"].as_str().unwrap(), None).await;
        assert!(body.get("errors").is_none(), "{op}: {body}");
    }
    let refused = app.gql("{ me { id } }", json!({})).await;
    assert_eq!(error_code(&refused), "OPERATION_NOT_ALLOWED");
}

async fn cache_control_of(app: &TestApp, query: &str, token: Option<&str>) -> (String, Value) {
    let mut request = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", query)]);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let header = response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .to_owned();
    (header, response.json().await.unwrap())
}

async fn only_anonymous_catalog_gets_may_be_cached_by_others(backend: Backend) {
    let app = spawn_app(backend).await;
    let (catalog, body) = cache_control_of(&app, CATEGORIES, None).await;
    assert_eq!(catalog, "public, max-age=60", "{body}");
    let (stock, _) = cache_control_of(
        &app,
        "{ books(first: 2) { edges { node { title available } } } }",
        None,
    )
    .await;
    assert_eq!(stock, "public, max-age=5");

    let (token, _, _) = app.sign_up("Cached").await;
    let (signed_in, _) = cache_control_of(&app, CATEGORIES, Some(&token)).await;
    let (with_me, _) = cache_control_of(&app, "{ categories { name } me { id } }", None).await;
    let (failing, _) =
        cache_control_of(&app, "{ book(id: \"Qm9vazo5OTk5\") { title } }", None).await;
    let (nothing_hinted, _) = cache_control_of(&app, "{ __typename }", None).await;
    for header in [signed_in, with_me, failing, nothing_hinted] {
        assert_eq!(header, "no-store");
    }
    let post = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({"query": CATEGORIES}))
        .send()
        .await
        .unwrap();
    assert_eq!(post.headers()["cache-control"], "no-store");
}

crate::on_every_backend!(
    an_unknown_hash_is_registered_with_its_query_then_runs_alone_over_post_and_get,
    a_hash_that_is_not_the_querys_registers_nothing,
    a_persisted_mutation_cannot_run_over_get,
    only_documents_that_parse_and_fit_are_registered,
    only_anonymous_catalog_gets_may_be_cached_by_others,
);
