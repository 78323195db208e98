//! Folio: one GraphQL gateway for a bookstore and its real-time chat.
//!
//! One binary serves one schema over HTTP, Server-Sent Events and WebSocket. It runs embedded by
//! default (SQLite, an in-process event bus, data in `./folio-data`) or scaled out (several instances
//! sharing PostgreSQL and Redis), from the same code: each infrastructure piece is a small trait with
//! two implementations. `ARCHITECTURE.md` draws the house; this is its list of rooms.
//!
//! # Layout
//! Imports only point down this list (the same floors as ARCHITECTURE.md's table).
//! - [`app`]: `App::build(config)` connects the state, starts the workers, serves.
//! - `transport`: GraphQL over HTTP, SSE and WebSocket (both subscription protocols), the
//!   playground, readiness and metrics.
//! - [`graphql`]: the one schema: the resolvers' roots merged, with limits and error codes.
//! - `resolvers`: root fields, one root object per noun; thin.
//! - `schema`: the GraphQL types, one file per noun; context accessors, guards, limits, error codes.
//! - `loaders`: DataLoaders (one generic loader by id) and the prefetching of a page's relations.
//! - `workers`: the background work every instance runs (sweeper, deducter, recovery, beacon,
//!   search follower, bus relay), each with only its handles; [`demo`]: the demo accounts and
//!   catalog of a first start. Both call services, as resolvers do.
//! - [`services`]: domain logic over a database connection, by noun: `catalog`, `inventory`,
//!   `commerce`, `chat`, `accounts`, `updates`. No GraphQL.
//! - [`state`]: the handles every layer may use (database, bus, search, presence, payments…).
//! - [`search`], [`bus`], [`presence`], [`payment`], [`auth`], [`throttle`], [`count_cache`],
//!   [`limiter`], [`operations`]: the infrastructure behind those handles: the search index (Tantivy or
//!   Elasticsearch), the event bus (in-process or Redis), who is online, the payment provider,
//!   passwords and tokens, the typing throttle, the cached book counts, the rate limits, the persisted operations
//!   (registered ones, or the safelist).
//! - [`entities`]: sea-orm tables, and the reusable queries of each.
//! - [`db`]: connecting and migrating; [`config`]: one `Config` from flags and environment.
//! - [`domain`]: value types with no I/O: ids, money, ISBNs, filters, cursors, pages, statuses.
//! - [`error`]: the one error enum and its codes.
pub mod app;
pub mod auth;
pub mod bus;
pub mod config;
pub mod count_cache;
pub mod db;
pub mod demo;
pub mod domain;
pub mod entities;
pub mod error;
pub mod graphql;
pub mod limiter;
mod loaders;
pub mod operations;
pub mod payment;
pub mod presence;
mod resolvers;
mod schema;
pub mod search;
pub mod services;
pub mod state;
pub mod throttle;
mod transport;
mod workers;

pub use app::App;
pub use config::Config;
