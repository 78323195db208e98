//! The legacy `graphql-ws` subprotocol (subscriptions-transport-ws), for old clients.
use serde_json::json;

use crate::helpers::{Backend, announce_until_received, spawn_app};

async fn a_legacy_client_is_acknowledged_with_a_keep_alive(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ws = app.ws("graphql-ws").await;
    assert_eq!(ws.protocol.as_deref(), Some("graphql-ws"));
    ws.send(json!({"type": "connection_init", "payload": {}}))
        .await;
    ws.expect_type("connection_ack").await;
    let frame = ws.next_frame(crate::helpers::PATIENCE).await.unwrap();
    assert!(frame.to_text().unwrap().contains("\"ka\""));
}

async fn a_legacy_subscription_gets_data_and_stops_on_stop(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let mut ws = app.ws("graphql-ws").await;
    ws.send(json!({"type": "connection_init", "payload": {}}))
        .await;
    ws.expect_type("connection_ack").await;
    ws.send(json!({"id": "7", "type": "start", "payload": {"query": "subscription { announcements { message } }"}}))
        .await;
    let data = announce_until_received(&app, &admin, &mut ws, "7").await;
    assert_eq!(data["type"], "data");
    assert_eq!(data["payload"]["data"]["announcements"]["message"], "probe");
    ws.send(json!({"id": "7", "type": "stop"})).await;
    ws.send(json!({"id": "8", "type": "start", "payload": {"query": "{ me { id } }"}}))
        .await;
    // After the stop only the new query's answer comes (probes may still be in flight before it).
    loop {
        let message = ws.recv().await;
        if message["id"] == "8" {
            assert_eq!(message["type"], "data");
            assert_eq!(ws.expect_type("complete").await["id"], "8");
            break;
        }
    }
}

async fn a_legacy_client_with_a_bad_token_gets_connection_error_and_4403(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ws = app.ws("graphql-ws").await;
    ws.send(json!({"type": "connection_init", "payload": {"authorization": "Bearer nope"}}))
        .await;
    ws.expect_type("connection_error").await;
    assert_eq!(ws.expect_close().await.0, 4403);
}

async fn connection_terminate_closes_the_socket(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ws = app.ws("graphql-ws").await;
    ws.send(json!({"type": "connection_init", "payload": {}}))
        .await;
    ws.expect_type("connection_ack").await;
    ws.send(json!({"type": "connection_terminate"})).await;
    let started = std::time::Instant::now();
    loop {
        match ws.next_frame(crate::helpers::PATIENCE).await {
            // A keep-alive sent before the terminate arrived.
            Some(tokio_tungstenite::tungstenite::Message::Text(_)) => continue,
            Some(tokio_tungstenite::tungstenite::Message::Close(_)) => break,
            None => {
                assert!(
                    started.elapsed() < crate::helpers::PATIENCE,
                    "the socket stayed open"
                );
                break;
            }
            Some(other) => panic!("unexpected frame {other:?}"),
        }
    }
}

crate::on_every_backend!(
    a_legacy_client_is_acknowledged_with_a_keep_alive,
    a_legacy_subscription_gets_data_and_stops_on_stop,
    a_legacy_client_with_a_bad_token_gets_connection_error_and_4403,
    connection_terminate_closes_the_socket,
);
