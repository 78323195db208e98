//! Sessions that end: short-lived access tokens, refresh tokens that work once, signing out here or
//! everywhere, and admins disabling accounts. Sockets bounded by their token are in
//! `sessions_sockets`.
use std::time::Duration;

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, data, error_code, spawn_app, spawn_app_with};

const SIGN_IN: &str = "mutation($e: String!) { signIn(input: {email: $e, password: \"password123\"}) { token refreshToken expiresAt user { id } } }";
const REFRESH: &str =
    "mutation($r: String!) { refreshSession(refreshToken: $r) { token refreshToken expiresAt } }";
const SIGN_OUT: &str = "mutation($all: Boolean) { signOut(everywhere: $all) }";
const DISABLE: &str =
    "mutation($u: ID!, $d: Boolean!) { setUserDisabled(userId: $u, disabled: $d) { id disabled } }";
const ME: &str = "{ me { id } }";

/// Signs up a user and signs them in once more: two sessions of one user, as
/// `(first sign-in, second sign-in)`, each with `token`, `refreshToken` and `user.id`.
pub async fn two_sessions(app: &TestApp, name: &str) -> (Value, Value) {
    let (_, _, email) = app.sign_up(name).await;
    let first = app.gql(SIGN_IN, json!({ "e": email })).await;
    let second = app.gql(SIGN_IN, json!({ "e": email })).await;
    (
        data(&first, "signIn").clone(),
        data(&second, "signIn").clone(),
    )
}

fn token(session: &Value) -> &str {
    session["token"].as_str().unwrap()
}

/// Whether `token` still works (`me` answers) or is refused with UNAUTHENTICATED.
async fn works(app: &TestApp, token: &str) -> bool {
    let body = app.gql_as(Some(token), ME, json!({})).await;
    match error_code(&body) {
        "<no code>" => true,
        "UNAUTHENTICATED" => false,
        other => panic!("unexpected answer {other}: {body}"),
    }
}

async fn signing_in_gives_a_short_lived_token_and_a_refresh_token(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.token_ttl = Duration::from_secs(900)).await;
    let (session, _) = two_sessions(&app, "Ann").await;
    let expires_at: chrono::DateTime<chrono::Utc> =
        session["expiresAt"].as_str().unwrap().parse().unwrap();
    let left = expires_at - chrono::Utc::now();
    assert!(
        left > chrono::Duration::seconds(890) && left <= chrono::Duration::seconds(900),
        "{left}"
    );
    assert!(session["refreshToken"].as_str().unwrap().len() >= 40);
    assert!(works(&app, token(&session)).await);
}

async fn a_refresh_token_works_once_and_its_reuse_ends_the_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let (session, other) = two_sessions(&app, "Ann").await;
    let spent = session["refreshToken"].as_str().unwrap();

    let refreshed = app.gql(REFRESH, json!({ "r": spent })).await;
    let refreshed = data(&refreshed, "refreshSession").clone();
    assert_ne!(refreshed["refreshToken"], session["refreshToken"]);
    assert!(works(&app, token(&refreshed)).await);

    // The spent token comes back: someone else holds a copy, so the whole session ends.
    let reused = app.gql(REFRESH, json!({ "r": spent })).await;
    assert_eq!(error_code(&reused), "UNAUTHENTICATED");
    assert!(!works(&app, token(&refreshed)).await);
    assert!(!works(&app, token(&session)).await);
    let next = app
        .gql(REFRESH, json!({ "r": refreshed["refreshToken"] }))
        .await;
    assert_eq!(error_code(&next), "UNAUTHENTICATED");
    // The user's other session is not touched.
    assert!(works(&app, token(&other)).await);
}

