//! graphql-transport-ws, rule by rule, as the graphql-ws PROTOCOL.md states it.
use std::time::Duration;

use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{
    Backend, WsClient, announce, announce_until_received, spawn_app, spawn_app_with,
};

const SUBSCRIBE_ANNOUNCEMENTS: &str = "subscription { announcements { message } }";

async fn the_server_chooses_graphql_transport_ws_and_acknowledges_init(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ws = app.ws("graphql-transport-ws").await;
    assert_eq!(ws.protocol.as_deref(), Some("graphql-transport-ws"));
    ws.send(json!({"type": "connection_init"})).await;
    ws.expect_type("connection_ack").await;
}

async fn a_ping_is_answered_with_a_pong(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ws = app.ws_ready(None).await;
    ws.send(json!({"type": "ping", "payload": {"t": 1}})).await;
    ws.expect_type("pong").await;
}

async fn the_server_pings_an_idle_client(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.ws.keepalive = Duration::from_millis(200)).await;
    let mut ws = app.ws_ready(None).await;
    let frame = ws
        .next_frame(Duration::from_secs(2))
        .await
        .expect("a keep-alive");
    let value: serde_json::Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
    assert_eq!(value["type"], "ping");
}

async fn a_malformed_message_closes_with_4400(backend: Backend) {
    let app = spawn_app(backend).await;
    for bad in [
        "not json",
        r#"{"type":"subscribe"}"#,
        r#"{"type":"nonsense"}"#,
    ] {
        let mut ws = app.ws_ready(None).await;
        ws.send_text(bad).await;
        assert_eq!(ws.expect_close().await.0, 4400, "{bad}");
    }
}

async fn subscribe_before_ack_closes_with_4401(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ws = app.ws("graphql-transport-ws").await;
    ws.send(json!({"id": "1", "type": "subscribe", "payload": {"query": "{ me { id } }"}}))
        .await;
    assert_eq!(ws.expect_close().await, (4401, "Unauthorized".to_owned()));
}

async fn a_rejected_token_closes_with_4403(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ws = app.ws("graphql-transport-ws").await;
    ws.send(json!({"type": "connection_init", "payload": {"Authorization": "Bearer forged"}}))
        .await;
    assert_eq!(ws.expect_close().await, (4403, "Forbidden".to_owned()));
}

async fn no_init_in_time_closes_with_4408(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.ws.init_timeout = Duration::from_millis(300)).await;
    let mut ws = app.ws("graphql-transport-ws").await;
    assert_eq!(
        ws.expect_close().await,
        (4408, "Connection initialisation timeout".to_owned())
    );
}

async fn a_duplicate_operation_id_closes_with_4409(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ws = app.ws_ready(None).await;
    let subscribe =
        json!({"id": "dup", "type": "subscribe", "payload": {"query": SUBSCRIBE_ANNOUNCEMENTS}});
    ws.send(subscribe.clone()).await;
    ws.send(subscribe).await;
    assert_eq!(
        ws.expect_close().await,
        (4409, "Subscriber for dup already exists".to_owned())
    );
}

async fn a_second_init_closes_with_4429(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ws = app.ws_ready(None).await;
    ws.send(json!({"type": "connection_init"})).await;
    assert_eq!(
        ws.expect_close().await,
        (4429, "Too many initialisation requests".to_owned())
    );
}

async fn a_query_gets_next_then_complete_and_its_id_can_be_reused(backend: Backend) {
    let app = spawn_app(backend).await;
    let (token, id, _) = app.sign_up("Socket").await;
    let mut ws = app.ws("graphql-transport-ws").await;
    // The key's case does not matter.
    ws.send(
        json!({"type": "connection_init", "payload": {"AUTHORIZATION": format!("Bearer {token}")}}),
    )
    .await;
    ws.expect_type("connection_ack").await;
    for _ in 0..2 {
        ws.send(json!({"id": "q", "type": "subscribe", "payload": {"query": "{ me { id } }"}}))
            .await;
        let next = ws.expect_type("next").await;
        assert_eq!(next["id"], "q");
        assert_eq!(next["payload"]["data"]["me"]["id"], id);
        assert_eq!(ws.expect_type("complete").await["id"], "q");
    }
}

