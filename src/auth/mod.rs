//! Who is asking, proven: password hashing, the signed short-lived tokens that name a user's
//! session, and the authenticator that turns a token into a viewer (checking, through a short
//! cache, that the session still stands) and hears of sessions that end.
mod authenticator;
mod password;
mod token;

pub use authenticator::{Authenticated, Authenticator, Revocation, TokenSession};
pub use password::{hash_password, verify_password};
pub use token::{Claims, Issued, Tokens};

/// Attached to the operations of a WebSocket connection: `reauthenticate` puts the new identity here
/// and the connection carries on under it. A watch, not a queue: only the newest identity matters,
/// however many a client sends.
#[derive(Clone)]
pub struct SocketIdentity(pub tokio::sync::watch::Sender<Option<Authenticated>>);
