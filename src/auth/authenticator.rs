//! Who is behind a token, now. A token's signature and expiry are checked locally; whether its session
//! still stands, and the user's role, are read from the database through a cache that keeps an answer
//! for a few seconds, so a request costs no query in the common case and a demoted, disabled or
//! deleted user loses access within that time.
//!
//! Revocations (sign-out, an admin disabling a user, a refresh token presented twice) travel on the
//! bus's `sessions` topic to every instance: each one forgets the cached answer at once and tells its
//! open sockets (`revocations`), which close themselves if they carry the session.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sea_orm::{DatabaseConnection, EntityTrait};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::Tokens;
use crate::bus::{Delivery, Event, SharedBus, topic};
use crate::domain::viewer::{Role, Viewer};
use crate::entities::{session, user};
use crate::error::{Error, Result};

/// Answers kept in the cache at most; past this, stale ones are dropped (a server's active sessions
/// are far fewer).
const MAX_CACHED: usize = 100_000;
/// Revocations an instance's sockets may be behind on before they re-check (see `Revocation::Any`).
const REVOCATION_BACKLOG: usize = 256;

/// A request's or connection's identity: the viewer, and the session its token belongs to.
#[derive(Clone, Debug, Default)]
pub struct Authenticated {
    pub viewer: Viewer,
    pub session: Option<TokenSession>,
}

/// The session a valid token belongs to, and when the token stops being good.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenSession {
    pub id: i64,
    pub user_id: i64,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Sessions that ended, as every instance hears of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revocation {
    /// One session.
    Session(i64),
    /// Every session of a user.
    User(i64),
    /// Possibly any: the bus lost events, so whoever holds a session checks it again.
    Any,
}

impl Revocation {
    /// Whether this revocation may end `session`.
    pub fn may_end(self, session: &TokenSession) -> bool {
        match self {
            Revocation::Session(id) => id == session.id,
            Revocation::User(id) => id == session.user_id,
            Revocation::Any => true,
        }
    }
}

/// What the database says of a session.
#[derive(Clone, Copy, Debug)]
enum Standing {
    Active { role: Role },
    Ended,
}

#[derive(Clone, Copy)]
struct Cached {
    user_id: i64,
    standing: Standing,
    read_at: Instant,
}

/// Resolves tokens to viewers and hears of revocations. One per process, shared.
pub struct Authenticator {
    tokens: Tokens,
    db: DatabaseConnection,
    bus: SharedBus,
    fresh_for: Duration,
    /// A std mutex: held only to read or write the map, never across an await.
    cache: Mutex<HashMap<i64, Cached>>,
    revocations: broadcast::Sender<Revocation>,
}

impl Authenticator {
    /// An authenticator that trusts the database's answer about a session for `fresh_for`.
    pub fn new(
        tokens: Tokens,
        db: DatabaseConnection,
        bus: SharedBus,
        fresh_for: Duration,
    ) -> Self {
        Authenticator {
            tokens,
            db,
            bus,
            fresh_for,
            cache: Mutex::default(),
            revocations: broadcast::channel(REVOCATION_BACKLOG).0,
        }
    }

