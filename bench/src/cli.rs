//! The `folio-bench` command line: one subcommand per load program, whose flags are that program's
//! options (declared, with their help, beside the program in its own module).
use clap::{Parser, Subcommand};
use folio_bench::{catalog, chat, checkout, seed, sql};

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
    Seed(seed::Seed),
    /// Browse and Search over HTTP against a running server.
    Catalog(catalog::Catalog),
    /// Buyers racing to add one book to their carts and check out, against a running server; then
    /// what the database says was sold and held (it fails on a single oversold unit).
    HotBook(checkout::HotBook),
    /// N graphql-ws subscribers in group conversations while senders post at a set rate, against a
    /// running server on PostgreSQL and Redis; then a bare Redis PUBLISH→SUBSCRIBE round trip.
    Chat(chat::Chat),
    /// The SQL statements of a Browse page, straight on the database, for comparison.
    SqlBrowse(sql::SqlBrowse),
}
