//! A socket lives no longer than its token: it closes with 4403 when the token expires or its
//! session ends (on any instance), unless `reauthenticate` gave it a newer token of the same user;
//! an SSE stream ends with UNAUTHENTICATED instead.
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::chat_live::{ON_MESSAGE, send, until_live};
use crate::helpers::{
    Backend, Conversation, PATIENCE, TestApp, data, next_within, spawn_app_with,
    spawn_two_instances,
};
use crate::sessions::two_sessions;

const REAUTHENTICATE: &str = "mutation($t: String!) { reauthenticate(token: $t) { expiresAt } }";
const REFRESH: &str =
    "mutation($r: String!) { refreshSession(refreshToken: $r) { token refreshToken expiresAt } }";

fn short_tokens(seconds: u64) -> impl Fn(&mut folio::Config) {
    move |config| config.token_ttl = Duration::from_secs(seconds)
}

fn token(session: &Value) -> String {
    session["token"].as_str().unwrap().to_owned()
}

async fn a_socket_closes_with_4403_when_its_token_expires_on_both_protocols(backend: Backend) {
    let app = spawn_app_with(backend, short_tokens(2)).await;
    let (session, _) = two_sessions(&app, "Ann").await;
    let mut current = app.ws_ready(Some(&token(&session))).await;
    assert_eq!(current.expect_close().await, (4403, "token expired".into()));

    let mut legacy = app.ws("graphql-ws").await;
    legacy
        .send(json!({ "type": "connection_init",
            "payload": { "authorization": format!("Bearer {}", token(&session)) } }))
        .await;
    // The token may have expired already: then it is refused at once, with the same code.
    let (code, _) = legacy.expect_close().await;
    assert_eq!(code, 4403);
}

async fn reauthenticate_keeps_the_socket_and_its_subscription_past_the_first_expiry(
    backend: Backend,
) {
    let app = spawn_app_with(backend, short_tokens(4)).await;
    let (ann, _) = two_sessions(&app, "Ann").await;
    let (bob, _) = two_sessions(&app, "Bob").await;
    let conversation = app
        .start_conversation(&token(&ann), &[bob["user"]["id"].as_str().unwrap()])
        .await;
    let mut ws = app.ws_ready(Some(&token(&ann))).await;
    TestApp::subscribe(&mut ws, "m", ON_MESSAGE, json!({ "c": conversation })).await;
    until_live(&app, &token(&bob), &conversation, &mut ws).await;

    // Token expiries have one-second resolution: renewing later makes the new one expire later.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let renewed = app.gql(REFRESH, json!({ "r": ann["refreshToken"] })).await;
    let renewed = data(&renewed, "refreshSession").clone();
    TestApp::subscribe(
        &mut ws,
        "r",
        REAUTHENTICATE,
        json!({ "t": renewed["token"] }),
    )
    .await;
    let answer = ws.expect_type("next").await;
    assert_eq!(
        answer["payload"]["data"]["reauthenticate"]["expiresAt"],
        renewed["expiresAt"]
    );
    ws.expect_type("complete").await;

    // Past the first token's expiry, the socket and its subscription carry on.
    let first_expiry: chrono::DateTime<chrono::Utc> =
        ann["expiresAt"].as_str().unwrap().parse().unwrap();
    let wait = first_expiry - chrono::Utc::now() + chrono::Duration::milliseconds(300);
    tokio::time::sleep(wait.to_std().unwrap_or_default()).await;
    let sent = send(&app, &token(&bob), &conversation, "after-expiry").await;
    let next = next_within(&mut ws, PATIENCE).await.expect("the message");
    assert_eq!(next["id"], "m");
    assert_eq!(next["payload"]["data"]["messageAdded"]["seq"], sent["seq"]);
    // And then the new token's own expiry closes it.
    assert_eq!(ws.expect_close().await, (4403, "token expired".into()));
}

