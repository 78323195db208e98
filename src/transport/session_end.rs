//! How long a stream's identity lasts: until its token expires, or its session is revoked on any
//! instance. An SSE stream then ends with UNAUTHENTICATED; a WebSocket (`ws::session`) closes with
//! 4403 unless `reauthenticate` renewed it.
use std::sync::Arc;

use axum::response::sse::Event as SseEvent;

use super::error_body;
use crate::auth::{Authenticator, Revocation, TokenSession};
use crate::error::Error;

/// Resolves when `session`'s token expires, or when the session is revoked.
pub(crate) async fn session_ended(auth: Arc<Authenticator>, session: TokenSession) {
    let mut revocations = auth.revocations();
    let expiry = until(session.expires_at);
    tokio::pin!(expiry);
    loop {
        tokio::select! {
            _ = &mut expiry => return,
            revocation = revocations.recv() => {
                let revocation = revocation.unwrap_or(Revocation::Any);
                if !revocation.may_end(&session) {
                    continue;
                }
                if revocation == Revocation::Any {
                    // Every stream asks at once after a bus gap: spread the queries out.
                    let jitter = rand::random_range(0..2_000);
                    tokio::time::sleep(std::time::Duration::from_millis(jitter)).await;
                }
                // An unreachable database keeps the stream: the token's expiry still bounds it.
                if !auth.still_stands(&session).await.unwrap_or(true) {
                    return;
                }
            }
        }
    }
}

/// Sleeps until `at`.
pub(crate) fn until(at: chrono::DateTime<chrono::Utc>) -> tokio::time::Sleep {
    let left = (at - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(left)
}

/// The last event of an SSE stream whose token expired or whose session ended.
pub(crate) fn ended_by_session() -> SseEvent {
    let error = Error::InvalidToken;
    let data = error_body(&error.to_string(), error.code(), None);
    SseEvent::default().event("next").data(data.to_string())
}
