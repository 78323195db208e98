//! Building and running the server: `App::build(config)` connects the database and the bus, assembles
//! the schema and the router, binds (port 0 in tests) and serves until `shutdown`.
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::Tokens;
use crate::bus::SharedBus;
use crate::config::Config;
use crate::payment::{SharedProvider, SimulatedProvider};
use crate::schema::FolioSchema;
use crate::search::SharedIndex;
use crate::services::count_cache::CountCache;
use crate::transport::{http, ws};
use crate::{bus, db, playground};

/// What every request handler and resolver can reach. Cheap to clone: every field is shared.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    pub bus: SharedBus,
    pub tokens: Tokens,
    pub schema: FolioSchema,
    /// Cancelled when the server starts draining; long-lived streams end on it.
    pub shutdown: CancellationToken,
    /// The WebSocket connections, which outlive the HTTP requests that upgraded them; a shutdown
    /// waits for them to send their close frames.
    pub connections: TaskTracker,
    /// SQL statements run by this server's pool.
    pub sql_statements: db::StatementCounter,
    /// The catalog's search index.
    pub search: SharedIndex,
    /// Counts of books per filter, for `totalCount`.
    pub counts: Arc<CountCache>,
    /// Where checkouts are charged.
    pub payments: SharedProvider,
    /// When each member last had a typing indicator passed on.
    pub typing: Arc<crate::services::typing::TypingThrottle>,
    /// Who is online.
    pub presence: Arc<crate::presence::Presence>,
}

/// A running server.
pub struct App {
    /// The address it listens on (the real port when the config asked for port 0).
    pub addr: SocketAddr,
    /// The shared state, for tests that call services directly.
    pub state: AppState,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl App {
    /// Connects, migrates, binds and starts serving in the background.
    pub async fn build(config: Config) -> anyhow::Result<App> {
        let config = Arc::new(config);
        let (db, sql_statements) = db::connect_counted(&config).await?;
        db::migrate(&db).await?;
        let db_for_payments = db.clone();
        let bus = bus::connect(config.redis_url.as_deref(), &config.bus_prefix).await?;
        let search = crate::search::open(&config).await?;
        let presence_store: Arc<dyn crate::presence::PresenceStore> = match &config.redis_url {
            Some(url) => Arc::new(
                crate::presence::RedisPresence::connect(
                    url,
                    &config.bus_prefix,
                    config.presence_ttl,
                )
                .await?,
            ),
            None => Arc::new(crate::presence::MemoryPresence::default()),
        };
        let presence =
            crate::presence::Presence::new(presence_store, bus.clone(), config.presence_grace);
        let tokens = Tokens::from_config(
            config.jwt_secret.as_deref(),
            &config.data_dir,
            config.token_ttl,
        )?;
        let shutdown = CancellationToken::new();
        // The schema holds the state, and the state holds the schema (the transports execute on it):
        // build the state with a schema that has no data yet, then attach the finished state.
        let bare = crate::schema::builder(&config.limits).finish();
        let mut state = AppState {
            config: config.clone(),
            db,
            bus,
            tokens,
            schema: bare,
            shutdown: shutdown.clone(),
            connections: TaskTracker::new(),
            sql_statements,
            search: search.clone(),
            counts: Arc::new(CountCache::default()),
            payments: Arc::new(SimulatedProvider::new(db_for_payments)),
            typing: Arc::new(
                crate::services::typing::TypingThrottle::connect(
                    config.redis_url.as_deref(),
                    &config.bus_prefix,
                )
                .await?,
            ),
            presence,
        };
        state.schema = crate::schema::builder(&config.limits)
            .data(state.clone())
            .finish();

        crate::relay::spawn_follower(
            state.db.clone(),
            search,
            state.counts.clone(),
            config.relay_interval,
            shutdown.clone(),
        );
        crate::relay::spawn_bus_relay(
            state.db.clone(),
            state.bus.clone(),
            config.relay_interval,
            shutdown.clone(),
        );
        crate::workers::spawn_hold_sweeper(state.clone());
        crate::workers::spawn_sale_deducter(state.clone());
        state
            .presence
            .spawn_heartbeat(config.presence_ttl / 3, shutdown.clone());
        crate::workers::spawn_payment_recovery(state.clone());
        crate::workers::spawn_chat_beacon(state.clone());

        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let router = router(state.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move { shutdown.cancelled().await })
                .await
        });
        Ok(App {
            addr,
            state,
            server,
        })
    }

    /// Stops accepting connections, closes WebSockets with 1001, ends event streams, and waits (up to
    /// the configured grace period) for in-flight requests to finish.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.state.shutdown.cancel();
        self.state.connections.close();
        let grace = self.state.config.shutdown_grace;
        let connections = self.state.connections.clone();
        let drained = async move {
            let served = self.server.await;
            connections.wait().await;
            served
        };
        match tokio::time::timeout(grace, drained).await {
            Ok(joined) => Ok(joined??),
            Err(_) => {
                tracing::warn!(?grace, "in-flight requests did not finish in time");
                Ok(())
            }
        }
    }
}

/// The HTTP routes.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.limits.max_body_bytes;
    Router::new()
        .route("/graphql", get(graphql_get_or_ws).post(http::post))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .fallback(playground::serve)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// `GET /graphql` is a WebSocket upgrade when it asks for one, and a query otherwise.
async fn graphql_get_or_ws(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    if parts.headers.contains_key(axum::http::header::UPGRADE) {
        match axum::extract::ws::WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
            Ok(upgrade) => ws::upgrade(State(state), parts.headers.clone(), upgrade).await,
            Err(rejection) => rejection.into_response(),
        }
    } else {
        let query = axum::extract::Query::from_request_parts(&mut parts, &state).await;
        match query {
            Ok(query) => http::get(State(state), parts.headers.clone(), query).await,
            Err(rejection) => rejection.into_response(),
        }
    }
}

/// Ready when the database, and Redis when configured, answer.
async fn readyz(State(state): State<AppState>) -> Response {
    let database = db::ping(&state.db).await;
    let bus = state.bus.ping().await.is_ok();
    let body = serde_json::json!({ "database": database, "bus": bus });
    let status = if database && bus {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

/// The process-wide Prometheus recorder, installed once however many servers a process starts (tests
/// start many).
fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (a test harness); then ours only renders empty.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

async fn metrics_text() -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        prometheus().render(),
    )
        .into_response()
}

/// One log line per request, with the GraphQL operation's name when there is one and the duration.
async fn log_request(request: Request, next: Next) -> Response {
    let _ = prometheus();
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", %method, %path, operation = tracing::field::Empty);
    let response = {
        use tracing::Instrument;
        next.run(request).instrument(span.clone()).await
    };
    let elapsed: Duration = started.elapsed();
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        )
    });
    response
}
