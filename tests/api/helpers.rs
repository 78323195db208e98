//! Starting a real Folio on port 0 with its own fresh database, and typed clients for it.
use std::time::Duration;

use folio::{App, Config};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

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

/// A fresh PostgreSQL database, dropped when this is dropped.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    /// Creates a database with a unique name next to the one `admin_url` names.
    pub async fn create(admin_url: &str) -> PgDatabase {
        use sea_orm::{ConnectionTrait, Database};
        let name = unique("folio_test");
        let admin = Database::connect(admin_url)
            .await
            .expect("connect to FOLIO_TEST_DATABASE_URL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the test database");
        admin.close().await.ok();
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(admin_url);
        PgDatabase {
            admin_url: admin_url.to_owned(),
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs outside any async context we may block, so clean up on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                use sea_orm::{ConnectionTrait, Database};
                if let Ok(admin) = Database::connect(&admin_url).await {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    admin.close().await.ok();
                }
            });
        })
        .join();
    }
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
        assert!(response.status().is_success(), "HTTP {}", response.status());
        response.json().await.expect("a JSON body")
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
        let admin = folio::services::accounts::user::create_user(
            &state.db,
            folio::services::accounts::user::NewUser {
                email,
                password: "password123".into(),
                name: "Admin".into(),
                role: folio::domain::viewer::Role::Admin,
            },
        )
        .await
        .unwrap();
        state
            .tokens
            .issue(admin.id, folio::domain::viewer::Role::Admin)
            .unwrap()
    }

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
}

/// The first error's `extensions.code` in a response body.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<no code>")
}

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

/// Two instances sharing one fresh PostgreSQL database and one Redis bus prefix, as a scaled-out
/// deployment runs; `None` (with a note) unless both services are configured.
pub async fn spawn_two_instances(adjust: impl Fn(&mut Config)) -> Option<(TestApp, TestApp)> {
    let (Ok(pg_url), Ok(redis_url)) = (
        std::env::var("FOLIO_TEST_DATABASE_URL"),
        std::env::var("FOLIO_TEST_REDIS_URL"),
    ) else {
        say_once_skipped(
            "FOLIO_TEST_DATABASE_URL and FOLIO_TEST_REDIS_URL are not both set: the two-instance test is skipped",
        );
        return None;
    };
    let db = PgDatabase::create(&pg_url).await;
    let prefix = unique("folio_test");
    let database_url = db.url.clone();
    let configure = |config: &mut Config| {
        config.database_url = Some(database_url.clone());
        config.redis_url = Some(redis_url.clone());
        config.bus_prefix = prefix.clone();
        adjust(config);
    };
    let mut first = spawn_app_with(Backend::Sqlite, configure).await;
    let second = spawn_app_with(Backend::Sqlite, configure).await;
    first._pg = Some(db);
    Some((first, second))
}

/// The `data` of a response, or a panic showing its errors.
pub fn data<'a>(body: &'a Value, field: &str) -> &'a Value {
    let value = &body["data"][field];
    assert!(!value.is_null(), "{field} failed: {body}");
    value
}

impl TestApp {
    /// The running app's shared state, for tests that call services directly.
    pub fn state(&self) -> &folio::state::AppState {
        &self.app.as_ref().unwrap().state
    }

    /// Creates a book priced `price` with `units` on hand in one new warehouse; returns its id.
    pub async fn stocked_book(&self, admin: &str, price: &str, units: i32) -> String {
        let book_id = self.book(admin, price).await;
        let warehouse = self.warehouse(admin).await;
        self.set_stock(admin, &book_id, &warehouse, units).await;
        book_id
    }

    /// Creates a book priced `price` with no stock; returns its id.
    pub async fn book(&self, admin: &str, price: &str) -> String {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let n = NEXT.fetch_add(1, Ordering::Relaxed) + 7_000_000;
        let body = self
            .gql_as(
                Some(admin),
                "mutation($input: CreateBookInput!) { createBook(input: $input) { id } }",
                json!({ "input": {
                    "isbn": folio::domain::isbn::synthetic(n).as_str(),
                    "title": format!("Book {n}"), "price": price, "authorNames": ["Author"],
                    "categorySlugs": ["fiction"], "description": "A book."
                }}),
            )
            .await;
        data(&body, "createBook")["id"].as_str().unwrap().to_owned()
    }

    /// Creates a warehouse with a unique name; returns its id.
    pub async fn warehouse(&self, admin: &str) -> String {
        let body = self
            .gql_as(
                Some(admin),
                "mutation($n: String!) { createWarehouse(input: {name: $n, region: \"eu\"}) { id } }",
                json!({ "n": unique("wh") }),
            )
            .await;
        data(&body, "createWarehouse")["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Sets the units on hand; returns the `setStock` payload.
    pub async fn set_stock(&self, admin: &str, book: &str, warehouse: &str, units: i32) -> Value {
        let body = self
            .gql_as(
                Some(admin),
                "mutation($b: ID!, $w: ID!, $n: Int!) { setStock(input: {bookId: $b, warehouseId: $w, onHand: $n}) {
                   available stockStatus warehouses { warehouse { id } onHand held } } }",
                json!({ "b": book, "w": warehouse, "n": units }),
            )
            .await;
        data(&body, "setStock").clone()
    }

    /// The book's available units and (on hand, held) per warehouse, as the admin sees them once
    /// paid orders' sales are deducted (the background pass does it within a moment; this does it
    /// now, so that tests need not wait).
    pub async fn stock_of(&self, book: &str) -> (i64, Vec<(i64, i64)>) {
        while folio::services::commerce::order::deduct_sold_stock(&self.state().db)
            .await
            .unwrap()
            > 0
        {}
        self.stock_as_it_is(book).await
    }

    /// The book's available units and (on hand, held) per warehouse, as they are this moment.
    pub async fn stock_as_it_is(&self, book: &str) -> (i64, Vec<(i64, i64)>) {
        let rows =
            folio::services::inventory::stock::stock_of(&self.state().db, book.parse().unwrap())
                .await
                .unwrap();
        (
            folio::services::inventory::stock::available(&rows),
            rows.iter()
                .map(|r| (i64::from(r.on_hand), i64::from(r.held)))
                .collect(),
        )
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
