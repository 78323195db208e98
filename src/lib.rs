//! Folio: one GraphQL gateway for a bookstore and its real-time chat.
//!
//! One binary serves one schema over HTTP, Server-Sent Events and WebSocket. It runs embedded by
//! default (SQLite, an in-process event bus, data in `./folio-data`) or scaled out (several instances
//! sharing PostgreSQL and Redis), from the same code: each infrastructure piece is a small trait with
//! two implementations.
//!
//! # Layout
//! - [`config`]: one `Config` from flags and environment.
//! - [`app`]: `App::build(config)` connects everything, binds and serves; the router.
//! - [`transport`]: GraphQL over HTTP/SSE and over WebSocket (both subscription protocols).
//! - [`schema`]: GraphQL types and the assembly of the schema; [`resolvers`]: thin root fields per
//!   domain; [`services`]: domain logic over a database connection, testable without GraphQL;
//!   [`entities`]: sea-orm tables.
//! - [`auth`]: passwords, tokens, the `Viewer` and guards; [`error`]: the one error enum and its codes.
//! - [`bus`]: the event bus (in-process or Redis); [`db`]: connecting and migrating.
//! - [`payment`]: the payment provider trait and the built-in simulated provider.
//! - [`relay`]: follows the outbox into the search index and onto the event bus; [`workers`]: the
//!   periodic jobs every instance runs (hold sweeper, payment recovery).
//! - [`playground`]: the embedded GraphiQL page; [`demo`]: demo accounts for a first start.
pub mod app;
pub mod auth;
pub mod bus;
pub mod config;
pub mod db;
pub mod demo;
pub mod entities;
pub mod error;
pub mod loaders;
pub mod payment;
pub mod playground;
pub mod presence;
pub mod relay;
pub mod resolvers;
pub mod schema;
pub mod search;
pub mod services;
pub mod transport;
pub mod workers;

pub use app::App;
pub use config::Config;
