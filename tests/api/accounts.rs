//! Signing up, signing in, `me`, and the role guards.
use serde_json::json;

use crate::helpers::{Backend, announce, announce_until_received, error_code, spawn_app, unique};

const SIGN_UP: &str = "mutation($e: String!, $p: String!, $n: String!) {
    signUp(input: {email: $e, password: $p, name: $n}) { token user { id email name role } } }";
const SIGN_IN: &str = "mutation($e: String!, $p: String!) {
    signIn(input: {email: $e, password: $p}) { token user { id email name role } } }";
const ME: &str = "{ me { id email name role } }";

async fn a_new_customer_is_signed_in_and_me_knows_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = format!("{}@Example.com", unique("Ada"));
    let body = app
        .gql(
            SIGN_UP,
            json!({"e": email, "p": "password123", "n": "Ada Lovelace"}),
        )
        .await;
    let payload = &body["data"]["signUp"];
    assert_eq!(payload["user"]["role"], "CUSTOMER");
    assert_eq!(payload["user"]["email"], email.to_lowercase());
    let token = payload["token"].as_str().unwrap();

    let me = app.gql_as(Some(token), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["name"], "Ada Lovelace");
    assert_eq!(me["data"]["me"]["id"], payload["user"]["id"]);
}

async fn an_email_is_taken_whatever_its_letter_case(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = format!("{}@example.com", unique("grace"));
    app.gql(
        SIGN_UP,
        json!({"e": email, "p": "password123", "n": "Grace"}),
    )
    .await;
    let again = app
        .gql(
            SIGN_UP,
            json!({"e": email.to_uppercase(), "p": "password123", "n": "Grace"}),
        )
        .await;
    assert_eq!(error_code(&again), "BAD_USER_INPUT");
    assert_eq!(again["errors"][0]["extensions"]["field"], "email");
}

async fn bad_sign_up_input_names_the_field_and_creates_nobody(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = format!("{}@example.com", unique("x"));
    for (e, p, n, field) in [
        (email.as_str(), "short", "X", "password"),
        ("not-an-email", "password123", "X", "email"),
        (email.as_str(), "password123", "   ", "name"),
    ] {
        let body = app.gql(SIGN_UP, json!({"e": e, "p": p, "n": n})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    // None of those created the account: the email is still free.
    let ok = app
        .gql(SIGN_UP, json!({"e": email, "p": "password123", "n": "X"}))
        .await;
    assert!(ok["data"]["signUp"]["token"].is_string(), "{ok}");
}

async fn sign_in_accepts_the_right_password_in_any_email_case_and_nothing_else(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, id, email) = app.sign_up("Alan").await;
    let ok = app
        .gql(
            SIGN_IN,
            json!({"e": email.to_uppercase(), "p": "password123"}),
        )
        .await;
    assert_eq!(ok["data"]["signIn"]["user"]["id"], id);

    let wrong_password = app
        .gql(SIGN_IN, json!({"e": email, "p": "password124"}))
        .await;
    let unknown_email = app
        .gql(
            SIGN_IN,
            json!({"e": "nobody@example.com", "p": "password123"}),
        )
        .await;
    assert_eq!(error_code(&wrong_password), "BAD_USER_INPUT");
    // Both failures read the same, so the answer does not reveal who has an account.
    assert_eq!(
        wrong_password["errors"][0]["message"],
        unknown_email["errors"][0]["message"]
    );
}

async fn a_forged_token_is_unauthenticated_and_no_token_is_anonymous(backend: Backend) {
    let app = spawn_app(backend).await;
    let anonymous = app.gql(ME, json!({})).await;
    assert_eq!(anonymous["data"]["me"], serde_json::Value::Null);
    let forged = folio::auth::Tokens::new(b"someone-else", std::time::Duration::from_secs(60))
        .issue(1, 1)
        .unwrap()
        .token;
    let body = app.gql_as(Some(&forged), ME, json!({})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

async fn only_admins_may_announce(backend: Backend) {
    let app = spawn_app(backend).await;
    let (customer, ..) = app.sign_up("Customer").await;
    let admin = app.admin_token().await;
    let anonymous = app
        .gql(
            "mutation { announce(message: \"hi\") { message } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    assert_eq!(
        error_code(&announce(&app, &customer, "hi").await),
        "FORBIDDEN"
    );
    let ok = announce(&app, &admin, "  Free shipping today  ").await;
    assert_eq!(ok["data"]["announce"]["message"], "Free shipping today");
    let empty = announce(&app, &admin, "   ").await;
    assert_eq!(error_code(&empty), "BAD_USER_INPUT");
    assert_eq!(empty["errors"][0]["extensions"]["field"], "message");
}

async fn another_users_email_is_not_shown(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (customer, ..) = app.sign_up("Nosy").await;
    let mut ws = app.ws_ready(Some(&customer)).await;
    ws.send(json!({"id": "1", "type": "subscribe", "payload": {
        "query": "subscription { announcements { message author { name email } } }"}}))
        .await;
    let next = announce_until_received(&app, &admin, &mut ws, "1").await;
    assert_eq!(
        next["payload"]["data"]["announcements"]["author"]["name"],
        "Admin"
    );
    assert_eq!(
        next["payload"]["data"]["announcements"]["author"]["email"],
        serde_json::Value::Null
    );
}

crate::on_every_backend!(
    a_new_customer_is_signed_in_and_me_knows_them,
    an_email_is_taken_whatever_its_letter_case,
    bad_sign_up_input_names_the_field_and_creates_nobody,
    sign_in_accepts_the_right_password_in_any_email_case_and_nothing_else,
    a_forged_token_is_unauthenticated_and_no_token_is_anonymous,
    only_admins_may_announce,
    another_users_email_is_not_shown,
);

mod failures {
    use sea_orm::ConnectionTrait;
    use serde_json::json;

    use crate::helpers::{Backend, error_code, spawn_app};

    /// A broken database shows the client a generic error: no SQL, no table name.
    #[tokio::test]
    async fn a_database_failure_is_an_internal_error_that_leaks_nothing() {
        let app = spawn_app(Backend::Sqlite).await;
        let (token, ..) = app.sign_up("Victim").await;
        // Once: the token's session is checked now, and trusted for a few seconds.
        app.gql_as(Some(&token), "{ me { id } }", json!({})).await;
        let db = &app.app.as_ref().unwrap().state.db;
        db.execute_unprepared("DROP TABLE users").await.unwrap();
        let body = app.gql_as(Some(&token), "{ me { id } }", json!({})).await;
        assert_eq!(error_code(&body), "INTERNAL_SERVER_ERROR");
        let text = body.to_string().to_lowercase();
        assert!(
            !text.contains("users") && !text.contains("sql") && !text.contains("table"),
            "{body}"
        );
    }
}
