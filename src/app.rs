//! Building and running the server: `App::build(config)` connects the handles of the state
//! (database, bus, search, presence, payments), starts the background workers with the handles each
//! needs, builds the schema on the state and the router on the schema, binds (port 0 in tests) and
//! serves until `shutdown`.
use std::net::SocketAddr;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::{Authenticator, Tokens};
use crate::config::Config;
use crate::count_cache::CountCache;
use crate::limiter::Limiter;
use crate::operations::{PersistedOperations, Safelist};
use crate::payment::SimulatedProvider;
use crate::presence::{MemoryPresence, Presence, PresenceStore, RedisPresence};
use crate::state::AppState;
use crate::throttle::Throttle;
use crate::transport::{Gateway, router};
use crate::{bus, db, graphql, search, workers};

/// A running server.
pub struct App {
    /// The address it listens on (the real port when the config asked for port 0).
    pub addr: SocketAddr,
    /// The shared state, for tests that call services directly.
    pub state: AppState,
    connections: TaskTracker,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl App {
    /// Connects, migrates, binds and starts serving in the background.
    pub async fn build(config: Config) -> anyhow::Result<App> {
        let state = connect(config).await?;
        spawn_workers(&state);
        let listener = tokio::net::TcpListener::bind(state.config.listen).await?;
        let addr = listener.local_addr()?;
        let gateway = Gateway {
            schema: graphql::build(state.clone()),
            state: state.clone(),
            connections: TaskTracker::new(),
        };
        let connections = gateway.connections.clone();
        let shutdown = state.shutdown.clone();
        let router = router(gateway);
        let server = tokio::spawn(async move {
            // The peer's address is the client's (or its proxy's): rate limits key on it.
            let router = router.into_make_service_with_connect_info::<SocketAddr>();
            axum::serve(listener, router)
                .with_graceful_shutdown(async move { shutdown.cancelled().await })
                .await
        });
        Ok(App {
            addr,
            state,
            connections,
            server,
        })
    }

    /// Stops accepting connections, closes WebSockets with 1001, ends event streams, and waits (up to
    /// the configured grace period) for in-flight requests to finish.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.state.shutdown.cancel();
        self.connections.close();
        let grace = self.state.config.shutdown_grace;
        let connections = self.connections.clone();
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

/// Connects every handle of the state, migrating the database first.
async fn connect(config: Config) -> anyhow::Result<AppState> {
    let config = Arc::new(config);
    let (db, sql_statements) = db::connect_counted(&config).await?;
    db::migrate(&db).await?;
    let redis_url = config.redis_url.as_deref();
    let bus = bus::connect(redis_url, &config.bus_prefix).await?;
    let presence_store: Arc<dyn PresenceStore> = match redis_url {
        Some(url) => {
            Arc::new(RedisPresence::connect(url, &config.bus_prefix, config.presence_ttl).await?)
        }
        None => Arc::new(MemoryPresence::default()),
    };
    let safelist = match &config.safelist {
        Some(path) => {
            let list = Safelist::load(path)?;
            tracing::info!(
                operations = list.len(),
                "safelist mode: only listed operations run"
            );
            Some(list)
        }
        None => None,
    };
    let tokens = Tokens::from_config(
        config.jwt_secret.as_deref(),
        &config.data_dir,
        config.token_ttl,
    )?;
    let auth = Authenticator::new(
        tokens.clone(),
        db.clone(),
        bus.clone(),
        config.session_check_interval,
    );
    Ok(AppState {
        operations: Arc::new(PersistedOperations::new(db.clone(), safelist)),
        tokens,
        auth: Arc::new(auth),
        search: search::open(&config).await?,
        counts: Arc::new(CountCache::default()),
        payments: Arc::new(SimulatedProvider::new(db.clone())),
        throttle: Arc::new(Throttle::connect(redis_url, &config.bus_prefix).await?),
        limiter: Arc::new(
            Limiter::connect(redis_url, &config.bus_prefix, config.rate_limits.clone()).await?,
        ),
        presence: Presence::new(presence_store, bus.clone(), config.presence_grace),
        shutdown: CancellationToken::new(),
        sql_statements,
        bus,
        db,
        config,
    })
}

/// Starts every background worker, each with the handles it uses.
fn spawn_workers(state: &AppState) {
    let config = &state.config;
    let shutdown = &state.shutdown;
    state.auth.spawn_revocation_listener(shutdown.clone());
    workers::spawn_search_follower(
        state.db.clone(),
        state.search.clone(),
        state.counts.clone(),
        config.relay_interval,
        shutdown.clone(),
    );
    workers::spawn_bus_relay(
        state.db.clone(),
        state.bus.clone(),
        config.relay_interval,
        shutdown.clone(),
    );
    workers::spawn_hold_sweeper(
        state.db.clone(),
        state.counts.clone(),
        config.sweep_interval,
        shutdown.clone(),
    );
    workers::spawn_sale_deducter(state.db.clone(), config.deduct_interval, shutdown.clone());
    state
        .presence
        .spawn_heartbeat(config.presence_ttl / 3, shutdown.clone());
    workers::spawn_payment_recovery(
        state.db.clone(),
        state.payments.clone(),
        config.clone(),
        shutdown.clone(),
    );
    workers::spawn_chat_beacon(
        state.db.clone(),
        state.bus.clone(),
        config.chat_beacon_interval,
        shutdown.clone(),
    );
}
