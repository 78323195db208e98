//! GraphQL over HTTP, strictly: JSON bodies only (the CSRF defence), GET never mutates, the
//! GraphQL response media type, CORS, the WebSocket size limit, and introspection's switch and
//! limits.
use serde_json::{Value, json};

use crate::helpers::{Backend, error_code, spawn_app, spawn_app_with};

const SIGN_UP: &str = "mutation($e: String!) { signUp(input: {email: $e, password: \"password123\", name: \"Eve\"}) { token } }";

/// GraphiQL's introspection query (graphql-js `getIntrospectionQuery`, as GraphiQL 3 asks it).
pub const GRAPHIQL_INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name description type { ...TypeRef } defaultValue isDeprecated deprecationReason
}
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}
"#;

async fn post_raw(
    app: &crate::helpers::TestApp,
    content_type: Option<&str>,
    body: String,
) -> reqwest::Response {
    let mut request = app.client.post(app.url("/graphql")).body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    request.send().await.unwrap()
}

async fn a_sign_up_sent_as_anything_but_json_is_refused_with_415_and_creates_nobody(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let email = format!("{}@example.com", crate::helpers::unique("csrf"));
    let operation = json!({"query": SIGN_UP, "variables": {"e": email}}).to_string();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let response = post_raw(&app, content_type, operation.clone()).await;
        assert_eq!(response.status(), 415, "{content_type:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert!(body.get("data").is_none(), "{body}");
    }
    // The address is still free: none of those ran.
    let response = post_raw(&app, Some("application/json; charset=utf-8"), operation).await;
    let body: Value = response.json().await.unwrap();
    assert!(body["data"]["signUp"]["token"].is_string(), "{body}");
}

