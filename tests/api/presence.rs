//! Presence: ONLINE with the first subscription connection, OFFLINE a grace period after the last
//! closes, and no flapping on a quick reconnect.
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, data, next_within, spawn_app_with};

const ON_PRESENCE: &str =
    "subscription($u: [ID!]!) { presenceChanged(userIds: $u) { user { id } status lastSeenAt } }";

async fn presence_of(app: &TestApp, token: &str, user: &str) -> Value {
    let body = app
        .gql_as(
            Some(token),
            "query($u: [ID!]!) { users(ids: $u) { id name presence { status lastSeenAt } } }",
            json!({ "u": [user] }),
        )
        .await;
    data(&body, "users")[0]["presence"].clone()
}

async fn presence_follows_connections_with_a_grace_period(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.presence_grace = Duration::from_millis(500)).await;
    let (ann, ..) = app.sign_up("Ann").await;
    let (bob, bob_id, _) = app.sign_up("Bob").await;
    assert_eq!(presence_of(&app, &ann, &bob_id).await["status"], "OFFLINE");
    let mut watcher = app.ws_ready(Some(&ann)).await;
    TestApp::subscribe(&mut watcher, "p", ON_PRESENCE, json!({ "u": [bob_id] })).await;
    // The watcher is live a moment after subscribing. Until it sees Bob arrive, Bob connects and
    // (unseen) leaves again, waiting out the grace period so that the next connection is news.
    let mut sockets = Vec::new();
    let mut attempts = 0;
    let online = loop {
        attempts += 1;
        assert!(attempts < 10, "ONLINE never arrived");
        let socket = app.ws_ready(Some(&bob)).await;
        match next_within(&mut watcher, Duration::from_millis(300)).await {
            Some(event) if event["payload"]["data"]["presenceChanged"]["status"] == "ONLINE" => {
                sockets.push(socket);
                break event;
            }
            _ => {
                drop(socket);
                while next_within(&mut watcher, Duration::from_millis(900))
                    .await
                    .is_some()
                {}
            }
        }
    };
    sockets.push(app.ws_ready(Some(&bob)).await);
    assert_eq!(
        online["payload"]["data"]["presenceChanged"]["status"],
        "ONLINE"
    );
    assert_eq!(presence_of(&app, &ann, &bob_id).await["status"], "ONLINE");

    // All but one socket close, and one reconnects quickly: still online, nothing announced.
    let last = sockets.pop().unwrap();
    drop(sockets);
    let again = app.ws_ready(Some(&bob)).await;
    drop(last);
    assert!(
        next_within(&mut watcher, Duration::from_millis(900))
            .await
            .is_none(),
        "no flapping"
    );
    assert_eq!(presence_of(&app, &ann, &bob_id).await["status"], "ONLINE");

    // The last one closes: OFFLINE after the grace period, with when he was last seen.
    drop(again);
    let offline = next_within(&mut watcher, Duration::from_secs(5))
        .await
        .expect("OFFLINE");
    let change = &offline["payload"]["data"]["presenceChanged"];
    assert_eq!(change["status"], "OFFLINE");
    assert_eq!(change["user"]["id"], bob_id);
    assert!(change["lastSeenAt"].is_string());
    let now = presence_of(&app, &ann, &bob_id).await;
    assert_eq!(now["status"], "OFFLINE");
    assert_eq!(now["lastSeenAt"], change["lastSeenAt"]);
}

async fn anonymous_connections_and_viewers_have_no_presence(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let mut ws = app.ws_ready(None).await;
    TestApp::subscribe(&mut ws, "p", ON_PRESENCE, json!({ "u": ["1"] })).await;
    let reply = ws.recv().await;
    assert_eq!(reply["payload"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let body = app
        .gql("query { users(ids: [\"1\"]) { id } }", json!({}))
        .await;
    assert_eq!(crate::helpers::error_code(&body), "UNAUTHENTICATED");
}

async fn a_server_sent_events_subscription_counts_as_a_connection(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.presence_grace = Duration::from_millis(300)).await;
    let (ann, ..) = app.sign_up("Ann").await;
    let (bob, bob_id, _) = app.sign_up("Bob").await;
    let response = app
        .sse(Some(&bob), "subscription { announcements { message } }")
        .await;
    assert_eq!(response.status(), 200);
    let until = |status: &'static str| {
        let (app, ann, bob_id) = (&app, &ann, &bob_id);
        async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            while presence_of(app, ann, bob_id).await["status"] != status {
                assert!(tokio::time::Instant::now() < deadline, "never {status}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    until("ONLINE").await;
    drop(response);
    until("OFFLINE").await;
}

crate::on_every_backend!(
    a_server_sent_events_subscription_counts_as_a_connection,
    presence_follows_connections_with_a_grace_period,
    anonymous_connections_and_viewers_have_no_presence,
);
