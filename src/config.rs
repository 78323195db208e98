//! One `Config` for the whole process, read from flags and the environment, with defaults that make the
//! embedded mode (SQLite, in-process bus, data in `./folio-data`) work with no setup at all.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

mod rate_limits;
pub use rate_limits::{RateLimitArgs, RateLimits};

/// Where Folio keeps its state: the flags shared by every command that touches the database.
#[derive(Args, Clone, Debug)]
pub struct StoreArgs {
    /// Directory for the SQLite database, the search index and the generated token secret.
    #[arg(long, env = "FOLIO_DATA_DIR", default_value = "folio-data")]
    pub data_dir: PathBuf,
    /// PostgreSQL (`postgres://…`) or SQLite (`sqlite://…`) URL; SQLite in the data dir when absent.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
}

/// Flags of `folio serve`.
#[derive(Args, Clone, Debug)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "FOLIO_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Redis URL: when set, events fan out across instances through Redis pub/sub.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,
    /// Elasticsearch URL: when set, search uses Elasticsearch instead of the embedded index.
    #[arg(long, env = "ELASTICSEARCH_URL")]
    pub elasticsearch_url: Option<String>,
    /// Do not load the demo data on first start (the environment's FOLIO_DEMO=0 does the same).
    #[arg(long)]
    pub no_demo: bool,
    /// Run only the operations of this file: a `.graphql` file of named operations, or a
    /// persisted-query manifest (JSON).
    #[arg(long, env = "FOLIO_SAFELIST")]
    pub safelist: Option<PathBuf>,
    // Boxed: a dozen optional settings would make every `Command` as large as `serve`.
    #[command(flatten)]
    pub rate_limits: Box<RateLimitArgs>,
}

impl ServeArgs {
    /// Turns the flags into a `Config`, reading the settings that have no flag from the environment.
    pub fn into_config(self) -> anyhow::Result<Config> {
        let demo_env = std::env::var("FOLIO_DEMO").unwrap_or_default();
        let demo = !self.no_demo && !matches!(demo_env.trim(), "0" | "false" | "no" | "off");
        let mut config = Config::embedded(self.store.data_dir);
        config.listen = self.listen;
        config.database_url = self.store.database_url;
        config.redis_url = self.redis_url;
        config.elasticsearch_url = self.elasticsearch_url;
        config.demo = demo;
        config.jwt_secret = env_string("FOLIO_JWT_SECRET");
        if let Some(name) = env_string("FOLIO_SEARCH_INDEX") {
            config.search_index_name = name;
        }
        if let Some(prefix) = env_string("FOLIO_BUS_PREFIX") {
            config.bus_prefix = prefix;
        }
        if let Some(secs) = env_parse::<u64>("FOLIO_HOLD_TTL")? {
            config.hold_ttl = Duration::from_secs(secs);
        }
        if let Some(secs) = env_parse::<u64>("FOLIO_SWEEP_INTERVAL")? {
            config.sweep_interval = Duration::from_secs(secs.max(1));
        }
        if let Some(secs) = env_parse::<u64>("FOLIO_PRESENCE_GRACE")? {
            config.presence_grace = Duration::from_secs(secs);
        }
        if let Some(secs) = env_parse::<u64>("FOLIO_PRESENCE_TTL")? {
            config.presence_ttl = Duration::from_secs(secs.max(3));
        }
        if let Some(secs) = env_parse::<u64>("FOLIO_PAYMENT_RECOVERY_AFTER")? {
            config.payment_recovery_after = Duration::from_secs(secs);
        }
        if let Some(secs) = env_parse::<u64>("FOLIO_OUTBOX_RETENTION")? {
            config.outbox_retention = Duration::from_secs(secs);
        }
        if let Some(n) = env_parse("FOLIO_LOW_STOCK")? {
            config.low_stock_threshold = n;
        }
        if let Some(secs) = env_parse::<u64>("FOLIO_TOKEN_TTL")? {
            config.token_ttl = Duration::from_secs(secs.max(1));
        }
        if let Some(secs) = env_parse::<u64>("FOLIO_REFRESH_TTL")? {
            config.refresh_ttl = Duration::from_secs(secs.max(1));
        }
        if let Some(secs) = env_parse::<u64>("FOLIO_SESSION_CHECK_INTERVAL")? {
            config.session_check_interval = Duration::from_secs(secs);
        }
        if let Some(n) = env_parse("FOLIO_MAX_DEPTH")? {
            config.limits.max_depth = n;
        }
        if let Some(n) = env_parse("FOLIO_MAX_COMPLEXITY")? {
            config.limits.max_complexity = n;
        }
        if let Some(n) = env_parse("FOLIO_MAX_ALIASES")? {
            config.limits.max_aliases = n;
        }
        if let Some(n) = env_parse("FOLIO_MAX_BODY_BYTES")? {
            config.limits.max_body_bytes = n;
        }
        if let Some(n) = env_parse("FOLIO_MAX_INTROSPECTION_DEPTH")? {
            config.limits.max_introspection_depth = n;
        }
        config.introspection = !matches!(
            env_string("FOLIO_INTROSPECTION").as_deref().map(str::trim),
            Some("0" | "false" | "no" | "off")
        );
        config.cors_origins = env_string("FOLIO_CORS_ORIGINS")
            .map(|list| cors_origins(&list))
            .unwrap_or_default();
        config.safelist = self.safelist.filter(|p| !p.as_os_str().is_empty());
        if let Some(secs) = env_parse::<u64>("FOLIO_WS_INIT_TIMEOUT")? {
            config.ws.init_timeout = Duration::from_secs(secs);
        }
        if let Some(secs) = env_parse::<u64>("FOLIO_WS_KEEPALIVE")? {
            config.ws.keepalive = Duration::from_secs(secs);
        }
        self.rate_limits.apply(&mut config.rate_limits)?;
        Ok(config)
    }
}

