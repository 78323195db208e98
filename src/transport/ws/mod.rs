//! GraphQL over WebSocket, owned here rather than taken from async-graphql so that every rule of the
//! protocols holds and is tested. Two subprotocols share one connection loop:
//!
//! - `graphql-transport-ws` (the graphql-ws library), as its PROTOCOL.md specifies: 4400 on a
//!   malformed message, 4401 on `subscribe` before `connection_ack`, 4403 on a rejected token (and at
//!   its expiry, or when its session is revoked, unless `reauthenticate` renewed it: `session`), 4408
//!   when no `connection_init` arrives in time, 4409 on a duplicate operation id, 4429 on a second
//!   `connection_init`; `ping` is answered with `pong`, and the server pings an idle client.
//! - `graphql-ws` (the legacy subscriptions-transport-ws): `start`/`stop`/`data`, `ka` keep-alives;
//!   the same close codes where the old protocol had none of its own.
//!
//! One task per connection reads the client's messages and polls its operations' response streams
//! in turn (see `operations`): an operation waiting for its next event blocks nothing, and a
//! client that reads slowly makes its own operations wait (backpressure, without a queue per
//! connection). Thousands of idle subscribers are the common case, so what a connection keeps is
//! kept small: no task, lock or channel per operation.
use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::{HOST, ORIGIN, SEC_WEBSOCKET_PROTOCOL};
use axum::response::Response;
use futures_util::future::Either;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};

use super::{Gateway, GraphQLBody, persisted};
use crate::auth::Authenticated;
use crate::domain::client::ClientIp;
use crate::domain::viewer::Viewer;
use crate::limiter::SocketGuard;

mod operations;
mod protocol;
mod session;

use operations::Operations;
pub(crate) use protocol::Protocol;
use protocol::{ClientMessage, authorization_from_payload, close, close_message, is_too_big};
use session::{SessionEvent, SocketSession};

/// Bytes read from a socket at a time. Clients send little (`connection_init` with a token, a
/// subscribe with its query, pongs) and the buffer lives as long as the socket; a larger message
/// takes a few reads.
const READ_BUFFER: usize = 512;
/// Bytes gathered before a write reaches the socket (every send flushes anyway).
const WRITE_BUFFER: usize = 4 * 1024;

/// `GET /graphql` with an `Upgrade: websocket` header.
pub(crate) async fn upgrade(
    State(gateway): State<Gateway>,
    client: ClientIp,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    // Over its address's limit, the upgrade is refused with 429 before any WebSocket exists:
    // graphql-ws clients take it as a failed connection and retry with their backoff.
    let Some(place) = gateway.state.limiter.open_socket(None, Some(client)) else {
        return super::limits::too_many_connections();
    };
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
    };
    let origins = &gateway.state.config.cors_origins;
    if !super::cors::allows_socket_from(header(ORIGIN), header(HOST), origins) {
        // A page of another origin, not configured in FOLIO_CORS_ORIGINS.
        return super::http::bad_request(StatusCode::FORBIDDEN, "this origin may not open sockets");
    }
    let offered: Vec<String> = headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|p| p.trim().to_owned())
        .collect();
    // No subprotocol at all: assume the current one, as graphql-ws servers do.
    let protocol = if offered.is_empty() {
        Some(Protocol::TransportWs)
    } else {
        offered.iter().find_map(|p| match p.as_str() {
            "graphql-transport-ws" => Some(Protocol::TransportWs),
            "graphql-ws" => Some(Protocol::LegacyWs),
            _ => None,
        })
    };
    let header_authorization = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let ws = match protocol {
        Some(p) => ws.protocols([p.name()]),
        None => ws,
    };
    // GraphQL messages are small and a server holds thousands of idle sockets: the library's
    // default 128 KiB buffers per socket were most of an idle connection's memory. Larger messages
    // still go through, a buffer at a time, up to the request body limit.
    let ws = ws
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(gateway.state.config.limits.max_body_bytes);
    let connections = gateway.connections.clone();
    // Shared rather than copied into the upgrade's closure, its future and the connection: a few
    // hundred bytes per socket.
    let gateway = Arc::new(gateway);
    ws.on_upgrade(move |socket| {
        // The connection is built here and moved into the future once: an `async` block that built
        // it would keep room for both its inputs and the connection for as long as it lives.
        let served = match protocol {
            Some(protocol) => {
                let mut connection =
                    Connection::new(gateway, protocol, header_authorization, socket);
                connection.client = client;
                connection.places = [Some(place), None];
                Either::Left(async move { connection.run().await })
            }
            None => Either::Right(refuse(socket)),
        };
        connections.track_future(served)
    })
}

