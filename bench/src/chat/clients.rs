//! The benchmark's clients: its users, the senders over HTTP, the receivers over graphql-ws, and
//! the bare Redis round trips they are compared with.
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};
use tokio_util::sync::CancellationToken;

use folio::entities::{session, user};

use crate::samples::Samples;

pub(super) const CREATE: &str = "mutation($m: [ID!]!, $t: String) { createConversation(input: {memberIds: $m, title: $t}) { id } }";

const SEND: &str = "mutation($c: ID!, $b: String!, $k: String!) { sendMessage(input: {conversationId: $c, body: $b, clientMessageId: $k}) { seq } }";

const SUBSCRIBE: &str =
    "subscription($c: ID) { messageAdded(conversationId: $c) { id seq body createdAt } }";

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What every receiver adds to: warm-up messages seen, measured deliveries, time of the last (µs).
#[derive(Default)]
pub(super) struct Tally {
    pub(super) warm: AtomicUsize,
    pub(super) delivered: AtomicU64,
    pub(super) last_us: AtomicU64,
}

/// One group: its sender's token, its conversation and how many receivers it has.
#[derive(Clone)]
pub(super) struct Group {
    pub(super) token: String,
    pub(super) conversation: String,
    pub(super) receivers: u64,
}

/// Microseconds since the epoch (senders and receivers share the clock).
pub(super) fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Records an error in `samples`.
fn note(samples: &mut Samples, err: impl std::fmt::Display) {
    samples.errors += 1;
    samples.first_error.get_or_insert_with(|| err.to_string());
}

/// Inserts `receivers` + `senders` users straight into the database, 1,000 per statement, and
/// returns their ids: receivers, then senders.
pub(super) async fn create_users(
    db: &DatabaseConnection,
    run_id: &str,
    receivers: usize,
    senders: usize,
) -> anyhow::Result<(Vec<i64>, Vec<i64>)> {
    let hash = folio::auth::hash_password("bench-password")?;
    let emails: Vec<String> = (0..receivers)
        .map(|n| format!("chat-{run_id}-r{n}@folio.bench"))
        .chain((0..senders).map(|n| format!("chat-{run_id}-s{n}@folio.bench")))
        .collect();
    let now = chrono::Utc::now();
    for chunk in emails.chunks(1000) {
        let rows = chunk.iter().map(|email| user::ActiveModel {
            email: Set(email.clone()),
            name: Set("Chat bench".into()),
            password_hash: Set(hash.clone()),
            role: Set(folio::domain::viewer::Role::Customer),
            created_at: Set(now),
            ..Default::default()
        });
        user::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    let stored: HashMap<String, i64> = user::Entity::find()
        .filter(user::Column::Email.starts_with(format!("chat-{run_id}-")))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.email, u.id))
        .collect();
    let mut ids = Vec::with_capacity(emails.len());
    for email in &emails {
        let id = stored.get(email);
        ids.push(*id.ok_or_else(|| anyhow::anyhow!("{email} was not stored"))?);
    }
    let senders = ids.split_off(receivers);
    Ok((ids, senders))
}

/// Opens one session per user straight in the database, as a sign-in would (without the password
/// hashing that would dominate the setup); returns each user's session id, to sign their tokens.
pub(super) async fn open_sessions(
    db: &DatabaseConnection,
    user_ids: &[i64],
) -> anyhow::Result<HashMap<i64, i64>> {
    let now = chrono::Utc::now();
    for chunk in user_ids.chunks(1000) {
        let rows = chunk.iter().map(|&user_id| session::ActiveModel {
            user_id: Set(user_id),
            created_at: Set(now),
            revoked_at: Set(None),
            ..Default::default()
        });
        session::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    let mut sessions = HashMap::with_capacity(user_ids.len());
    for chunk in user_ids.chunks(1000) {
        let rows = session::Entity::find()
            .filter(session::Column::UserId.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        sessions.extend(rows.into_iter().map(|s| (s.user_id, s.id)));
    }
    Ok(sessions)
}

/// The server's GraphQL endpoint over HTTP.
#[derive(Clone)]
pub(super) struct Api {
    pub(super) http: reqwest::Client,
    pub(super) endpoint: String,
}

impl Api {
    /// POSTs a request as `token` and returns `data.<field>`, failing on errors.
    pub(super) async fn call(
        &self,
        token: &str,
        query: &str,
        vars: Value,
        field: &str,
    ) -> anyhow::Result<Value> {
        let request = json!({ "query": query, "variables": vars });
        let response = self
            .http
            .post(&self.endpoint)
            .bearer_auth(token)
            .json(&request);
        let body: Value = response.send().await?.json().await?;
        let value = body["data"][field].clone();
        anyhow::ensure!(!value.is_null(), "{field} failed: {body}");
        Ok(value)
    }

    /// Sends `body` to `group`'s conversation as its sender.
    pub(super) async fn send(
        &self,
        group: &Group,
        body: String,
        key: String,
    ) -> anyhow::Result<Value> {
        let vars = json!({ "c": group.conversation, "b": body, "k": key });
        self.call(&group.token, SEND, vars, "sendMessage").await
    }
}

/// Opens one WebSocket, authenticates as `token` and subscribes to `conversation`'s messages.
pub(super) async fn connect(ws_url: &str, token: &str, conversation: &str) -> anyhow::Result<Ws> {
    let mut request = ws_url.into_client_request()?;
    let protocol = HeaderValue::from_static("graphql-transport-ws");
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", protocol);
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
    let auth = json!({ "authorization": format!("Bearer {token}") });
    let init = json!({ "type": "connection_init", "payload": auth });
    ws.send(Message::text(init.to_string())).await?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) if text.contains("connection_ack") => break,
            Some(Ok(Message::Text(text))) => anyhow::bail!("expected connection_ack: {text}"),
            Some(Ok(_)) => continue,
            Some(Err(err)) => return Err(err.into()),
            None => anyhow::bail!("closed before connection_ack"),
        }
    }
    let payload = json!({ "query": SUBSCRIBE, "variables": { "c": conversation } });
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": payload });
    ws.send(Message::text(subscribe.to_string())).await?;
    Ok(ws)
}

