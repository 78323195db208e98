//! Folio's load programs and its synthetic catalog: what BENCHMARKS.md was measured with.
//!
//! The programs measure Folio as its clients see it, over HTTP and WebSocket against a running
//! `folio serve`, next to the same work done bare (SQL straight on the database, a Redis round trip)
//! for comparison. Every response body is checked; a run with errors says so in its table.
//!
//! This is a crate of its own, with its own binary `folio-bench`, because it builds on the `folio`
//! library (its entities, services, token minting) and cargo forbids a package cycle: the `folio`
//! binary cannot offer commands from a crate that depends on `folio`.
//!
//! # The programs
//! - `seed` ([`seed`]): adds a reproducible synthetic catalog of N books (authors, categories, stock
//!   in two warehouses, reviews) with multi-row inserts, then rebuilds the search index as
//!   `folio reindex` does; a million books load in minutes.
//! - `catalog` ([`catalog`]): Browse and Search over HTTP with N concurrent clients, on whatever
//!   catalog the server holds; a Markdown row of requests, errors, req/s, p50 and p99 per scenario.
//! - `sql-browse` ([`sql`]): the SQL statements of a Browse page run straight on the database with
//!   N connections, the ceiling Browse is compared with.
//! - `hot-book` ([`checkout`]): buyers racing to add one book to their carts and check out; SQL
//!   statements per request from the server's `/metrics`; then what the database says was sold and
//!   held, failing on a single oversold unit.
//! - `chat` ([`chat`]): N graphql-ws subscribers in group conversations while senders post at a set
//!   rate: deliveries/s, latency, the server's CPU and memory per connection, next to a bare Redis
//!   PUBLISH→SUBSCRIBE round trip.
//!
//! # Layout
//! - [`samples`]: the latencies of a run and the table row printed from them.
//! - [`rng`]: the seeded generator behind the catalog and the clients' choices.
//! - `store`: the server's database and search index, opened from the same flags as `folio serve`'s.
//!
//! Each program's module holds its flags (a `clap::Args` struct, whose doc comments are the help)
//! and a `run` that takes them and opens what it needs, so that a new flag is one field.
pub mod catalog;
pub mod chat;
pub mod checkout;
pub mod rng;
pub mod samples;
pub mod seed;
pub mod sql;
mod store;