/// Closes a socket that offered no subprotocol Folio speaks.
async fn refuse(mut socket: WebSocket) {
    let _ = socket
        .send(close_message(
            close::SUBPROTOCOL_NOT_ACCEPTABLE,
            "Subprotocol not acceptable",
        ))
        .await;
}

/// Why the connection loop stops.
struct Close(u16, String);

struct Connection {
    gateway: Arc<Gateway>,
    protocol: Protocol,
    header_authorization: Option<String>,
    who: Authenticated,
    /// Set at `connection_init`: the token's expiry, revocations, `reauthenticate`.
    session: Option<Box<SocketSession>>,
    init_received: bool,
    acknowledged: bool,
    operations: Operations,
    socket: WebSocket,
    /// Counts this connection towards its user's presence while it lives.
    presence: Option<crate::presence::PresenceGuard>,
    /// The client's address, which its operations are rate-limited by when anonymous.
    client: ClientIp,
    /// Its places under the open-connection limits of its address and of its user.
    places: [Option<SocketGuard>; 2],
}

impl Connection {
    fn new(
        gateway: Arc<Gateway>,
        protocol: Protocol,
        header_authorization: Option<String>,
        socket: WebSocket,
    ) -> Self {
        Connection {
            gateway,
            protocol,
            header_authorization,
            who: Authenticated::default(),
            session: None,
            init_received: false,
            acknowledged: false,
            operations: Operations::new(protocol),
            socket,
            presence: None,
            client: ClientIp(std::net::Ipv4Addr::UNSPECIFIED.into()),
            places: [None, None],
        }
    }

