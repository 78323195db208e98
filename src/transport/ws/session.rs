//! A connection's identity over time. A socket lives no longer than its token: it closes at the
//! token's expiry, or when its session is revoked on any instance, unless the client sends
//! `reauthenticate` with a newer token of the same user first; then it carries on under that one.
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

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
    /// The database check of a revocation heard, kept here across the connection loop's turns (a
    /// turn that sends a message must not cancel it): resolves to whether the session stands.
    check: Option<Pin<Box<dyn Future<Output = bool> + Send>>>,
    /// A revocation arrived while a check was in flight: check again after it, as the one in
    /// flight may have read the database before that revocation was written.
    check_again: bool,
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
            check: None,
            check_again: false,
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
        // A check of the session before this one no longer says anything.
        self.check = None;
        self.check_again = false;
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
            let revocations = self.revocations.as_mut();
            // Biased, renewals first: a `reauthenticate` that lands as the old token expires wins.
            tokio::select! {
                biased;
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
                _ = &mut self.expiry, if self.current.is_some() => {
                    return SessionEvent::Ended("token expired");
                }
                stands = in_flight(&mut self.check) => {
                    self.check = None;
                    if !stands {
                        return SessionEvent::Ended("session revoked");
                    }
                    if std::mem::take(&mut self.check_again) {
                        self.start_check(Revocation::Any);
                    }
                }
                revocation = recv(revocations) => {
                    let concerned = self.current.is_some_and(|c| revocation.may_end(&c));
                    if concerned {
                        if self.check.is_some() {
                            self.check_again = true;
                        } else {
                            self.start_check(revocation);
                        }
                    }
                }
            }
        }
    }

    /// Starts asking the database whether the current session still stands. After a bus gap
    /// (`Any`) every socket asks at once, so each waits a random moment first, spreading the
    /// queries over a second or two.
    fn start_check(&mut self, revocation: Revocation) {
        let Some(current) = self.current else {
            return;
        };
        let auth = self.auth.clone();
        let delay = match revocation {
            Revocation::Any => Duration::from_millis(rand::random_range(0..2_000)),
            _ => Duration::ZERO,
        };
        self.check = Some(Box::pin(async move {
            tokio::time::sleep(delay).await;
            // An unreachable database keeps the socket: the token's expiry still bounds it.
            auth.still_stands(&current).await.unwrap_or(true)
        }));
    }
}

/// The check in flight, if any; pending without one.
async fn in_flight(check: &mut Option<Pin<Box<dyn Future<Output = bool> + Send>>>) -> bool {
    match check {
        Some(check) => check.await,
        None => std::future::pending().await,
    }
}

/// The next revocation; `Any` after falling behind (some were missed); pending without a receiver.
async fn recv(revocations: Option<&mut broadcast::Receiver<Revocation>>) -> Revocation {
    match revocations {
        Some(receiver) => receiver.recv().await.unwrap_or(Revocation::Any),
        None => std::future::pending().await,
    }
}
