//! A connection's identity over time. A socket lives no longer than its token: it closes at the
//! token's expiry, or when its session is revoked on any instance, unless the client sends
//! `reauthenticate` with a newer token of the same user first; then it carries on under that one.
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::{broadcast, watch};
use tokio::time::Sleep;

use crate::auth::{Authenticated, Authenticator, Revocation, SocketIdentity, TokenSession};
use crate::transport::session_end::until;

/// What happened to the connection's identity.
pub(super) enum SessionEvent {
    /// The token expired or the session ended: close with 4403 and this reason.
    Ended(&'static str),
    /// `reauthenticate` gave the connection a newer token.
    Renewed(Authenticated),
}

/// Watches the connection's session. Kept small: a signed-in idle socket holds one of these.
pub(super) struct SocketSession {
    auth: Arc<Authenticator>,
    current: Option<TokenSession>,
    expiry: Pin<Box<Sleep>>,
    revocations: Option<broadcast::Receiver<Revocation>>,
    /// A revocation heard whose database check has not finished: checked first on the next turn, so
    /// that the connection loop cancelling the check (to send a message) loses nothing.
    check_pending: bool,
    renewals: watch::Receiver<Option<Authenticated>>,
    identity: SocketIdentity,
}

impl SocketSession {
    /// Watches the session `who` carries (nothing, for an anonymous connection, except renewals).
    pub(super) fn new(auth: Arc<Authenticator>, who: &Authenticated) -> Self {
        let (sender, renewals) = watch::channel(None);
        let mut session = SocketSession {
            expiry: Box::pin(tokio::time::sleep(std::time::Duration::ZERO)),
            revocations: None,
            current: None,
            check_pending: false,
            renewals,
            identity: SocketIdentity(sender),
            auth,
        };
        session.follow(who);
        session
    }

    /// What the connection's operations carry, so that `reauthenticate` reaches this connection.
    pub(super) fn identity(&self) -> SocketIdentity {
        self.identity.clone()
    }

    fn follow(&mut self, who: &Authenticated) {
        self.current = who.session;
        if let Some(session) = who.session {
            self.expiry = Box::pin(until(session.expires_at));
            if self.revocations.is_none() {
                self.revocations = Some(self.auth.revocations());
            }
        }
    }

    /// The next change of identity; pending while there is none.
    pub(super) async fn next_event(&mut self) -> SessionEvent {
        loop {
            if self.check_pending
                && let Some(ended) = self.check().await
            {
                return ended;
            }
            let revocations = self.revocations.as_mut();
            tokio::select! {
                _ = &mut self.expiry, if self.current.is_some() => {
                    return SessionEvent::Ended("token expired");
                }
                revocation = recv(revocations) => {
                    if let Some(current) = &self.current {
                        self.check_pending |= revocation.may_end(current);
                    }
                }
                changed = self.renewals.changed() => {
                    if changed.is_err() {
                        // Cannot happen (this struct holds the sender); never spin on it.
                        std::future::pending::<()>().await;
                    }
                    let renewed = self.renewals.borrow_and_update().clone();
                    if let Some(renewed) = renewed {
                        self.follow(&renewed);
                        return SessionEvent::Renewed(renewed);
                    }
                }
            }
        }
    }

    /// Whether the current session ended, asking the database. An unreachable database keeps the
    /// socket: the expiry still bounds it.
    async fn check(&mut self) -> Option<SessionEvent> {
        let current = self.current?;
        let stands = self.auth.still_stands(&current).await.unwrap_or(true);
        self.check_pending = false;
        (!stands).then_some(SessionEvent::Ended("session revoked"))
    }
}

/// The next revocation; `Any` after falling behind (some were missed); pending without a receiver.
async fn recv(revocations: Option<&mut broadcast::Receiver<Revocation>>) -> Revocation {
    match revocations {
        Some(receiver) => receiver.recv().await.unwrap_or(Revocation::Any),
        None => std::future::pending().await,
    }
}