/// Reads one connection until `stop`: answers pings, counts warm-up messages (body `w …`) and
/// records the latency of measured ones (body `m <send µs>`); anything else is an error.
pub(super) async fn receive(mut ws: Ws, tally: Arc<Tally>, stop: CancellationToken) -> Samples {
    let mut samples = Samples::default();
    loop {
        let frame = tokio::select! {
            _ = stop.cancelled() => break,
            frame = ws.next() => frame,
        };
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(_)) => continue,
            Some(Err(err)) => {
                note(&mut samples, err);
                break;
            }
            None => {
                note(&mut samples, "the server closed the connection");
                break;
            }
        };
        let event: Value = serde_json::from_str(&text).unwrap_or_default();
        let body = event["payload"]["data"]["messageAdded"]["body"].as_str();
        match (event["type"].as_str(), body.and_then(|b| b.split_once(' '))) {
            (Some("ping"), _) => {
                if let Err(err) = ws.send(Message::text(r#"{"type":"pong"}"#)).await {
                    note(&mut samples, err);
                    break;
                }
            }
            (Some("next"), Some(("w", _))) => {
                tally.warm.fetch_add(1, Relaxed);
            }
            (Some("next"), Some(("m", sent))) => {
                let (now, sent) = (now_us(), sent.parse().unwrap_or(u64::MAX));
                samples.latencies_us.push(now.saturating_sub(sent));
                tally.delivered.fetch_add(1, Relaxed);
                tally.last_us.fetch_max(now, Relaxed);
            }
            _ => note(&mut samples, &text),
        }
    }
    samples
}

/// Sends `rate` messages/s in total for `duration`, round-robin over `groups`, each body `m <µs>`;
/// returns the sendMessage samples and the deliveries the stored messages owe.
pub(super) async fn send_phase(
    api: &Api,
    groups: &[Group],
    rate: f64,
    duration: Duration,
) -> (Samples, u64) {
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    let (started, mut tasks) = (Instant::now(), Vec::new());
    while started.elapsed() < duration {
        ticker.tick().await;
        let (api, group) = (api.clone(), groups[tasks.len() % groups.len()].clone());
        let key = format!("m{}", tasks.len());
        tasks.push(tokio::spawn(async move {
            let (sent, mut samples) = (Instant::now(), Samples::default());
            let outcome = api.send(&group, format!("m {}", now_us()), key).await;
            samples.record(sent, &outcome);
            (samples, if outcome.is_ok() { group.receivers } else { 0 })
        }));
    }
    let (mut all, mut owed) = (Samples::default(), 0);
    for task in tasks {
        match task.await {
            Ok((samples, receivers)) => {
                all.merge(samples);
                owed += receivers;
            }
            Err(err) => note(&mut all, err),
        }
    }
    all.elapsed = started.elapsed();
    (all, owed)
}

/// Opens a connection per receiver (64 opening at a time), each reading on its own task from then
/// on; returns the tasks, the failures to open and how long opening took.
pub(super) async fn open_connections(
    ws_url: &str,
    receivers: &[(String, String)],
    tally: &Arc<Tally>,
    stop: &CancellationToken,
) -> (Vec<tokio::task::JoinHandle<Samples>>, Samples) {
    let (mut tasks, mut failed) = (Vec::with_capacity(receivers.len()), Samples::default());
    let started = Instant::now();
    let mut opening = futures_util::stream::iter(receivers)
        .map(|(token, conversation)| connect(ws_url, token, conversation))
        .buffer_unordered(64);
    while let Some(opened) = opening.next().await {
        match opened {
            Ok(ws) => tasks.push(tokio::spawn(receive(ws, tally.clone(), stop.clone()))),
            Err(err) => note(&mut failed, err),
        }
    }
    failed.elapsed = started.elapsed();
    (tasks, failed)
}

/// Bare Redis round trips on this machine: PUBLISH a 200-byte message, wait for it on a subscriber.
pub(super) async fn redis_round_trips(url: &str, count: usize) -> anyhow::Result<Samples> {
    let client = redis::Client::open(url)?;
    let mut publisher = client.get_multiplexed_async_connection().await?;
    let mut pubsub = client.get_async_pubsub().await?;
    let channel = format!("folio-bench-chat-{}", now_us());
    pubsub.subscribe(&channel).await?;
    let mut messages = pubsub.on_message();
    let (mut samples, payload, started) = (Samples::default(), "x".repeat(200), Instant::now());
    for _ in 0..count {
        let sent = Instant::now();
        let _: i64 = redis::AsyncCommands::publish(&mut publisher, &channel, &payload).await?;
        let outcome = match tokio::time::timeout(Duration::from_secs(5), messages.next()).await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err("the subscription ended"),
            Err(_) => Err("no message within 5 s"),
        };
        samples.record(sent, &outcome);
    }
    samples.elapsed = started.elapsed();
    Ok(samples)
}
