//! The `folio` command line: its subcommands and their flags, as clap reads them. What each one
//! does is in `main.rs`.
use clap::{Parser, Subcommand};
use folio::config::{ServeArgs, StoreArgs};

/// Folio: one GraphQL gateway for a bookstore and its real-time chat.
#[derive(Parser)]
#[command(name = "folio", version, args_conflicts_with_subcommands = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    #[command(flatten)]
    pub(crate) serve: ServeArgs,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Run migrations, then serve GraphQL and the playground (the default).
    Serve(ServeArgs),
    /// Print the GraphQL schema (SDL) to stdout.
    Schema,
    /// Run the database migrations and exit.
    Migrate(StoreArgs),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Persisted operations for client builds.
    #[command(subcommand)]
    Operations(OperationsCommand),
    /// Rebuild the search index from the database (stop the instances that share the embedded index first).
    Reindex {
        #[command(flatten)]
        store: StoreArgs,
        /// Elasticsearch URL, when the index to rebuild is there.
        #[arg(long, env = "ELASTICSEARCH_URL")]
        elasticsearch_url: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum UserCommand {
    /// Create an account.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        name: String,
        /// Make the account an admin.
        #[arg(long)]
        admin: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
pub(crate) enum OperationsCommand {
    /// Print the persisted-query manifest (Apollo's JSON format, ids the SHA-256 of each body) of
    /// a `.graphql` file of named operations; `FOLIO_SAFELIST` accepts it.
    Manifest {
        /// The `.graphql` file of the client's operations and fragments.
        file: std::path::PathBuf,
    },
}
