//! Signing up and in: their inputs and what they answer.
use async_graphql::{InputObject, SimpleObject};

use crate::schema::user::User;
use crate::services::accounts::session::Session;

/// A signed-in session: the token to send as `Authorization: Bearer <token>`, and its user.
#[derive(SimpleObject)]
pub(crate) struct AuthPayload {
    /// Signed token, valid for 24 hours by default.
    pub(crate) token: String,
    /// The signed-in user.
    pub(crate) user: User,
}

impl From<Session> for AuthPayload {
    fn from(session: Session) -> Self {
        AuthPayload {
            token: session.token,
            user: User::signed_in(session.user),
        }
    }
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
