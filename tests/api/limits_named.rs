//! The named limits: failed sign-ins per account (with a lockout that doubles) and per address,
//! sign-ups per address, messages and their bytes per user, open sockets per user and per address,
//! operations per socket, and the bound on a subscription's replay. Each is hit, refuses with
//! RATE_LIMITED (changing nothing), and recovers.
use std::time::Duration;

use folio::Config;
use serde_json::{Value, json};

use crate::chat::{history, send, seqs};
use crate::helpers::{
    Backend, Conversation, PATIENCE, TestApp, error_code, next_within, spawn_app_with,
};

fn retry_after(body: &Value) -> Option<u64> {
    body["errors"][0]["extensions"]["retryAfter"].as_u64()
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Value {
    app.gql(
        "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token } }",
        json!({ "e": email, "p": password }),
    )
    .await
}

async fn sign_up(app: &TestApp, email: &str) -> Value {
    app.gql(
        "mutation($e: String!) { signUp(input: {email: $e, password: \"password123\", name: \"X\"}) { token } }",
        json!({ "e": email }),
    )
    .await
}

fn limits(adjust: impl FnOnce(&mut folio::config::RateLimits)) -> impl FnOnce(&mut Config) {
    move |config: &mut Config| {
        config.rate_limits.enabled = true;
        adjust(&mut config.rate_limits)
    }
}

async fn failed_sign_ins_lock_the_account_out_for_longer_each_time(backend: Backend) {
    let app = spawn_app_with(
        backend,
        limits(|l| l.signin_per_account = "3/3".parse().unwrap()),
    )
    .await;
    let (_, _, email) = app.sign_up("Ann").await;
    // Successes do not count.
    for _ in 0..5 {
        assert!(sign_in(&app, &email, "password123").await["data"]["signIn"].is_object());
    }
    for _ in 0..3 {
        assert_eq!(
            error_code(&sign_in(&app, &email, "wrong-one").await),
            "BAD_USER_INPUT"
        );
    }
    let locked = sign_in(&app, &email, "password123").await;
    assert_eq!(error_code(&locked), "RATE_LIMITED", "{locked}");
    assert!(locked["data"].is_null(), "no token while locked: {locked}");
    assert_eq!(retry_after(&locked), Some(1));
    // Another account is not affected.
    let (_, _, other) = app.sign_up("Bob").await;
    assert!(sign_in(&app, &other, "password123").await["data"]["signIn"].is_object());

    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        error_code(&sign_in(&app, &email, "wrong-one").await),
        "BAD_USER_INPUT"
    );
    let again = sign_in(&app, &email, "wrong-one").await;
    assert_eq!(error_code(&again), "RATE_LIMITED");
    assert_eq!(retry_after(&again), Some(2), "the lockout doubled: {again}");
}

async fn failed_sign_ins_from_one_address_are_limited_across_accounts(backend: Backend) {
    let app = spawn_app_with(
        backend,
        limits(|l| l.signin_per_ip = "3/60".parse().unwrap()),
    )
    .await;
    for n in 0..3 {
        let body = sign_in(&app, &format!("nobody{n}@example.com"), "wrong-one").await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT");
    }
    let body = sign_in(&app, "nobody9@example.com", "wrong-one").await;
    assert_eq!(error_code(&body), "RATE_LIMITED", "{body}");
}

async fn sign_ups_from_one_address_are_limited_and_a_refused_one_creates_nothing(backend: Backend) {
    let app = spawn_app_with(
        backend,
        limits(|l| l.signup_per_ip = "2/2".parse().unwrap()),
    )
    .await;
    let (_, _, taken) = app.sign_up("Ann").await;
    // One that creates nothing (a taken email) does not count.
    assert_eq!(error_code(&sign_up(&app, &taken).await), "BAD_USER_INPUT");
    assert!(sign_up(&app, "bob@example.com").await["data"]["signUp"].is_object());
    let refused = sign_up(&app, "cat@example.com").await;
    assert_eq!(error_code(&refused), "RATE_LIMITED", "{refused}");
    let never_made = sign_in(&app, "cat@example.com", "password123").await;
    assert_eq!(error_code(&never_made), "BAD_USER_INPUT");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(sign_up(&app, "cat@example.com").await["data"]["signUp"].is_object());
}

