//! The handles every layer above may use: configuration, database, event bus, search index,
//! presence, payments. Cheap to clone: every field is shared. The GraphQL schema is not among them:
//! it holds the state (as its data), not the other way round.
use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use crate::auth::{Authenticator, Tokens};
use crate::bus::SharedBus;
use crate::config::Config;
use crate::count_cache::CountCache;
use crate::db::StatementCounter;
use crate::limiter::Limiter;
use crate::operations::PersistedOperations;
use crate::payment::SharedProvider;
use crate::presence::Presence;
use crate::search::SharedIndex;
use crate::throttle::Throttle;

/// What every request handler, resolver and worker can reach.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    pub bus: SharedBus,
    /// Signs and checks tokens.
    pub tokens: Tokens,
    /// Turns a token into a viewer, and hears of sessions that end.
    pub auth: Arc<Authenticator>,
    /// The catalog's search index.
    pub search: SharedIndex,
    /// Counts of books per filter, for `totalCount`.
    pub counts: Arc<CountCache>,
    /// Where checkouts are charged.
    pub payments: SharedProvider,
    /// Limits how often a typing indicator is passed on, across instances.
    pub throttle: Arc<Throttle>,
    /// The rate limits and the query-cost budget, across instances.
    pub limiter: Arc<Limiter>,
    /// Who is online.
    pub presence: Arc<Presence>,
    /// The documents clients may name by hash (and, in safelist mode, the only ones that run).
    pub operations: Arc<PersistedOperations>,
    /// Cancelled when the server starts draining; long-lived streams and workers end on it.
    pub shutdown: CancellationToken,
    /// SQL statements run by this server's pool.
    pub sql_statements: StatementCounter,
}
