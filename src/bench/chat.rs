//! `folio bench chat`: N authenticated graphql-ws subscribers in group conversations while other
//! clients send at a set rate, against a running server (PostgreSQL and Redis), compared with a bare
//! Redis PUBLISH→SUBSCRIBE round trip on the same machine.
//!
//! The run: the open-files limit is raised to its hard limit; N receivers and one sender per group
//! of G receivers are inserted straight into the server's database (one argon2 hash for all) and
//! their tokens minted with the server's secret; each sender creates its group conversation over
//! GraphQL. Every receiver opens a WebSocket (`graphql-transport-ws`), authenticates in
//! `connection_init` and subscribes to `messageAdded` of its group. One warm-up message per group
//! shows every subscription is live; the server's resident memory before the connections and after
//! (idle again) gives the memory per idle connection. Then the senders send `rate` messages/s in
//! total over HTTP for `seconds`, round-robin over the groups, each body carrying its send time in
//! µs since the epoch, and each receiver records receive − send. The server's CPU time (utime +
//! stime, `/proc/PID/stat`, 100 ticks/s) over the send phase gives CPU seconds per 1,000 deliveries.
//! Start a fresh server for each run: memory freed by an earlier run's connections is reused without
//! growing the resident size, which would hide the new connections' memory.
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};
use tokio_util::sync::CancellationToken;

use super::{Samples, TABLE_HEADER};
use crate::entities::user;

/// What to run.
#[derive(Clone, Debug)]
pub struct Chat {
    pub url: String,
    pub redis_url: String,
    /// The server's `FOLIO_JWT_SECRET`.
    pub jwt_secret: String,
    pub connections: usize,
    pub group_size: usize,
    /// Messages per second, in total over all senders.
    pub rate: f64,
    pub duration: Duration,
    /// How long the connections sit idle after the warm-up before the server's memory is read
    /// again (it is read at 2 s too): the allocator may hand back what opening them used for a moment.
    pub idle: Duration,
    /// The server process, for its memory and CPU time; found by its command line when absent.
    pub server_pid: Option<u32>,
}

const CREATE: &str = "mutation($m: [ID!]!, $t: String) { createConversation(input: {memberIds: $m, title: $t}) { id } }";
const SEND: &str = "mutation($c: ID!, $b: String!, $k: String!) { sendMessage(input: {conversationId: $c, body: $b, clientMessageId: $k}) { seq } }";
const SUBSCRIBE: &str =
    "subscription($c: ID) { messageAdded(conversationId: $c) { id seq body createdAt } }";
/// Linux's `getconf CLK_TCK`: the unit of utime and stime.
const TICKS_PER_SECOND: f64 = 100.0;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What every receiver adds to: warm-up messages seen, measured deliveries, time of the last (µs).
#[derive(Default)]
struct Tally {
    warm: AtomicUsize,
    delivered: AtomicU64,
    last_us: AtomicU64,
}

/// One group: its sender's token, its conversation and how many receivers it has.
#[derive(Clone)]
struct Group {
    token: String,
    conversation: String,
    receivers: u64,
}

/// Microseconds since the epoch (senders and receivers share the clock).
fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Records an error in `samples`.
fn note(samples: &mut Samples, err: impl std::fmt::Display) {
    samples.errors += 1;
    samples.first_error.get_or_insert_with(|| err.to_string());
}

/// Raises this process's soft open-files limit to the hard one (std has no `setrlimit`, so with
/// util-linux `prlimit` on our own pid); returns the soft limit then in force.
fn raise_fd_limit() -> anyhow::Result<String> {
    let read = || -> anyhow::Result<(String, String)> {
        let limits = std::fs::read_to_string("/proc/self/limits")?;
        let line = limits.lines().find(|l| l.starts_with("Max open files"));
        let fields: Vec<&str> = line.unwrap_or_default().split_whitespace().collect();
        match fields.get(3..5) {
            Some([soft, hard]) => Ok((soft.to_string(), hard.to_string())),
            _ => anyhow::bail!("/proc/self/limits has no open-files line"),
        }
    };
    let (soft, hard) = read()?;
    if soft != hard {
        let status = std::process::Command::new("prlimit")
            .arg(format!("--pid={}", std::process::id()))
            .arg(format!("--nofile={hard}:{hard}"))
            .status()?;
        anyhow::ensure!(
            status.success(),
            "prlimit could not raise the open-files limit"
        );
    }
    Ok(read()?.0)
}