async fn get_never_runs_a_mutation_whatever_its_operation_name(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let book = app.stocked_book(&admin, "9.99", 5).await;
    let (token, _, _) = app.sign_up("Getter").await;
    let add =
        format!(r#"mutation Add {{ addToCart(bookId: "{book}", quantity: 1) {{ itemCount }} }}"#);
    let both = format!("query Me {{ me {{ id }} }} {add}");
    for (query, name, status) in [
        (add.as_str(), "", 405),
        (add.as_str(), "Add", 405),
        (both.as_str(), "Add", 405),
        (both.as_str(), "Nope", 400),
    ] {
        let response = app
            .client
            .get(app.url("/graphql"))
            .bearer_auth(&token)
            .query(&[("query", query), ("operationName", name)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{name:?} in {query}");
        if status == 405 {
            assert_eq!(response.headers()["allow"], "GET, POST");
        }
    }
    let cart = app
        .gql_as(Some(&token), "{ cart { itemCount } }", json!({}))
        .await;
    assert_eq!(cart["data"]["cart"]["itemCount"], 0, "{cart}");
}

async fn the_graphql_response_media_type_comes_back_with_its_status_codes(backend: Backend) {
    let app = spawn_app(backend).await;
    let ask = |query: &str, accept: &str| {
        app.client
            .post(app.url("/graphql"))
            .header("accept", accept)
            .json(&json!({ "query": query }))
            .send()
    };
    let graphql_response = "application/graphql-response+json";
    let fine = ask("{ me { id } }", graphql_response).await.unwrap();
    assert_eq!(fine.status(), 200);
    assert!(
        fine.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(graphql_response)
    );
    assert_eq!(
        fine.json::<Value>().await.unwrap()["data"],
        json!({"me": null})
    );

    let invalid = ask("{ nope }", graphql_response).await.unwrap();
    assert_eq!(invalid.status(), 400);
    assert!(
        invalid.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(graphql_response)
    );
    let body: Value = invalid.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert!(body.get("data").is_none(), "{body}");

    // Refused before the document is read, it still answers in the media type asked for.
    let not_json = app
        .client
        .post(app.url("/graphql"))
        .header("accept", graphql_response)
        .header("content-type", "text/plain")
        .body("{ me { id } }")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 415);
    assert!(
        not_json.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(graphql_response)
    );

    // application/json keeps answering 200, with the same errors.
    let legacy = ask("{ nope }", "application/json").await.unwrap();
    assert_eq!(legacy.status(), 200);
    assert!(
        legacy.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(
        error_code(&legacy.json::<Value>().await.unwrap()),
        "BAD_USER_INPUT"
    );
}

async fn preflight(app: &crate::helpers::TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, app.url("/graphql"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,authorization",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn cors_answers_the_configured_origins_and_no_other() {
    let shop = "http://shop.example";
    let app = spawn_app_with(Backend::Sqlite, |c| c.cors_origins = vec![shop.into()]).await;
    let allowed = preflight(&app, shop).await;
    assert!(allowed.status().is_success(), "{}", allowed.status());
    let headers = allowed.headers();
    assert_eq!(headers["access-control-allow-origin"], shop);
    let allow_headers = headers["access-control-allow-headers"].to_str().unwrap();
    assert!(allow_headers.contains("authorization") && allow_headers.contains("content-type"));

    let call = app
        .client
        .post(app.url("/graphql"))
        .header("origin", shop)
        .json(&json!({"query": "{ me { id } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(call.headers()["access-control-allow-origin"], shop);
    let exposed = call.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap();
    assert!(
        exposed.contains("ratelimit") && exposed.contains("retry-after"),
        "{exposed}"
    );

    let stranger = preflight(&app, "http://evil.example").await;
    assert!(
        stranger
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn without_configured_origins_no_cors_headers_are_sent() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = preflight(&app, "http://shop.example").await;
    assert!(!response.status().is_success(), "{}", response.status());
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn a_websocket_message_over_the_size_limit_closes_with_1009() {
    let app = spawn_app_with(Backend::Sqlite, |c| c.limits.max_body_bytes = 4096).await;
    let mut ws = app.ws_ready(None).await;
    let padding = "x".repeat(10_000);
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {"query": "{ me { id } }", "variables": {"pad": padding}}});
    ws.send(subscribe).await;
    assert_eq!(ws.expect_close().await.0, 1009);
}

/// Whether a WebSocket upgrade on `app` from a page of `origin` is accepted.
async fn socket_opens_from(app: &crate::helpers::TestApp, origin: &str) -> bool {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{}/graphql", app.addr)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("origin", origin.parse().unwrap());
    tokio_tungstenite::connect_async(request).await.is_ok()
}

#[tokio::test]
async fn a_page_of_another_origin_cannot_open_a_socket_unless_configured() {
    let app = spawn_app(Backend::Sqlite).await;
    assert!(!socket_opens_from(&app, "https://evil.example").await);
    assert!(socket_opens_from(&app, &format!("http://{}", app.addr)).await);

    let open = spawn_app_with(Backend::Sqlite, |c| {
        c.cors_origins = vec!["https://shop.example".into()]
    })
    .await;
    assert!(socket_opens_from(&open, "https://shop.example").await);
    assert!(!socket_opens_from(&open, "https://evil.example").await);
}

#[tokio::test]
async fn introspection_can_be_turned_off() {
    let app = spawn_app_with(Backend::Sqlite, |c| c.introspection = false).await;
    for query in [
        "{ __schema { queryType { name } } }",
        "{ __type(name: \"Book\") { name } }",
    ] {
        // The schema answers as if it had no such fields: nothing of it shows.
        let body = app.gql(query, json!({})).await;
        let data = &body["data"];
        assert!(
            data["__schema"].is_null() && data["__type"].is_null(),
            "{query}: {body}"
        );
    }
    let body = app.gql("{ me { id } }", json!({})).await;
    assert_eq!(body["data"], json!({"me": null}));
}

#[tokio::test]
async fn introspection_has_its_own_depth_limit_and_the_complexity_limit() {
    let app = spawn_app(Backend::Sqlite).await;
    // The playground's own query passes the defaults...
    let body = app.gql(GRAPHIQL_INTROSPECTION, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert!(body["data"]["__schema"]["types"].as_array().unwrap().len() > 20);
    // ...but introspection is no longer a way around the limits.
    let deep = format!(
        "{{ __type(name: \"Book\") {{ {} name {} }} }}",
        "ofType { ".repeat(22),
        "} ".repeat(22)
    );
    let body = app.gql(&deep, json!({})).await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");
    // Mixed with data, a document is held to the ordinary depth.
    let mixed = format!(
        "{{ me {{ id }} __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
        "ofType { ".repeat(10),
        "} ".repeat(10)
    );
    let body = app.gql(&mixed, json!({})).await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");

    let strict = spawn_app_with(Backend::Sqlite, |c| {
        c.limits.max_introspection_depth = 8;
    })
    .await;
    let body = strict.gql(GRAPHIQL_INTROSPECTION, json!({})).await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");
    let costly = spawn_app_with(Backend::Sqlite, |c| c.limits.max_complexity = 50).await;
    let body = costly.gql(GRAPHIQL_INTROSPECTION, json!({})).await;
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX", "{body}");
}

crate::on_every_backend!(
    a_sign_up_sent_as_anything_but_json_is_refused_with_415_and_creates_nobody,
    get_never_runs_a_mutation_whatever_its_operation_name,
    the_graphql_response_media_type_comes_back_with_its_status_codes,
);