async fn reauthenticate_with_another_users_token_is_forbidden(backend: Backend) {
    let app = spawn_app_with(backend, short_tokens(900)).await;
    let Conversation {
        members: [ann, bob],
        ..
    } = app.conversation_between(["Ann", "Bob"]).await;
    let mut ws = app.ws_ready(Some(&ann.token)).await;
    TestApp::subscribe(&mut ws, "r", REAUTHENTICATE, json!({ "t": bob.token })).await;
    // The operation fails before producing data: an `error` message, and the socket stays.
    let answer = ws.expect_type("error").await;
    assert_eq!(answer["payload"][0]["extensions"]["code"], "FORBIDDEN");
    // Over HTTP it only checks the token.
    let checked = app
        .gql_as(Some(&ann.token), REAUTHENTICATE, json!({ "t": bob.token }))
        .await;
    assert!(data(&checked, "reauthenticate")["expiresAt"].is_string());
    let forged = app.gql(REAUTHENTICATE, json!({ "t": "not.a.token" })).await;
    assert_eq!(forged["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

async fn signing_out_closes_the_sockets_of_that_session_only(backend: Backend) {
    let app = spawn_app_with(backend, short_tokens(900)).await;
    let (first, second) = two_sessions(&app, "Ann").await;
    let mut ended = app.ws_ready(Some(&token(&first))).await;
    let mut other = app.ws_ready(Some(&token(&second))).await;
    let out = app
        .gql_as(Some(&token(&first)), "mutation { signOut }", json!({}))
        .await;
    assert_eq!(data(&out, "signOut"), true);
    assert_eq!(ended.expect_close().await, (4403, "session revoked".into()));
    other.expect_silence(Duration::from_millis(500)).await;
}

async fn an_sse_stream_ends_with_unauthenticated_when_its_token_expires(backend: Backend) {
    let app = spawn_app_with(backend, short_tokens(2)).await;
    let (session, _) = two_sessions(&app, "Ann").await;
    let response = app
        .sse(
            Some(&token(&session)),
            "subscription { announcements { message } }",
        )
        .await;
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !seen.contains("event: complete") {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, body.next()).await {
            Ok(Some(Ok(chunk))) => seen.push_str(&String::from_utf8_lossy(&chunk)),
            _ => panic!("the stream did not end in time: {seen}"),
        }
    }
    assert!(seen.contains("UNAUTHENTICATED"), "{seen}");
}

crate::on_every_backend!(
    a_socket_closes_with_4403_when_its_token_expires_on_both_protocols,
    reauthenticate_keeps_the_socket_and_its_subscription_past_the_first_expiry,
    reauthenticate_with_another_users_token_is_forbidden,
    signing_out_closes_the_sockets_of_that_session_only,
    an_sse_stream_ends_with_unauthenticated_when_its_token_expires,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_on_one_instance_closes_the_sockets_on_the_other() {
    let Some((a, b)) = spawn_two_instances(short_tokens(900)).await else {
        return;
    };
    let (session, other) = two_sessions(&a, "Ann").await;
    let mut on_b = b.ws_ready(Some(&token(&session))).await;
    let mut others_on_b = b.ws_ready(Some(&token(&other))).await;
    let out = a
        .gql_as(Some(&token(&session)), "mutation { signOut }", json!({}))
        .await;
    assert_eq!(data(&out, "signOut"), true);
    assert_eq!(on_b.expect_close().await, (4403, "session revoked".into()));
    others_on_b.expect_silence(Duration::from_millis(500)).await;
    // And instance B refuses the token at once, cache or not.
    let me = b
        .gql_as(Some(&token(&session)), "{ me { id } }", json!({}))
        .await;
    assert_eq!(me["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_spent_on_one_instance_is_reuse_on_the_other() {
    let Some((a, b)) = spawn_two_instances(short_tokens(900)).await else {
        return;
    };
    let (session, _) = two_sessions(&a, "Ann").await;
    let refreshed = a
        .gql(REFRESH, json!({ "r": session["refreshToken"] }))
        .await;
    let refreshed = data(&refreshed, "refreshSession").clone();
    let mut on_a = a.ws_ready(Some(&token(&refreshed))).await;
    let reused = b
        .gql(REFRESH, json!({ "r": session["refreshToken"] }))
        .await;
    assert_eq!(reused["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(on_a.expect_close().await, (4403, "session revoked".into()));
}