    /// The identity an `Authorization` value names (`Bearer <token>`, or the bare token): anonymous
    /// without one, `InvalidToken` for one that is forged, expired, of an ended session, or of a
    /// user who is disabled or gone. Fails only when the database cannot say and nothing is cached.
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Authenticated> {
        let Some(value) = authorization.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(Authenticated::default());
        };
        let token = match value.split_once(' ') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
            _ => value,
        };
        match self.check(token).await {
            Ok(authenticated) => Ok(authenticated),
            Err(Error::InvalidToken) => Ok(Authenticated {
                viewer: Viewer::InvalidToken,
                session: None,
            }),
            Err(err) => Err(err),
        }
    }

    /// The identity of a bare token; `InvalidToken` for any token that is not good now.
    pub async fn check(&self, token: &str) -> Result<Authenticated> {
        let claims = self.tokens.verify(token)?;
        let user_id = claims.user_id();
        match self.standing(claims.sid, user_id).await? {
            Standing::Active { role } => Ok(Authenticated {
                viewer: Viewer::User { id: user_id, role },
                session: Some(TokenSession {
                    id: claims.sid,
                    user_id,
                    expires_at: claims.expires_at(),
                }),
            }),
            Standing::Ended => Err(Error::InvalidToken),
        }
    }

    /// Whether `session` still stands, read again from the database (for sockets that heard of a
    /// revocation that may concern them: a cached answer could predate it).
    pub async fn still_stands(&self, session: &TokenSession) -> Result<bool> {
        let read = self.read(session.id).await?;
        self.remember(session.id, read);
        Ok(matches!(
            own(read, session.user_id),
            Standing::Active { .. }
        ))
    }

    /// Revocations heard from now on, for a socket to close itself on.
    pub fn revocations(&self) -> broadcast::Receiver<Revocation> {
        self.revocations.subscribe()
    }

    /// Tells every instance (this one included) that sessions ended. Call it after the change has
    /// committed. This instance forgets them and tells its sockets at once, whatever the bus does;
    /// the others hear it over the bus (a lost event there is bounded by the token's lifetime, and
    /// by `session_check_interval` for HTTP requests).
    pub async fn announce(&self, revocation: Revocation) {
        self.forget(revocation);
        let _ = self.revocations.send(revocation);
        let (user_id, session_id) = match revocation {
            Revocation::Session(id) => (None, Some(id)),
            Revocation::User(id) => (Some(id), None),
            Revocation::Any => (None, None),
        };
        let event = Event::SessionsRevoked {
            user_id,
            session_id,
        };
        if let Err(err) = self.bus.publish(topic::SESSIONS, &event).await {
            tracing::warn!(error = %err, "a revocation could not be published to other instances");
        }
    }

    /// Listens to the bus's revocations until `shutdown`. Subscribes before returning, so nothing
    /// published afterwards is missed.
    pub fn spawn_revocation_listener(self: &std::sync::Arc<Self>, shutdown: CancellationToken) {
        let mut deliveries = self.bus.subscribe(topic::SESSIONS);
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                let delivery = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    delivery = deliveries.next() => delivery,
                };
                let revocation = match delivery {
                    None => return,
                    Some(Delivery::Event(event)) => match event.as_ref() {
                        Event::SessionsRevoked {
                            session_id: Some(id),
                            ..
                        } => Revocation::Session(*id),
                        Event::SessionsRevoked {
                            user_id: Some(id), ..
                        } => Revocation::User(*id),
                        Event::SessionsRevoked { .. } => Revocation::Any,
                        _ => continue,
                    },
                    // Lost events may have been revocations: every session is checked again.
                    Some(Delivery::Gap) => Revocation::Any,
                };
                this.forget(revocation);
                // No receiver (no open socket) is not an error.
                let _ = this.revocations.send(revocation);
            }
        });
    }

    fn forget(&self, revocation: Revocation) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        match revocation {
            Revocation::Session(id) => {
                cache.remove(&id);
            }
            Revocation::User(user_id) => cache.retain(|_, cached| cached.user_id != user_id),
            Revocation::Any => cache.clear(),
        }
    }

    /// The session's standing: from the cache while fresh, else from the database. When the
    /// database fails, a stale answer is better than none.
    async fn standing(&self, session_id: i64, user_id: i64) -> Result<Standing> {
        let cached = self.cached(session_id);
        if let Some(cached) = cached.filter(|c| c.read_at.elapsed() < self.fresh_for) {
            return Ok(own(cached, user_id));
        }
        let read = match self.read(session_id).await {
            Ok(read) => read,
            Err(err) => {
                return match cached {
                    Some(stale) => {
                        tracing::warn!(error = %err, "session check fell back to a stale answer");
                        Ok(own(stale, user_id))
                    }
                    None => Err(err),
                };
            }
        };
        self.remember(session_id, read);
        Ok(own(read, user_id))
    }

    fn remember(&self, session_id: i64, read: Cached) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= MAX_CACHED {
            let fresh_for = self.fresh_for;
            cache.retain(|_, c| c.read_at.elapsed() < fresh_for);
        }
        cache.insert(session_id, read);
    }

    fn cached(&self, session_id: i64) -> Option<Cached> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.get(&session_id).copied()
    }

    async fn read(&self, session_id: i64) -> Result<Cached> {
        let read_at = Instant::now();
        let ended = |user_id| Cached {
            user_id,
            standing: Standing::Ended,
            read_at,
        };
        let Some(session) = session::Entity::find_by_id(session_id)
            .one(&self.db)
            .await?
        else {
            return Ok(ended(-1));
        };
        if session.revoked_at.is_some() {
            return Ok(ended(session.user_id));
        }
        let standing = match user::Entity::find_by_id(session.user_id)
            .one(&self.db)
            .await?
        {
            Some(user) if !user.disabled => Standing::Active { role: user.role },
            _ => Standing::Ended,
        };
        Ok(Cached {
            user_id: session.user_id,
            standing,
            read_at,
        })
    }
}

/// The standing, for a token that names `user_id`: a token whose session belongs to someone else
/// (it cannot be signed so, but the check costs nothing) stands for no one.
fn own(cached: Cached, user_id: i64) -> Standing {
    if cached.user_id == user_id {
        cached.standing
    } else {
        Standing::Ended
    }
}
