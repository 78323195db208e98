//! GraphQL over HTTP and SSE, query limits, error codes, health, metrics and the playground page.
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::helpers::{Backend, PATIENCE, announce, error_code, spawn_app, spawn_app_with};

async fn get_runs_queries_and_refuses_mutations(backend: Backend) {
    let app = spawn_app(backend).await;
    let query: Value = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "query Me { me { id } }")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(query["data"], json!({"me": null}));

    let mutation = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "mutation { announce(message: \"x\") { message } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(mutation.status(), 405);
    let body: Value = mutation.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

async fn a_body_over_the_limit_is_refused_with_413(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.limits.max_body_bytes = 4096).await;
    let padding = "x".repeat(5000);
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({"query": "{ me { id } }", "variables": {"pad": padding}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

async fn a_body_that_is_not_a_graphql_request_is_a_400_with_a_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

async fn graphql_mistakes_carry_a_code(backend: Backend) {
    let app = spawn_app(backend).await;
    for query in ["{ nope }", "{ me { id ", "query($x: Int!) { me { id } }"] {
        let body = app.gql(query, json!({})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{query}: {body}");
    }
    let unknown_operation: Value = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({"query": "query A { me { id } }", "operationName": "B"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        error_code(&unknown_operation),
        "BAD_USER_INPUT",
        "{unknown_operation}"
    );
}

async fn a_document_nested_past_the_parsers_limit_is_too_complex(backend: Backend) {
    let app = spawn_app(backend).await;
    // Deeper than the parser's recursion limit (32), which refuses it before any depth check.
    let nested = format!("{{ {} id {} }}", "me { ".repeat(40), "} ".repeat(40));
    let body = app.gql(&nested, json!({})).await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");
}

async fn deep_costly_or_alias_heavy_operations_are_too_complex(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.limits.max_depth = 2;
        c.limits.max_aliases = 2;
        c.limits.max_complexity = 4;
    })
    .await;
    let fine = app.gql("{ me { id } }", json!({})).await;
    assert!(fine.get("errors").is_none(), "{fine}");

    let too_deep = "subscription { announcements { author { role } } }";
    let aliases = "{ a: me { id } b: me { id } c: me { id } }";
    let costly = "{ me { id name email role } }";
    for query in [too_deep, aliases, costly] {
        let body = app.gql(query, json!({})).await;
        assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{query}: {body}");
    }
}

async fn subscriptions_work_over_server_sent_events(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let response = app
        .sse(None, "subscription { announcements { message } }")
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut body = response.bytes_stream();
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    // Keep announcing until the stream (which subscribes a moment after it opens) shows one.
    while !seen.contains("event: next") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no event arrived: {seen}"
        );
        announce(&app, &admin, "over SSE").await;
        if let Ok(Some(Ok(chunk))) =
            tokio::time::timeout(std::time::Duration::from_millis(200), body.next()).await
        {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
    assert!(
        seen.contains(r#"{"data":{"announcements":{"message":"over SSE"}}"#),
        "{seen}"
    );
}

async fn health_readiness_and_metrics_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.json::<Value>().await.unwrap(),
        json!({"database": true, "bus": true})
    );
    app.gql("{ me { id } }", json!({})).await;
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(
        metrics
            .text()
            .await
            .unwrap()
            .contains("folio_graphql_requests_total")
    );
}

async fn the_playground_is_served_at_the_root(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("Folio"), "{html}");
    // Every asset the page names is served too, so it works with no internet connection.
    for asset in html.split('"').filter(|s| s.starts_with("/assets/")) {
        let response = app.client.get(app.url(asset)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{asset}");
    }
    let missing = app.client.get(app.url("/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}

crate::on_every_backend!(
    get_runs_queries_and_refuses_mutations,
    a_body_over_the_limit_is_refused_with_413,
    a_body_that_is_not_a_graphql_request_is_a_400_with_a_code,
    graphql_mistakes_carry_a_code,
    a_document_nested_past_the_parsers_limit_is_too_complex,
    deep_costly_or_alias_heavy_operations_are_too_complex,
    subscriptions_work_over_server_sent_events,
    health_readiness_and_metrics_answer,
    the_playground_is_served_at_the_root,
);
