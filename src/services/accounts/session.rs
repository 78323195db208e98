//! Sessions: signing up and signing in, each answered with a signed token for the user.
use sea_orm::ConnectionTrait;

use crate::auth::Tokens;
use crate::domain::viewer::Role;
use crate::entities::user;
use crate::error::Result;
use crate::services::accounts::user::{NewUser, authenticate, create_user};

/// A signed-in user and the token to send as `Authorization: Bearer <token>`.
pub(crate) struct Session {
    pub(crate) token: String,
    pub(crate) user: user::Model,
}

/// Opens a customer account and signs it in.
pub(crate) async fn sign_up(
    db: &impl ConnectionTrait,
    tokens: &Tokens,
    email: String,
    password: String,
    name: String,
) -> Result<Session> {
    let new = NewUser {
        email,
        password,
        name,
        role: Role::Customer,
    };
    let user = create_user(db, new).await?;
    let token = tokens.issue(user.id, user.role)?;
    Ok(Session { token, user })
}

/// Signs in with email and password. A wrong email or password fails alike (BAD_USER_INPUT), so
/// the answer does not tell which emails have accounts.
pub(crate) async fn sign_in(
    db: &impl ConnectionTrait,
    tokens: &Tokens,
    email: &str,
    password: &str,
) -> Result<Session> {
    let user = authenticate(db, email, password).await?;
    let token = tokens.issue(user.id, user.role)?;
    Ok(Session { token, user })
}
