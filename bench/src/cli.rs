//! The `folio-bench` command line: its subcommands and their flags, as clap reads them. What each
//! one does is in `main.rs`.
use clap::{Parser, Subcommand};
use folio::config::StoreArgs;

/// Folio's load programs and its synthetic catalog, for BENCHMARKS.md.
#[derive(Parser)]
#[command(name = "folio-bench", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Add a reproducible synthetic catalog of N books (for benchmarks), then rebuild the search index.
    Seed {
        /// How many books to add.
        #[arg(long)]
        books: u64,
        /// Seed of the generator: the same seed gives the same catalog.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[command(flatten)]
        store: StoreArgs,
        /// Elasticsearch URL, when the index to rebuild is there.
        #[arg(long, env = "ELASTICSEARCH_URL")]
        elasticsearch_url: Option<String>,
    },
    /// Browse and Search over HTTP against a running server.
    Catalog {
        /// The server's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// Scenarios to run (all by default).
        #[arg(long, value_enum, value_delimiter = ',')]
        scenario: Vec<folio_bench::catalog::Scenario>,
        /// Numbers of concurrent clients to run each scenario with.
        #[arg(long, value_delimiter = ',', default_value = "1,8")]
        clients: Vec<usize>,
        /// Seconds per measured run.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
    },
    /// Buyers racing to add one book to their carts and check out, against a running server; then
    /// what the database says was sold and held (it fails on a single oversold unit).
    HotBook {
        /// The server's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// The server's database (the admin is created there, and the result read from it).
        #[command(flatten)]
        store: StoreArgs,
        /// Concurrent buyers.
        #[arg(long, default_value_t = 256)]
        buyers: usize,
        /// Units of the book on hand at the start.
        #[arg(long, default_value_t = 10_000)]
        units: i32,
        /// Longest the race may last, in seconds (it ends sooner when the book sells out).
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Only add to carts, never check out: the hold path alone.
        #[arg(long)]
        holds_only: bool,
    },
    /// N graphql-ws subscribers in group conversations while senders post at a set rate, against a
    /// running server on PostgreSQL and Redis; then a bare Redis PUBLISH→SUBSCRIBE round trip.
    Chat {
        /// The server's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// The server's database (the users are inserted there).
        #[command(flatten)]
        store: StoreArgs,
        /// The server's token secret (its FOLIO_JWT_SECRET), to mint the users' tokens.
        #[arg(long, env = "FOLIO_JWT_SECRET")]
        jwt_secret: String,
        /// Redis, for the bare PUBLISH→SUBSCRIBE comparison.
        #[arg(long, env = "REDIS_URL", default_value = "redis://127.0.0.1:6379")]
        redis_url: String,
        /// WebSocket connections (receivers), each subscribed to its group.
        #[arg(long, default_value_t = 1000)]
        connections: usize,
        /// Receivers per group conversation (at most 199, plus the sender).
        #[arg(long, default_value_t = 100)]
        group_size: usize,
        /// Messages per second, in total over all senders.
        #[arg(long, default_value_t = 100.0)]
        rate: f64,
        /// Seconds of sending.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Seconds the connections sit idle before the server's memory is read a second time (the
        /// first is at 2 s).
        #[arg(long, default_value_t = 20)]
        idle_seconds: u64,
        /// The server's pid, for its memory and CPU time (found by its command line when absent).
        #[arg(long)]
        server_pid: Option<u32>,
    },
    /// The SQL statements of a Browse page, straight on the database, for comparison.
    SqlBrowse {
        #[command(flatten)]
        store: StoreArgs,
        /// Numbers of concurrent connections.
        #[arg(long, value_delimiter = ',', default_value = "1,8")]
        clients: Vec<usize>,
        /// Seconds per measured run.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
    },
}