/// `FOLIO_CORS_ORIGINS`: origins separated by commas (`*` alone allows any), without trailing slashes.
fn cors_origins(list: &str) -> Vec<String> {
    list.split(',')
        .map(|origin| origin.trim().trim_end_matches('/').to_owned())
        .filter(|origin| !origin.is_empty())
        .collect()
}

fn env_string(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_parse<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>> {
    match env_string(name) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| anyhow::anyhow!("{name}={v} is not a valid value")),
    }
}

/// Everything a running Folio needs to know.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// Directory for the SQLite database, the search index and the generated token secret.
    pub data_dir: PathBuf,
    /// Database URL; `None` means SQLite at `<data_dir>/folio.db`.
    pub database_url: Option<String>,
    /// Redis URL; `None` means the in-process event bus.
    pub redis_url: Option<String>,
    /// Prefix of the Redis pub/sub channels, so that deployments (and tests) sharing a Redis stay apart.
    pub bus_prefix: String,
    /// Elasticsearch URL; `None` means the embedded search index.
    pub elasticsearch_url: Option<String>,
    /// Name of the Elasticsearch index.
    pub search_index_name: String,
    /// Load the demo data (and demo accounts) into an empty database on start.
    pub demo: bool,
    /// Secret that signs tokens; `None` means one generated once and kept in the data dir.
    pub jwt_secret: Option<String>,
    /// How long an access token stays valid.
    pub token_ttl: Duration,
    /// How long a refresh token stays valid (each refresh issues a new one).
    pub refresh_ttl: Duration,
    /// How long an instance trusts what the database said about a session (revoked or not, the
    /// user's role, disabled or not) before it asks again. Revocations themselves arrive at once
    /// over the bus; this bounds what has no event (a role changed in the database, a user deleted).
    pub session_check_interval: Duration,
    /// How long a cart's stock hold lasts without the cart being touched.
    pub hold_ttl: Duration,
    /// How often each instance's sweeper looks for lapsed holds.
    pub sweep_interval: Duration,
    /// How often each instance deducts paid orders' sales from stock (`inventory::sale::deduct_sold_stock`).
    /// Short, so that on hand and held read true soon after a sale; an idle pass is one query.
    pub deduct_interval: Duration,
    /// How long an order may stay PENDING_PAYMENT before recovery asks the provider about it. Longer
    /// than a checkout's own attempts (3 charges of at most `charge_timeout`, plus backoff).
    pub payment_recovery_after: Duration,
    /// How often each instance looks for such orders (and prunes old idempotency keys and outbox
    /// rows).
    pub recovery_interval: Duration,
    /// How long one call to the payment provider may take.
    pub charge_timeout: Duration,
    /// How long a repeated checkout waits for the first one's payment to settle.
    pub checkout_settle_wait: Duration,
    /// How long idempotency keys are kept (at least 24 hours).
    pub idempotency_key_ttl: Duration,
    /// How long published outbox rows are kept. A search index that was away for longer rebuilds
    /// itself when it comes back.
    pub outbox_retention: Duration,
    /// How long a typing indicator lasts unless repeated.
    pub typing_lapse: Duration,
    /// How often each instance tells subscribers where recently active conversations are, so that
    /// a message whose publish was lost still arrives.
    pub chat_beacon_interval: Duration,
    /// How long after a user's last connection closes they turn OFFLINE (a reconnect within it
    /// changes nothing).
    pub presence_grace: Duration,
    /// How long an instance's users count as connected after its last heartbeat (heartbeats go
    /// every third of it): the users of a killed instance go OFFLINE within about this long.
    pub presence_ttl: Duration,
    /// At or below this many available units a book is LOW_STOCK.
    pub low_stock_threshold: i64,
    /// Limits on what one GraphQL request may ask for.
    pub limits: Limits,
    /// WebSocket protocol timings.
    pub ws: WsConfig,
    /// Rate limits, the cost budget, and the proxies whose `X-Forwarded-For` is believed.
    pub rate_limits: RateLimits,
    /// How often the outbox relay looks for new changes when idle.
    pub relay_interval: Duration,
    /// How long a shutdown waits for in-flight requests before it gives up on them.
    pub shutdown_grace: Duration,
    /// Whether the schema answers introspection (`__schema`, `__type`).
    pub introspection: bool,
    /// Origins whose browsers may call the API from their pages (`*`: any); empty, no CORS
    /// headers at all, so cross-origin browser requests are refused by the browser.
    pub cors_origins: Vec<String>,
    /// Safelist mode: only the operations of this file run (`operations::Safelist`).
    pub safelist: Option<PathBuf>,
}