/// The resident memory (KiB) and CPU time (ticks, user + system) of process `pid` ("self" too).
fn usage(pid: &str) -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("/proc/{pid}/status has no VmRSS"))?;
    // After the parenthesised command name the fields start at 3 (state): utime, stime are 14, 15.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let mut ticks = 0;
    for field in fields.get(11..13).unwrap_or_default() {
        ticks += field.parse::<u64>()?;
    }
    Ok((rss, ticks))
}

/// The pid of the `folio serve` whose command line names `port`.
fn find_server(port: &str) -> Option<u32> {
    let own = std::process::id();
    std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|&pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let args: Vec<String> = cmdline
                .split(|&b| b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            pid != own
                && args.first().is_some_and(|a| a.ends_with("folio"))
                && args.iter().any(|a| a == "serve")
                && args.iter().any(|a| a.ends_with(&format!(":{port}")))
        })
}

/// Inserts `receivers` + `senders` users straight into the database, 1,000 per statement, and
/// returns their ids: receivers, then senders.
async fn create_users(
    db: &DatabaseConnection,
    run_id: &str,
    receivers: usize,
    senders: usize,
) -> anyhow::Result<(Vec<i64>, Vec<i64>)> {
    let hash = crate::auth::hash_password("bench-password")?;
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
            role: Set(crate::auth::Role::Customer.as_str().into()),
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

/// The server's GraphQL endpoint over HTTP.
#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    endpoint: String,
}