async fn an_unknown_refresh_token_is_unauthenticated(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = app.gql(REFRESH, json!({ "r": "not-a-token" })).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

async fn signing_out_ends_this_session_and_everywhere_ends_them_all(backend: Backend) {
    let app = spawn_app(backend).await;
    let (first, second) = two_sessions(&app, "Ann").await;
    let (third, _) = two_sessions(&app, "Bob").await;

    let out = app.gql_as(Some(token(&first)), SIGN_OUT, json!({})).await;
    assert_eq!(data(&out, "signOut"), true);
    assert!(!works(&app, token(&first)).await);
    assert!(works(&app, token(&second)).await);
    let refresh = app
        .gql(REFRESH, json!({ "r": first["refreshToken"] }))
        .await;
    assert_eq!(error_code(&refresh), "UNAUTHENTICATED");

    let (fourth, _) = two_sessions(&app, "Annabel").await;
    let out = app
        .gql_as(Some(token(&second)), SIGN_OUT, json!({ "all": true }))
        .await;
    assert_eq!(data(&out, "signOut"), true);
    assert!(!works(&app, token(&second)).await);
    // Another user's sessions, and another account's, carry on.
    assert!(works(&app, token(&third)).await);
    assert!(works(&app, token(&fourth)).await);

    let anonymous = app.gql(SIGN_OUT, json!({})).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
}

async fn a_disabled_user_loses_access_at_once_and_cannot_sign_in_until_enabled(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (session, _) = two_sessions(&app, "Mallory").await;
    let user_id = session["user"]["id"].as_str().unwrap().to_owned();
    let email = app
        .gql_as(Some(token(&session)), "{ me { email } }", json!({}))
        .await["data"]["me"]["email"]
        .as_str()
        .unwrap()
        .to_owned();

    let customer = app
        .gql_as(
            Some(token(&session)),
            DISABLE,
            json!({ "u": user_id, "d": true }),
        )
        .await;
    assert_eq!(error_code(&customer), "FORBIDDEN");

    let disabled = app
        .gql_as(Some(&admin), DISABLE, json!({ "u": user_id, "d": true }))
        .await;
    assert_eq!(
        data(&disabled, "setUserDisabled"),
        &json!({ "id": user_id, "disabled": true })
    );
    assert!(!works(&app, token(&session)).await);
    let refresh = app
        .gql(REFRESH, json!({ "r": session["refreshToken"] }))
        .await;
    assert_eq!(error_code(&refresh), "UNAUTHENTICATED");
    let sign_in = app.gql(SIGN_IN, json!({ "e": email })).await;
    assert_eq!(error_code(&sign_in), "FORBIDDEN");

    let enabled = app
        .gql_as(Some(&admin), DISABLE, json!({ "u": user_id, "d": false }))
        .await;
    assert_eq!(data(&enabled, "setUserDisabled")["disabled"], false);
    let sign_in = app.gql(SIGN_IN, json!({ "e": email })).await;
    assert!(works(&app, token(data(&sign_in, "signIn"))).await);
}

async fn an_admin_cannot_disable_their_own_account(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let me = app.gql_as(Some(&admin), ME, json!({})).await;
    let id = data(&me, "me")["id"].clone();
    let body = app
        .gql_as(Some(&admin), DISABLE, json!({ "u": id, "d": true }))
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert!(works(&app, &admin).await);
}

async fn a_token_of_a_deleted_user_is_unauthenticated_everywhere(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.session_check_interval = Duration::ZERO).await;
    let (session, _) = two_sessions(&app, "Gone").await;
    let id: i64 = session["user"]["id"].as_str().unwrap().parse().unwrap();
    app.state()
        .db
        .execute_unprepared(&format!("DELETE FROM users WHERE id = {id}"))
        .await
        .unwrap();
    assert!(!works(&app, token(&session)).await);
    // Writes that would have failed on the missing user are refused up front, not INTERNAL.
    let body = app
        .gql_as(
            Some(token(&session)),
            "mutation { watchPrice(bookId: \"1\") { createdAt } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

async fn a_demoted_admin_loses_admin_rights_within_the_session_check_interval(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.session_check_interval = Duration::from_millis(200)
    })
    .await;
    let admin = app.admin_token().await;
    let announce = "mutation { announce(message: \"hi\") { message } }";
    assert_eq!(
        error_code(&app.gql_as(Some(&admin), announce, json!({})).await),
        "<no code>"
    );
    app.state()
        .db
        .execute_unprepared("UPDATE users SET role = 'CUSTOMER'")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let body = app.gql_as(Some(&admin), announce, json!({})).await;
    assert_eq!(error_code(&body), "FORBIDDEN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_cannot_be_checked_gets_a_fast_clear_error_that_leaks_nothing() {
    let app = spawn_app(Backend::Sqlite).await;
    let (token, ..) = app.sign_up("Ann").await;
    let db = &app.state().db;
    db.execute_unprepared("DROP TABLE refresh_tokens")
        .await
        .unwrap();
    db.execute_unprepared("DROP TABLE sessions").await.unwrap();

    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "INTERNAL_SERVER_ERROR");
    let text = body.to_string().to_lowercase();
    assert!(!text.contains("session") && !text.contains("sql"), "{body}");

    // A socket is told to try again later (1013), which clients retry.
    let mut ws = app.ws("graphql-transport-ws").await;
    ws.send(json!({ "type": "connection_init",
        "payload": { "authorization": format!("Bearer {token}") } }))
        .await;
    assert_eq!(ws.expect_close().await.0, 1013);
}

crate::on_every_backend!(
    signing_in_gives_a_short_lived_token_and_a_refresh_token,
    a_refresh_token_works_once_and_its_reuse_ends_the_session,
    an_unknown_refresh_token_is_unauthenticated,
    signing_out_ends_this_session_and_everywhere_ends_them_all,
    a_disabled_user_loses_access_at_once_and_cannot_sign_in_until_enabled,
    an_admin_cannot_disable_their_own_account,
    a_token_of_a_deleted_user_is_unauthenticated_everywhere,
    a_demoted_admin_loses_admin_rights_within_the_session_check_interval,
);