/// Limits on one GraphQL request; exceeding one fails with QUERY_TOO_COMPLEX (or HTTP 413 for the body).
#[derive(Clone, Debug)]
pub struct Limits {
    /// Deepest nesting of selections.
    pub max_depth: usize,
    /// Deepest nesting of a document that reads only the schema (every root field `__schema`,
    /// `__type` or `__typename`): GraphiQL's own introspection query is deeper than `max_depth`.
    pub max_introspection_depth: usize,
    /// Highest complexity (each field costs 1; connections multiply by the page size asked for).
    pub max_complexity: usize,
    /// Most aliased fields in one document.
    pub max_aliases: usize,
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
}

/// Timings of the WebSocket transports.
#[derive(Clone, Debug)]
pub struct WsConfig {
    /// How long a client has to send `connection_init` before the socket is closed with 4408.
    pub init_timeout: Duration,
    /// How often the server pings an idle client.
    pub keepalive: Duration,
}

impl Config {
    /// The defaults: embedded mode with its state in `data_dir`.
    pub fn embedded(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: data_dir.into(),
            database_url: None,
            redis_url: None,
            bus_prefix: "folio".into(),
            elasticsearch_url: None,
            search_index_name: "folio-books".into(),
            demo: true,
            jwt_secret: None,
            token_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            session_check_interval: Duration::from_secs(5),
            hold_ttl: Duration::from_secs(600),
            sweep_interval: Duration::from_secs(1),
            deduct_interval: Duration::from_millis(200),
            payment_recovery_after: Duration::from_secs(60),
            recovery_interval: Duration::from_secs(10),
            charge_timeout: Duration::from_secs(10),
            checkout_settle_wait: Duration::from_secs(15),
            idempotency_key_ttl: Duration::from_secs(48 * 3600),
            outbox_retention: Duration::from_secs(24 * 3600),
            typing_lapse: Duration::from_secs(5),
            chat_beacon_interval: Duration::from_secs(2),
            presence_grace: Duration::from_secs(5),
            presence_ttl: Duration::from_secs(15),
            low_stock_threshold: 5,
            limits: Limits {
                max_depth: 12,
                max_introspection_depth: 20,
                max_complexity: 5_000,
                max_aliases: 30,
                max_body_bytes: 1024 * 1024,
            },
            ws: WsConfig {
                init_timeout: Duration::from_secs(3),
                keepalive: Duration::from_secs(15),
            },
            rate_limits: RateLimits::default(),
            shutdown_grace: Duration::from_secs(10),
            relay_interval: Duration::from_millis(100),
            introspection: true,
            cors_origins: Vec::new(),
            safelist: None,
        }
    }

    /// The database URL to connect to, SQLite in the data dir unless one was given.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("folio.db").display()
            ),
        }
    }
}
