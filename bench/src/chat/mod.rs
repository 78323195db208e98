//! `folio-bench chat`: N authenticated graphql-ws subscribers in group conversations while other
//! clients send at a set rate, against a running server (PostgreSQL and Redis), compared with a bare
//! Redis PUBLISH→SUBSCRIBE round trip on the same machine.
//!
//! The run: the open-files limit is raised to its hard limit; N receivers and one sender per group
//! of G receivers are inserted straight into the server's database (one argon2 hash for all) and
//! their tokens minted with the server's secret; each sender creates its group conversation over
//! GraphQL, and 64 concurrent sends fill the server's database pool (so that the pool is not
//! counted as the connections' memory). Every receiver opens a WebSocket (`graphql-transport-ws`), authenticates in
//! `connection_init` and subscribes to `messageAdded` of its group. One warm-up message per group
//! shows every subscription is live; the server's resident memory before the connections and after
//! (idle again: 2 s after the warm-up, and again after `--idle-seconds`, by when the allocator has
//! handed back what opening them used for a moment) gives the memory per idle connection. Then the senders send `rate` messages/s in
//! total over HTTP for `seconds`, round-robin over the groups, each body carrying its send time in
//! µs since the epoch, and each receiver records receive − send. The server's CPU time (utime +
//! stime, `/proc/PID/stat`, 100 ticks/s) over the send phase gives CPU seconds per 1,000 deliveries.
//! Start a fresh server for each run: memory freed by an earlier run's connections is reused without
//! growing the resident size, which would hide the new connections' memory.
mod clients;
mod process;

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use folio::config::StoreArgs;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::samples::{Samples, TABLE_HEADER};
use crate::store;
use clients::{
    Api, CREATE, Group, Tally, create_users, now_us, open_connections, open_sessions,
    redis_round_trips, send_phase,
};
use process::{find_server, raise_fd_limit, usage};

/// The flags of `folio-bench chat`.
#[derive(Clone, Debug, clap::Args)]
pub struct Chat {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The server's database (the users are inserted there).
    #[command(flatten)]
    pub store: StoreArgs,
    /// The server's token secret (its FOLIO_JWT_SECRET), to mint the users' tokens.
    #[arg(long, env = "FOLIO_JWT_SECRET")]
    pub jwt_secret: String,
    /// Redis, for the bare PUBLISH→SUBSCRIBE comparison.
    #[arg(long, env = "REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    pub redis_url: String,
    /// WebSocket connections (receivers), each subscribed to its group.
    #[arg(long, default_value_t = 1000)]
    pub connections: usize,
    /// Receivers per group conversation (at most 199, plus the sender).
    #[arg(long, default_value_t = 100)]
    pub group_size: usize,
    /// Messages per second, in total over all senders.
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// Seconds of sending.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Seconds the connections sit idle before the server's memory is read a second time (the
    /// first is at 2 s).
    #[arg(long, default_value_t = 20)]
    pub idle_seconds: u64,
    /// The server's pid, for its memory and CPU time (found by its command line when absent).
    #[arg(long)]
    pub server_pid: Option<u32>,
}

/// Linux's `getconf CLK_TCK`: the unit of utime and stime.
const TICKS_PER_SECOND: f64 = 100.0;

/// Runs the benchmark and prints its tables.
pub async fn run(options: Chat) -> anyhow::Result<()> {
    anyhow::ensure!(options.rate > 0.0, "--rate must be above 0");
    let sending = Duration::from_secs(options.seconds);
    let idle_time = Duration::from_secs(options.idle_seconds);
    let db = &store::connect(&options.store).await?;
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
        folio::auth::Tokens::new(options.jwt_secret.as_bytes(), Duration::from_secs(86400));
    let all_ids: Vec<i64> = receiver_ids.iter().chain(&sender_ids).copied().collect();
    let sessions = open_sessions(db, &all_ids).await?;
    let token = |id: i64| -> anyhow::Result<String> {
        let session = sessions
            .get(&id)
            .ok_or_else(|| anyhow::anyhow!("no session for user {id}"))?;
        Ok(tokens.issue(id, *session)?.token)
    };
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

    // The server's database pool first grows to its size: opening N subscriptions at once checks N
    // memberships at once, which fills the pool (32 connections, about 100 KiB each). That memory is
    // the pool's whatever N is, so it is spent before the baseline is read: 64 concurrent sends that
    // nobody receives (subscriptions start after them).
    let fill_pool = (0..64).map(|i| {
        let group = &groups[i % groups.len()];
        api.send(group, format!("p {}", now_us()), format!("p{i}"))
    });
    futures_util::future::try_join_all(fill_pool).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;

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
    tokio::time::sleep(idle_time.saturating_sub(Duration::from_secs(2))).await;
    let idle = server()?;

    // The send phase, then until every owed delivery arrived (at most 10 s more).
    let (own_before, phase_us) = (usage("self")?.1, now_us());
    let (mut sends, owed) = send_phase(&api, &groups, options.rate, sending).await;
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
        let idle_for = idle_time.max(Duration::from_secs(2)).as_secs();
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