impl Api {
    /// POSTs a request as `token` and returns `data.<field>`, failing on errors.
    async fn call(
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
    async fn send(&self, group: &Group, body: String, key: String) -> anyhow::Result<Value> {
        let vars = json!({ "c": group.conversation, "b": body, "k": key });
        self.call(&group.token, SEND, vars, "sendMessage").await
    }
}

/// Opens one WebSocket, authenticates as `token` and subscribes to `conversation`'s messages.
async fn connect(ws_url: &str, token: &str, conversation: &str) -> anyhow::Result<Ws> {
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
async fn receive(mut ws: Ws, tally: Arc<Tally>, stop: CancellationToken) -> Samples {
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
async fn send_phase(api: &Api, groups: &[Group], rate: f64, duration: Duration) -> (Samples, u64) {
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
async fn open_connections(
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
async fn redis_round_trips(url: &str, count: usize) -> anyhow::Result<Samples> {
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

/// Runs the benchmark and prints its tables.
pub async fn run(db: &DatabaseConnection, options: Chat) -> anyhow::Result<()> {
    anyhow::ensure!(options.rate > 0.0, "--rate must be above 0");
    let (n, size) = (options.connections, options.group_size.clamp(1, 199));
    let fd_limit = raise_fd_limit()?;
    let base = options.url.trim_end_matches('/');
    let ws_url = format!("ws{}/graphql", base.trim_start_matches("http"));
    let pid = (options.server_pid).or_else(|| find_server(base.rsplit(':').next()?));
    let server = || pid.map(|pid| usage(&pid.to_string())).transpose();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let api = Api {
        http,
        endpoint: format!("{base}/graphql"),
    };
    let run_id = format!("{}", chrono::Utc::now().timestamp_millis());

    // Users, tokens, one conversation per group.
    let group_count = n.div_ceil(size);
    let (receiver_ids, sender_ids) = create_users(db, &run_id, n, group_count).await?;
    let tokens =
        crate::auth::Tokens::new(options.jwt_secret.as_bytes(), Duration::from_secs(86400));
    let token = |id: i64| tokens.issue(id, crate::auth::Role::Customer);
    let (mut groups, mut receivers) = (Vec::with_capacity(group_count), Vec::with_capacity(n));
    for (members, &sender) in receiver_ids.chunks(size).zip(&sender_ids) {
        let token_of_sender = token(sender)?;
        let ids: Vec<String> = members.iter().map(i64::to_string).collect();
        let vars = json!({ "m": ids, "t": format!("chat bench {run_id}") });
        let created = api
            .call(&token_of_sender, CREATE, vars, "createConversation")
            .await?;
        let conversation = created["id"].as_str().unwrap_or_default().to_owned();
        for &member in members {
            receivers.push((token(member)?, conversation.clone()));
        }
        let receivers = members.len() as u64;
        groups.push(Group {
            token: token_of_sender,
            conversation,
            receivers,
        });
    }

    // The connections, then a warm-up message per group to see every subscription live.
    let before_connections = server()?;
    let (tally, stop) = (Arc::new(Tally::default()), CancellationToken::new());
    let (receiving, open_errors) = open_connections(&ws_url, &receivers, &tally, &stop).await;
    let open = receiving.len();
    for (g, group) in groups.iter().enumerate() {
        api.send(group, format!("w {}", now_us()), format!("w{g}"))
            .await?;
    }
    let warm_deadline = Instant::now() + Duration::from_secs(30);
    while tally.warm.load(Relaxed) < open && Instant::now() < warm_deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let live = tally.warm.load(Relaxed);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_early = server()?;
    tokio::time::sleep(options.idle.saturating_sub(Duration::from_secs(2))).await;
    let idle = server()?;

    // The send phase, then until every owed delivery arrived (at most 10 s more).
    let (own_before, phase_us) = (usage("self")?.1, now_us());
    let (mut sends, owed) = send_phase(&api, &groups, options.rate, options.duration).await;
    let drain_deadline = Instant::now() + Duration::from_secs(10);
    while tally.delivered.load(Relaxed) < owed && Instant::now() < drain_deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (after_sends, own_after) = (server()?, usage("self")?.1);
    stop.cancel();
    let mut deliveries = Samples::gather(Instant::now(), receiving).await;
    let delivering = tally.last_us.load(Relaxed).saturating_sub(phase_us).max(1);
    deliveries.elapsed = Duration::from_micros(delivering);
    let delivered = tally.delivered.load(Relaxed);
    let mut redis = redis_round_trips(&options.redis_url, 2000).await?;

    // The tables.
    println!("{TABLE_HEADER}");
    println!("{}", sends.row("sendMessage over HTTP", group_count));
    println!(
        "{}",
        deliveries.row("delivery, send → receive (graphql-ws)", open)
    );
    println!(
        "{}",
        redis.row("bare Redis PUBLISH → SUBSCRIBE round trip", 1)
    );
    for err in [&open_errors, &sends, &deliveries, &redis].map(|s| s.first_error.as_ref()) {
        err.into_iter()
            .for_each(|err| println!("\nfirst error: {err}"));
    }
    let per_thousand =
        |ticks: u64| ticks as f64 / TICKS_PER_SECOND / (delivered.max(1) as f64 / 1e3);
    let sent = sends.latencies_us.len();
    let mut rows = vec![
        ("open-files limit of the load program", fd_limit),
        (
            "connections open (authenticated, subscribed)",
            format!(
                "{open} of {n}, in {:.1} s",
                open_errors.elapsed.as_secs_f64()
            ),
        ),
        (
            "subscriptions live (warm-up message received)",
            live.to_string(),
        ),
        ("groups × receivers", format!("{group_count} × {size}")),
        (
            "messages sent",
            format!(
                "{sent} in {:.1} s (set rate {}/s)",
                sends.elapsed.as_secs_f64(),
                options.rate
            ),
        ),
        (
            "deliveries received / owed",
            format!("{delivered} / {owed}"),
        ),
        (
            "deliveries/s (first send → last delivery)",
            format!("{:.0}", delivered as f64 / deliveries.elapsed.as_secs_f64()),
        ),
        (
            "load program CPU s per 1,000 deliveries",
            format!("{:.3}", per_thousand(own_after - own_before)),
        ),
    ];
    if let (Some(before), Some(early), Some(idle), Some(after)) =
        (before_connections, idle_early, idle, after_sends)
    {
        let per_connection = |rss: u64| (rss as f64 - before.0 as f64) / open.max(1) as f64;
        let idle_for = options.idle.max(Duration::from_secs(2)).as_secs();
        rows.extend([
            (
                "server RSS before connections / idle 2 s / idle longer",
                format!(
                    "{} / {} / {} KiB (idle {idle_for} s)",
                    before.0, early.0, idle.0
                ),
            ),
            (
                "server memory per idle connection, idle 2 s / longer",
                format!(
                    "{:.1} / {:.1} KiB (idle {idle_for} s)",
                    per_connection(early.0),
                    per_connection(idle.0)
                ),
            ),
            (
                "server CPU in the send phase",
                format!("{:.2} s", (after.1 - idle.1) as f64 / TICKS_PER_SECOND),
            ),
            (
                "server CPU s per 1,000 deliveries",
                format!("{:.3}", per_thousand(after.1 - idle.1)),
            ),
        ]);
    } else {
        rows.push((
            "server memory and CPU",
            "not measured (no --server-pid, none found)".into(),
        ));
    }
    println!("\n| measure | value |\n| --- | --- |");
    rows.iter()
        .for_each(|(measure, value)| println!("| {measure} | {value} |"));
    Ok(())
}
