//! Starting a real Folio on port 0 with its own fresh database, and typed clients for it.
//!
//! This file holds the backends a suite runs on, `spawn_app` and a `TestApp`'s HTTP client; the
//! rest is by concern, re-exported here so that tests name everything `crate::helpers::…`:
//! - `postgres`: a fresh PostgreSQL database per app, and two instances sharing one;
//! - `ws`: a WebSocket client, and knowing when a subscription is live;
//! - `store`: books, warehouses and stock, set up as an admin would;
//! - `chat`: users who share a conversation.
use std::time::Duration;

use folio::{App, Config};
use serde_json::{Value, json};

mod chat;
mod postgres;
mod store;
mod ws;

pub use chat::Conversation;
pub use postgres::{PgDatabase, spawn_two_instances};
pub use ws::{
    PATIENCE, WsClient, announce, announce_until_received, change_until_next, next_within,
};

/// Where a test runs: which database and which event bus.
#[derive(Clone, Debug)]
pub enum Backend {
    /// SQLite in a temporary data dir, in-process bus: always available.
    Sqlite,
    /// PostgreSQL (a fresh database on `FOLIO_TEST_DATABASE_URL`), in-process bus.
    Postgres(String),
    /// SQLite, with the Redis bus on `FOLIO_TEST_REDIS_URL`.
    Redis(String),
}

impl Backend {
    /// The PostgreSQL backend, or `None` (and a note on stderr) when it is not configured.
    pub fn postgres() -> Option<Backend> {
        match std::env::var("FOLIO_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => Some(Backend::Postgres(url)),
            _ => {
                say_once_skipped(
                    "FOLIO_TEST_DATABASE_URL is not set: the PostgreSQL suite is skipped",
                );
                None
            }
        }
    }

    /// The Redis backend, or `None` (and a note on stderr) when it is not configured.
    pub fn redis() -> Option<Backend> {
        match std::env::var("FOLIO_TEST_REDIS_URL") {
            Ok(url) if !url.is_empty() => Some(Backend::Redis(url)),
            _ => {
                say_once_skipped("FOLIO_TEST_REDIS_URL is not set: the Redis suite is skipped");
                None
            }
        }
    }
}

/// Tells the person running the tests, once per suite, that a suite is skipped. Written straight to
/// stderr, which the test harness does not capture (it captures only `eprintln!`), so it shows.
pub fn say_once_skipped(note: &str) {
    use std::collections::HashSet;
    use std::io::Write;
    use std::sync::Mutex;
    static SAID: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let mut said = SAID.lock().unwrap();
    if said
        .get_or_insert_with(HashSet::new)
        .insert(note.to_owned())
    {
        let _ = writeln!(std::io::stderr(), "note: {note}");
    }
}

/// Runs each named `async fn(Backend)` as three tests: `sqlite::name`, `postgres::name` and
/// `redis::name`; the last two skip, saying so, when their service is not configured.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::helpers::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() {
                   if let Some(backend) = $crate::helpers::Backend::postgres() { super::$name(backend).await }
               } )*
        }
        mod redis {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() {
                   if let Some(backend) = $crate::helpers::Backend::redis() { super::$name(backend).await }
               } )*
        }
    };
}

/// A unique-enough suffix for database names, bus prefixes and emails.
pub fn unique(label: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{label}_{}_{n}_{nanos}", std::process::id())
}

/// A running Folio with its own database.
pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub app: Option<App>,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

/// Puts the relays and periodic workers to sleep (they share the pool), for tests that count the
/// SQL statements of one request. They still run once at start.
pub fn without_background_work(config: &mut Config) {
    let asleep = Duration::from_secs(3600);
    config.relay_interval = asleep;
    config.sweep_interval = asleep;
    config.deduct_interval = asleep;
    config.recovery_interval = asleep;
    config.chat_beacon_interval = asleep;
}

