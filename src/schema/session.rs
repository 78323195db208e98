//! Signing up and in: their inputs and what they answer.
use async_graphql::{InputObject, SimpleObject};

use crate::schema::user::User;
use crate::services::accounts::session::Session;

/// A signed-in session: the access token to send as `Authorization: Bearer <token>` until
/// `expiresAt`, the refresh token that `refreshSession` trades for the next pair, and the user.
#[derive(SimpleObject)]
pub(crate) struct AuthPayload {
    /// Signed access token, valid until `expiresAt` (15 minutes by default).
    pub(crate) token: String,
    /// When `token` stops working; refresh before then.
    pub(crate) expires_at: chrono::DateTime<chrono::Utc>,
    /// Works once, with `refreshSession`, for 30 days by default; keep it secret. Using it twice
    /// ends the session.
    pub(crate) refresh_token: String,
    /// The signed-in user.
    pub(crate) user: User,
}

impl From<Session> for AuthPayload {
    fn from(session: Session) -> Self {
        AuthPayload {
            token: session.token,
            expires_at: session.expires_at,
            refresh_token: session.refresh_token,
            user: User::signed_in(session.user),
        }
    }
}

/// What `reauthenticate` answers.
#[derive(SimpleObject)]
pub(crate) struct Reauthenticated {
    /// When the new token (and a WebSocket carried on under it) expires.
    pub(crate) expires_at: chrono::DateTime<chrono::Utc>,
}

/// What it takes to open an account.
#[derive(InputObject)]
pub(crate) struct SignUpInput {
    /// Email to sign in with; unique regardless of letter case.
    pub(crate) email: String,
    /// At least 8 characters.
    pub(crate) password: String,
    /// Display name shown to others, 1..100 characters.
    pub(crate) name: String,
}

/// Credentials of an existing account.
#[derive(InputObject)]
pub(crate) struct SignInInput {
    /// The account's email, in any letter case.
    pub(crate) email: String,
    /// The account's password.
    pub(crate) password: String,
}
