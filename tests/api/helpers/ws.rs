//! A WebSocket client that speaks JSON text frames, and the ways a test learns that a subscription
//! is live (the protocols have no "subscribed" message) without sleeping blind.
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::TestApp;

/// A bare WebSocket client that speaks JSON text frames, for protocol tests.
pub struct WsClient {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    /// The subprotocol the server chose.
    pub protocol: Option<String>,
}

/// How long a test waits for a message that should come.
pub const PATIENCE: Duration = Duration::from_secs(5);

impl WsClient {
    pub async fn connect(url: &str, protocol: &str) -> WsClient {
        let mut request = url.into_client_request().unwrap();
        if !protocol.is_empty() {
            request
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", protocol.parse().unwrap());
        }
        let (stream, response) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the upgrade succeeds");
        let protocol = response
            .headers()
            .get("Sec-WebSocket-Protocol")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        WsClient { stream, protocol }
    }

    /// Wraps an already connected stream.
    pub fn from_stream(
        stream: tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
    ) -> WsClient {
        WsClient {
            stream,
            protocol: None,
        }
    }

    pub async fn send(&mut self, message: Value) {
        self.send_text(&message.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.stream
            .send(Message::text(text))
            .await
            .expect("the socket is open");
    }

    /// The next JSON message, skipping the server's keep-alive pings; panics after `PATIENCE`.
    pub async fn recv(&mut self) -> Value {
        loop {
            let message = self.next_frame(PATIENCE).await.expect("a message in time");
            match message {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(&text).unwrap();
                    if matches!(value["type"].as_str(), Some("ping" | "ka")) {
                        continue;
                    }
                    return value;
                }
                Message::Close(frame) => panic!("closed while waiting for a message: {frame:?}"),
                _ => continue,
            }
        }
    }

    /// The next message, which must be of `kind`.
    pub async fn expect_type(&mut self, kind: &str) -> Value {
        let message = self.recv().await;
        assert_eq!(message["type"], kind, "unexpected message {message}");
        message
    }

    /// Any frame within `wait`, pings included; `None` on timeout or end of stream.
    pub async fn next_frame(&mut self, wait: Duration) -> Option<Message> {
        match tokio::time::timeout(wait, self.stream.next()).await {
            Ok(Some(Ok(message))) => Some(message),
            _ => None,
        }
    }

    /// Waits for the server to close the socket; returns the close code and reason.
    pub async fn expect_close(&mut self) -> (u16, String) {
        loop {
            match self.next_frame(PATIENCE).await {
                Some(Message::Close(Some(frame))) => {
                    let code: u16 = match frame.code {
                        CloseCode::Library(c) | CloseCode::Bad(c) | CloseCode::Iana(c) => c,
                        other => u16::from(other),
                    };
                    return (code, frame.reason.to_string());
                }
                Some(Message::Close(None)) => return (1005, String::new()),
                Some(_) => continue,
                None => panic!("the socket was not closed with a close frame in time"),
            }
        }
    }

    /// Asserts that no message other than keep-alives arrives within `wait`.
    pub async fn expect_silence(&mut self, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return;
            }
            match self.next_frame(left).await {
                None => return,
                Some(Message::Text(text)) => {
                    let value: Value = serde_json::from_str(&text).unwrap();
                    assert!(
                        matches!(value["type"].as_str(), Some("ping" | "ka")),
                        "expected silence, got {value}"
                    );
                }
                Some(_) => {}
            }
        }
    }
}

impl TestApp {
    /// Opens a WebSocket on `/graphql` offering `protocol`.
    pub async fn ws(&self, protocol: &str) -> WsClient {
        WsClient::connect(&format!("ws://{}/graphql", self.addr), protocol).await
    }

    /// Opens a graphql-transport-ws connection, initialised with `token` (if any) and acknowledged.
    pub async fn ws_ready(&self, token: Option<&str>) -> WsClient {
        let mut ws = self.ws("graphql-transport-ws").await;
        let payload = match token {
            Some(t) => json!({ "authorization": format!("Bearer {t}") }),
            None => json!({}),
        };
        ws.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        ws.expect_type("connection_ack").await;
        ws
    }

    /// Subscribes `ws` (graphql-transport-ws, already acknowledged) to `query` as operation `id`.
    pub async fn subscribe(ws: &mut WsClient, id: &str, query: &str, variables: Value) {
        ws.send(json!({ "id": id, "type": "subscribe",
            "payload": { "query": query, "variables": variables } }))
            .await;
    }
}

/// Runs `change` every 200 ms until `ws` receives a `next` for operation `id`, and returns its data.
/// Subscriptions start listening a moment after `subscribe` is sent, and the protocol has no
/// "subscribed" message: this is how a test knows one is live without sleeping blind.
pub async fn change_until_next<F, Fut>(ws: &mut WsClient, id: &str, mut change: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the subscription never received anything"
        );
        change().await;
        if let Some(value) = next_within(ws, Duration::from_millis(200)).await {
            assert_eq!(value["id"], id, "{value}");
            return value["payload"]["data"].clone();
        }
    }
}

/// The next `next` message within `wait`, skipping keep-alives; panics on anything else.
pub async fn next_within(ws: &mut WsClient, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match ws.next_frame(left).await? {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                match value["type"].as_str() {
                    Some("ping" | "pong" | "ka") => continue,
                    Some("next") => return Some(value),
                    _ => panic!("unexpected {value}"),
                }
            }
            _ => continue,
        }
    }
}

/// Posts an announcement as `admin`.
pub async fn announce(app: &TestApp, admin: &str, message: &str) -> Value {
    app.gql_as(
        Some(admin),
        "mutation($m: String!) { announce(message: $m) { message } }",
        json!({ "m": message }),
    )
    .await
}

/// Announces as `admin` every 100 ms until `ws` receives a `next` for operation `id`, and returns it.
/// A subscription starts listening a moment after `subscribe` is sent and the protocol has no
/// "subscribed" message, so this is how a test knows the subscription is live without sleeping blind.
pub async fn announce_until_received(
    app: &TestApp,
    admin: &str,
    ws: &mut WsClient,
    id: &str,
) -> Value {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the subscription never received anything"
        );
        announce(app, admin, "probe").await;
        if let Some(Message::Text(text)) = ws.next_frame(Duration::from_millis(100)).await {
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["type"] == "next" || value["type"] == "data" {
                assert_eq!(value["id"], id);
                return value;
            }
            assert!(
                matches!(value["type"].as_str(), Some("ping" | "ka")),
                "unexpected {value}"
            );
        }
    }
}