/// Starts Folio on port 0 on `backend` with test-friendly settings (no demo data).
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Like `spawn_app`, after letting the test adjust the configuration.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::embedded(dir.path());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.demo = false;
    config.jwt_secret = Some("test-secret".into());
    config.shutdown_grace = Duration::from_secs(3);
    // Every suite calls from one address and signs up dozens of users a minute: the rate limits'
    // own tests (`limits*.rs`) turn them back on.
    config.rate_limits.enabled = false;
    let mut pg = None;
    match &backend {
        Backend::Sqlite => {}
        Backend::Postgres(admin_url) => {
            let db = PgDatabase::create(admin_url).await;
            config.database_url = Some(db.url.clone());
            pg = Some(db);
        }
        Backend::Redis(url) => {
            config.redis_url = Some(url.clone());
            config.bus_prefix = unique("folio_test");
        }
    }
    adjust(&mut config);
    let app = App::build(config).await.expect("the app starts");
    TestApp {
        addr: app.addr,
        app: Some(app),
        client: reqwest::Client::new(),
        _dir: dir,
        _pg: pg,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs an operation anonymously; returns the whole response body.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_as(None, query, variables).await
    }

    /// POSTs an operation with a token (if any); returns the whole response body.
    pub async fn gql_as(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the request is answered");
        let status = response.status();
        let retry_after = response.headers().get("retry-after").cloned();
        let body: Value = response.json().await.expect("a JSON body");
        // A limit's refusal is a 429 that says when to retry, in the header and in the error.
        if error_code(&body) == "RATE_LIMITED" {
            assert_eq!(status, 429, "{body}");
            let header: u64 = retry_after
                .and_then(|v| v.to_str().ok()?.parse().ok())
                .expect("Retry-After");
            assert_eq!(
                Some(header),
                body["errors"][0]["extensions"]["retryAfter"].as_u64()
            );
        } else {
            assert!(status.is_success(), "HTTP {status}: {body}");
        }
        body
    }

    /// Opens a subscription over Server-Sent Events as `token` (if any); returns the streaming
    /// response.
    pub async fn sse(&self, token: Option<&str>, query: &str) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .header("accept", "text/event-stream")
            .json(&json!({ "query": query }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("the stream is answered")
    }

    /// Signs up a customer with a unique email; returns (token, user id, email).
    pub async fn sign_up(&self, name: &str) -> (String, String, String) {
        let email = format!("{}@example.com", unique(&name.to_lowercase()));
        let body = self
            .gql(
                "mutation($e: String!, $n: String!) { signUp(input: {email: $e, password: \"password123\", name: $n}) { token user { id } } }",
                json!({ "e": email, "n": name }),
            )
            .await;
        let payload = &body["data"]["signUp"];
        assert!(payload.is_object(), "sign-up failed: {body}");
        (
            payload["token"].as_str().unwrap().to_owned(),
            payload["user"]["id"].as_str().unwrap().to_owned(),
            email,
        )
    }

    /// Creates an admin through the service layer (no GraphQL can) and signs it in; returns its token.
    pub async fn admin_token(&self) -> String {
        let state = &self.app.as_ref().unwrap().state;
        let email = format!("{}@example.com", unique("admin"));
        folio::services::accounts::user::create_user(
            &state.db,
            folio::services::accounts::user::NewUser {
                email: email.clone(),
                password: "password123".into(),
                name: "Admin".into(),
                role: folio::domain::viewer::Role::Admin,
            },
        )
        .await
        .unwrap();
        let body = self
            .gql(
                "mutation($e: String!) { signIn(input: {email: $e, password: \"password123\"}) { token } }",
                json!({ "e": email }),
            )
            .await;
        data(&body, "signIn")["token"].as_str().unwrap().to_owned()
    }

    /// The running app's shared state, for tests that call services directly.
    pub fn state(&self) -> &folio::state::AppState {
        &self.app.as_ref().unwrap().state
    }
}

/// The first error's `extensions.code` in a response body.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<no code>")
}

/// The `data` of a response, or a panic showing its errors.
pub fn data<'a>(body: &'a Value, field: &str) -> &'a Value {
    let value = &body["data"][field];
    assert!(!value.is_null(), "{field} failed: {body}");
    value
}