    async fn run(&mut self) {
        let config = self.gateway.state.config.ws.clone();
        let init_deadline = tokio::time::sleep(config.init_timeout);
        tokio::pin!(init_deadline);
        let mut keepalive = tokio::time::interval_at(
            tokio::time::Instant::now() + config.keepalive,
            config.keepalive,
        );
        // Made once, not on every turn of the loop (which turns for every response sent): each
        // new one would register with the token again.
        let shutdown = self.gateway.state.shutdown.clone();
        let shutdown = shutdown.cancelled();
        tokio::pin!(shutdown);

        let close = loop {
            tokio::select! {
                _ = &mut init_deadline, if !self.init_received => {
                    break Some(Close(close::INIT_TIMEOUT, "Connection initialisation timeout".into()));
                }
                _ = &mut shutdown => {
                    break Some(Close(close::GOING_AWAY, "server shutting down".into()));
                }
                _ = keepalive.tick() => {
                    let ping = match self.protocol {
                        Protocol::TransportWs => Some(json!({"type": "ping"})),
                        Protocol::LegacyWs if self.acknowledged => Some(json!({"type": "ka"})),
                        Protocol::LegacyWs => None,
                    };
                    if let Some(ping) = ping {
                        Box::pin(self.send(ping)).await;
                    }
                }
                message = std::future::poll_fn(|cx| self.operations.poll_message(cx)) => {
                    Box::pin(self.send(message)).await;
                }
                event = next_session_event(&mut self.session) => match event {
                    SessionEvent::Ended(reason) => {
                        break Some(Close(close::FORBIDDEN, reason.into()));
                    }
                    SessionEvent::Renewed(who) => self.who = who,
                },
                message = self.socket.next() => match message {
                    None => break None,
                    Some(Err(error)) => {
                        break is_too_big(error)
                            .then(|| Close(close::MESSAGE_TOO_BIG, "Message too big".into()));
                    }
                    Some(Ok(Message::Text(text))) => {
                        // Boxed, like every rare branch here: the loop's future lives as long as
                        // the connection, and is as large as its largest await.
                        if let Err(close) = Box::pin(self.handle(text.as_str())).await {
                            break close;
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        break Some(Close(close::BAD_REQUEST, "Invalid message received".into()));
                    }
                    Some(Ok(Message::Close(_))) => break None,
                    // WebSocket-level pings are answered by the library.
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                },
            }
        };

        // Ends every subscription before the socket closes.
        self.operations.running.clear();
        if let Some(Close(code, reason)) = close {
            let _ = self.socket.send(close_message(code, &reason)).await;
        }
        let _ = self.socket.close().await;
    }

    /// Sends `message`; a failure means the socket is gone, which the loop finds out by reading.
    async fn send(&mut self, message: Value) {
        let _ = self
            .socket
            .send(Message::Text(message.to_string().into()))
            .await;
    }

    /// Handles one client message; `Err` closes the connection (with a code, or silently for `None`).
    async fn handle(&mut self, text: &str) -> Result<(), Option<Close>> {
        let Ok(message) = serde_json::from_str::<ClientMessage>(text) else {
            return Err(Some(Close(
                close::BAD_REQUEST,
                "Invalid message received".into(),
            )));
        };
        let legacy = self.protocol == Protocol::LegacyWs;
        match message {
            ClientMessage::ConnectionInit { payload } => self.init(payload).await,
            ClientMessage::Ping { .. } if !legacy => {
                self.send(json!({"type": "pong"})).await;
                Ok(())
            }
            ClientMessage::Pong { .. } if !legacy => Ok(()),
            ClientMessage::Subscribe { id, payload } if !legacy => self.start(id, payload).await,
            ClientMessage::Start { id, payload } if legacy => self.start(id, payload).await,
            ClientMessage::Complete { id } if !legacy => {
                self.stop(&id);
                Ok(())
            }
            ClientMessage::Stop { id } if legacy => {
                self.stop(&id);
                Ok(())
            }
            ClientMessage::ConnectionTerminate if legacy => Err(None),
            _ => Err(Some(Close(
                close::BAD_REQUEST,
                "Invalid message received".into(),
            ))),
        }
    }

    async fn init(&mut self, payload: Option<Value>) -> Result<(), Option<Close>> {
        if self.init_received {
            return Err(Some(Close(
                close::TOO_MANY_INITS,
                "Too many initialisation requests".into(),
            )));
        }
        self.init_received = true;
        let authorization =
            authorization_from_payload(payload.as_ref()).or(self.header_authorization.clone());
        let auth = &self.gateway.state.auth;
        let Ok(who) = auth.authenticate(authorization.as_deref()).await else {
            // The database cannot say whose token this is: "try again later", which clients retry.
            return Err(Some(Close(
                close::TRY_AGAIN_LATER,
                "Try again later".into(),
            )));
        };
        if matches!(who.viewer, Viewer::InvalidToken) {
            if self.protocol == Protocol::LegacyWs {
                self.send(json!({"type": "connection_error", "payload": {"message": "Forbidden"}}))
                    .await;
            }
            return Err(Some(Close(close::FORBIDDEN, "Forbidden".into())));
        }
        if let Viewer::User { id, .. } = &who.viewer {
            // Over the user's limit: 1013 "Try Again Later", which graphql-ws clients retry with
            // their backoff (4429 would mean a second `connection_init`, and ends their retries).
            let Some(place) = self.gateway.state.limiter.open_socket(Some(*id), None) else {
                return Err(Some(Close(
                    close::TRY_AGAIN_LATER,
                    "Too many open connections".into(),
                )));
            };
            self.places[1] = Some(place);
            self.presence = Some(self.gateway.state.presence.connect(*id));
        }
        self.session = Some(Box::new(SocketSession::new(auth.clone(), &who)));
        self.who = who;
        self.acknowledged = true;
        self.send(json!({"type": "connection_ack"})).await;
        if self.protocol == Protocol::LegacyWs {
            self.send(json!({"type": "ka"})).await;
        }
        Ok(())
    }

    async fn start(&mut self, id: String, body: GraphQLBody) -> Result<(), Option<Close>> {
        if !self.acknowledged {
            return Err(Some(Close(close::UNAUTHORIZED, "Unauthorized".into())));
        }
        if self.operations.contains(&id) {
            return Err(Some(Close(
                close::DUPLICATE_SUBSCRIBER,
                format!("Subscriber for {id} already exists"),
            )));
        }
        let state = &self.gateway.state;
        let limit = state.limiter.limits().subscriptions_per_socket;
        if state.limiter.limits().enabled && self.operations.running.len() >= limit {
            // Refused alone: its `error` goes out like any failed operation's, and the socket and
            // the operations already running go on.
            self.operations.refuse(id, limit);
            return Ok(());
        }
        if !persisted::names_a_document(&body) {
            return Err(Some(Close(
                close::BAD_REQUEST,
                "Invalid message received".into(),
            )));
        }
        // A document the safelist refuses, or an unknown hash, ends the operation with an
        // `error` message, as an invalid one does; the connection stays open.
        let responses = match persisted::admit(&self.gateway, body).await {
            Ok(body) => {
                let mut request = body
                    .prepare(&self.gateway.state, &self.who)
                    .data(self.client);
                if let Some(session) = &self.session {
                    request = request.data(session.identity());
                }
                self.gateway.schema.execute_stream(request)
            }
            Err(error) => {
                futures_util::stream::once(std::future::ready(persisted::refusal(&error))).boxed()
            }
        };
        self.operations.insert(id, responses);
        Ok(())
    }

    fn stop(&mut self, id: &str) {
        self.operations.remove(id);
    }
}

/// The connection's next change of identity; pending before `connection_init`.
async fn next_session_event(session: &mut Option<Box<SocketSession>>) -> SessionEvent {
    match session {
        Some(session) => session.next_event().await,
        None => std::future::pending().await,
    }
}