async fn messages_over_the_rate_are_refused_and_never_stored(backend: Backend) {
    let app = spawn_app_with(
        backend,
        limits(|l| {
            l.messages_per_user = "4/1".parse().unwrap();
            l.message_bytes_per_user = "3000/60".parse().unwrap();
        }),
    )
    .await;
    let Conversation {
        id,
        members: [ann, bob],
    } = app.conversation_between(["Ann", "Bob"]).await;
    let mut codes = Vec::new();
    for n in 0..6 {
        let body = send(&app, &ann.token, &id, "hi", &format!("m{n}")).await;
        codes.push(error_code(&body).to_owned());
    }
    assert_eq!(
        codes.iter().filter(|c| *c == "RATE_LIMITED").count(),
        2,
        "{codes:?}"
    );
    assert_eq!(
        seqs(&history(&app, &ann.token, &id, json!({})).await),
        vec![1, 2, 3, 4]
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // Bytes: one long message fits, a second does not, even though the count would allow it.
    let long = "x".repeat(2000);
    assert!(send(&app, &bob.token, &id, &long, "b1").await["data"]["sendMessage"].is_object());
    let refused = send(&app, &bob.token, &id, &long, "b2").await;
    assert_eq!(error_code(&refused), "RATE_LIMITED", "{refused}");
    assert!(
        send(&app, &ann.token, &id, "still here", "m9").await["data"]["sendMessage"].is_object()
    );
    assert_eq!(
        seqs(&history(&app, &ann.token, &id, json!({})).await).len(),
        6
    );
}

const MESSAGE_ADDED: &str = "subscription($c: ID!, $a: Int) { messageAdded(conversationId: $c, afterSeq: $a) { seq body } }";

async fn an_operation_over_the_socket_limit_errors_and_the_others_keep_delivering(
    backend: Backend,
) {
    let app = spawn_app_with(backend, limits(|l| l.subscriptions_per_socket = 2)).await;
    let Conversation {
        id,
        members: [ann, bob],
    } = app.conversation_between(["Ann", "Bob"]).await;
    let mut ws = app.ws_ready(Some(&bob.token)).await;
    for op in ["a", "b", "c"] {
        TestApp::subscribe(&mut ws, op, MESSAGE_ADDED, json!({ "c": id })).await;
    }
    let refused = ws.expect_type("error").await;
    assert_eq!(refused["id"], "c");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "RATE_LIMITED");
    // Subscriptions go live a moment after `subscribe`: send until both have delivered.
    let mut delivered = std::collections::BTreeSet::new();
    for n in 0..25 {
        send(&app, &ann.token, &id, "hello", &format!("k{n}")).await;
        while let Some(frame) = next_within(&mut ws, Duration::from_millis(200)).await {
            delivered.insert(frame["id"].as_str().unwrap_or_default().to_owned());
        }
        if delivered.len() == 2 {
            break;
        }
    }
    let ids: Vec<String> = delivered.into_iter().collect();
    assert_eq!(ids, ["a", "b"], "the others keep delivering");
}

async fn too_many_sockets_are_refused_per_user_and_per_address(backend: Backend) {
    let app = spawn_app_with(
        backend,
        limits(|l| {
            l.sockets_per_user = 2;
            l.sockets_per_ip = 4;
        }),
    )
    .await;
    let (ann, _, _) = app.sign_up("Ann").await;
    let first = app.ws_ready(Some(&ann)).await;
    let _second = app.ws_ready(Some(&ann)).await;
    let mut third = app.ws("graphql-transport-ws").await;
    third
        .send(json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {ann}")}}))
        .await;
    assert_eq!(third.expect_close().await.0, 1013);
    drop(first);
    let mut back = None;
    for _ in 0..25 {
        let mut ws = app.ws("graphql-transport-ws").await;
        ws.send(json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {ann}")}}))
            .await;
        if ws.recv().await["type"] == "connection_ack" {
            back = Some(ws);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(back.is_some(), "a place came back when a socket closed");

    // The address has 2 open (and a third closing); anonymous ones fill it to 4, then 429.
    let mut anonymous = Vec::new();
    let url = format!("ws://{}/graphql", app.addr);
    let refused = tokio::time::timeout(PATIENCE, async {
        loop {
            use tokio_tungstenite::tungstenite::client::IntoClientRequest;
            let mut request = url.as_str().into_client_request().unwrap();
            let protocol = "graphql-transport-ws".parse().unwrap();
            request
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", protocol);
            match tokio_tungstenite::connect_async(request).await {
                Ok(open) => anonymous.push(open),
                Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                    break response.status().as_u16();
                }
                Err(other) => panic!("{other}"),
            }
        }
    })
    .await
    .expect("the address reaches its limit");
    assert_eq!(refused, 429);
    assert!(anonymous.len() <= 2, "{}", anonymous.len());
}

async fn a_replay_longer_than_the_bound_is_refused_and_points_to_history(backend: Backend) {
    let app = spawn_app_with(backend, limits(|l| l.replay_per_subscription = 3)).await;
    let Conversation {
        id,
        members: [ann, bob],
    } = app.conversation_between(["Ann", "Bob"]).await;
    for n in 0..5 {
        send(&app, &ann.token, &id, "hi", &format!("m{n}")).await;
    }
    let mut ws = app.ws_ready(Some(&bob.token)).await;
    TestApp::subscribe(&mut ws, "all", MESSAGE_ADDED, json!({ "c": id, "a": 0 })).await;
    let refused = ws.expect_type("error").await;
    let error = &refused["payload"][0];
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{refused}");
    assert_eq!(error["extensions"]["field"], "afterSeq");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("messages(first:, after:)")
    );
    TestApp::subscribe(&mut ws, "rest", MESSAGE_ADDED, json!({ "c": id, "a": 2 })).await;
    let mut replayed = Vec::new();
    for _ in 0..3 {
        let frame = ws.expect_type("next").await;
        replayed.push(
            frame["payload"]["data"]["messageAdded"]["seq"]
                .as_i64()
                .unwrap(),
        );
    }
    assert_eq!(replayed, vec![3, 4, 5]);
}

crate::on_every_backend!(
    failed_sign_ins_lock_the_account_out_for_longer_each_time,
    failed_sign_ins_from_one_address_are_limited_across_accounts,
    sign_ups_from_one_address_are_limited_and_a_refused_one_creates_nothing,
    messages_over_the_rate_are_refused_and_never_stored,
    an_operation_over_the_socket_limit_errors_and_the_others_keep_delivering,
    too_many_sockets_are_refused_per_user_and_per_address,
    a_replay_longer_than_the_bound_is_refused_and_points_to_history,
);