async fn an_invalid_operation_gets_an_error_message_and_the_socket_stays_open(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ws = app.ws_ready(None).await;
    ws.send(
        json!({"id": "bad", "type": "subscribe", "payload": {"query": "subscription { nope }"}}),
    )
    .await;
    let error = ws.expect_type("error").await;
    assert_eq!(error["id"], "bad");
    assert_eq!(error["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
    ws.send(json!({"type": "ping"})).await;
    ws.expect_type("pong").await;
}

async fn a_subscription_streams_until_the_client_completes_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let mut ws = app.ws_ready(None).await;
    ws.send(json!({"id": "a", "type": "subscribe", "payload": {"query": SUBSCRIBE_ANNOUNCEMENTS}}))
        .await;
    announce_until_received(&app, &admin, &mut ws, "a").await;
    // Drain probes that were in flight, then check one more arrives in order.
    ws.expect_silence(Duration::from_millis(300)).await;
    announce(&app, &admin, "second").await;
    let next = ws.expect_type("next").await;
    assert_eq!(
        next["payload"]["data"]["announcements"]["message"],
        "second"
    );

    ws.send(json!({"id": "a", "type": "complete"})).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    announce(&app, &admin, "after complete").await;
    ws.expect_silence(Duration::from_millis(500)).await;
}

async fn operations_on_one_socket_each_get_every_event_and_end_alone(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let mut ws = app.ws_ready(None).await;
    for id in ["a", "b"] {
        ws.send(
            json!({"id": id, "type": "subscribe", "payload": {"query": SUBSCRIBE_ANNOUNCEMENTS}}),
        )
        .await;
    }
    // Probe until both are live, then let the probes in flight drain.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut live = Vec::new();
    while !(live.contains(&"a".to_owned()) && live.contains(&"b".to_owned())) {
        assert!(tokio::time::Instant::now() < deadline, "live: {live:?}");
        announce(&app, &admin, "probe").await;
        live.extend(ids_of_next_messages(&mut ws, Duration::from_millis(100)).await);
    }
    ids_of_next_messages(&mut ws, Duration::from_millis(300)).await;

    announce(&app, &admin, "to both").await;
    let mut ids = ids_of_next_messages(&mut ws, Duration::from_millis(500)).await;
    ids.sort();
    assert_eq!(ids, ["a", "b"]);

    ws.send(json!({"id": "a", "type": "complete"})).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    announce(&app, &admin, "to b alone").await;
    assert_eq!(
        ids_of_next_messages(&mut ws, Duration::from_millis(500)).await,
        ["b"]
    );
}

/// The operation ids of the `next` messages that arrive until `quiet` passes without one (pings
/// are skipped).
async fn ids_of_next_messages(ws: &mut WsClient, quiet: Duration) -> Vec<String> {
    let mut ids = Vec::new();
    while let Some(frame) = ws.next_frame(quiet).await {
        let Message::Text(text) = frame else { continue };
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        if value["type"] == "next" {
            ids.push(value["id"].as_str().unwrap().to_owned());
        }
    }
    ids
}

async fn an_anonymous_connection_works_for_public_subscriptions(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let mut ws = app.ws("graphql-transport-ws").await;
    ws.send(json!({"type": "connection_init", "payload": null}))
        .await;
    ws.expect_type("connection_ack").await;
    ws.send(json!({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE_ANNOUNCEMENTS, "variables": null}}))
        .await;
    announce_until_received(&app, &admin, &mut ws, "1").await;
}

async fn an_unknown_subprotocol_is_never_spoken_to(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut request = format!("ws://{}/graphql", app.addr)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-something-else".parse().unwrap(),
    );
    // The server agrees to no subprotocol, so a conforming client (like a browser) fails the
    // handshake; one that goes on anyway is closed with 4406.
    match tokio_tungstenite::connect_async(request).await {
        Err(_) => {}
        Ok((stream, _)) => {
            let mut ws = crate::helpers::WsClient::from_stream(stream);
            assert_eq!(ws.expect_close().await.0, 4406);
        }
    }
}

crate::on_every_backend!(
    the_server_chooses_graphql_transport_ws_and_acknowledges_init,
    a_ping_is_answered_with_a_pong,
    the_server_pings_an_idle_client,
    a_malformed_message_closes_with_4400,
    subscribe_before_ack_closes_with_4401,
    a_rejected_token_closes_with_4403,
    no_init_in_time_closes_with_4408,
    a_duplicate_operation_id_closes_with_4409,
    a_second_init_closes_with_4429,
    a_query_gets_next_then_complete_and_its_id_can_be_reused,
    an_invalid_operation_gets_an_error_message_and_the_socket_stays_open,
    a_subscription_streams_until_the_client_completes_it,
    operations_on_one_socket_each_get_every_event_and_end_alone,
    an_anonymous_connection_works_for_public_subscriptions,
    an_unknown_subprotocol_is_never_spoken_to,
);
