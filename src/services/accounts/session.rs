//! Sessions: signing up and in, refreshing, signing out. A sign-in opens a session and answers with
//! a short-lived access token that names it and a refresh token. Refresh tokens rotate: each works
//! once and is traded for a new pair; presenting a spent one means two parties hold it, so the whole
//! session ends (the refresh token reuse detection of OAuth 2.0 Security BCP, section 4.14).
use base64::Engine;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
    sea_query::{Expr, Query},
};

use crate::auth::{Authenticator, Revocation, Tokens};
use crate::domain::digest::sha256_hex;
use crate::domain::viewer::Role;
use crate::entities::{refresh_token, session, user};
use crate::error::{Error, Result};
use crate::services::accounts::user::{NewUser, authenticate, create_user};

/// What a session's tokens are issued with: the signer, and how long a refresh token lasts.
pub(crate) struct Issuer<'a> {
    pub(crate) tokens: &'a Tokens,
    pub(crate) refresh_ttl: std::time::Duration,
}

/// A signed-in user and their tokens: the access token to send as `Authorization: Bearer <token>`
/// until `expires_at`, and the refresh token to trade for the next pair.
pub(crate) struct Session {
    pub(crate) token: String,
    pub(crate) refresh_token: String,
    pub(crate) expires_at: chrono::DateTime<chrono::Utc>,
    pub(crate) user: user::Model,
}

/// Opens a customer account and signs it in.
pub(crate) async fn sign_up(
    db: &DatabaseConnection,
    issuer: &Issuer<'_>,
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
    open_session(db, issuer, user).await
}

/// Signs in with email and password. A wrong email or password fails alike (BAD_USER_INPUT), so
/// the answer does not tell which emails have accounts; a disabled account, once the password is
/// right, is FORBIDDEN.
pub(crate) async fn sign_in(
    db: &DatabaseConnection,
    issuer: &Issuer<'_>,
    email: &str,
    password: &str,
) -> Result<Session> {
    let user = authenticate(db, email, password).await?;
    if user.disabled {
        return Err(Error::Forbidden);
    }
    open_session(db, issuer, user).await
}

/// Opens a session for `user`: its row, its first refresh token, its first access token.
async fn open_session(
    db: &DatabaseConnection,
    issuer: &Issuer<'_>,
    user: user::Model,
) -> Result<Session> {
    let now = chrono::Utc::now();
    let txn = db.begin().await?;
    let session = session::ActiveModel {
        user_id: Set(user.id),
        created_at: Set(now),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let refresh_token = store_refresh_token(&txn, issuer, session.id).await?;
    txn.commit().await?;
    let issued = issuer.tokens.issue(user.id, session.id)?;
    Ok(Session {
        token: issued.token,
        refresh_token,
        expires_at: issued.expires_at,
        user,
    })
}

/// Trades a refresh token for a new access token and refresh token. An unknown, expired or spent
/// token is UNAUTHENTICATED; a spent one also ends its session, on every instance.
pub(crate) async fn refresh(
    db: &DatabaseConnection,
    auth: &Authenticator,
    issuer: &Issuer<'_>,
    presented: &str,
) -> Result<Session> {
    let hash = hash_refresh_token(presented);
    let found = refresh_token::Entity::find_by_id(hash.clone())
        .one(db)
        .await?;
    let Some(found) = found else {
        return Err(Error::InvalidToken);
    };
    if found.expires_at <= chrono::Utc::now() {
        return Err(Error::InvalidToken);
    }
    let txn = db.begin().await?;
    // Spent only if still unspent: of two requests racing with one token, one wins.
    let spent = refresh_token::Entity::update_many()
        .col_expr(
            refresh_token::Column::SpentAt,
            Expr::value(chrono::Utc::now()),
        )
        .filter(refresh_token::Column::Hash.eq(hash))
        .filter(refresh_token::Column::SpentAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected == 0 {
        txn.rollback().await?;
        tracing::warn!(
            session = found.session_id,
            "a spent refresh token was presented again; the session ends"
        );
        revoke(db, auth, Scope::Session(found.session_id)).await?;
        return Err(Error::InvalidToken);
    }
    let session = session::Entity::find_by_id(found.session_id)
        .one(&txn)
        .await?;
    let user = match session {
        Some(s) if s.revoked_at.is_none() => user::Entity::find_by_id(s.user_id).one(&txn).await?,
        _ => None,
    };
    let Some(user) = user.filter(|u| !u.disabled) else {
        txn.rollback().await?;
        return Err(Error::InvalidToken);
    };
    let refresh_token = store_refresh_token(&txn, issuer, found.session_id).await?;
    txn.commit().await?;
    let issued = issuer.tokens.issue(user.id, found.session_id)?;
    Ok(Session {
        token: issued.token,
        refresh_token,
        expires_at: issued.expires_at,
        user,
    })
}

/// Which sessions a revocation ends.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scope {
    /// One session.
    Session(i64),
    /// Every session of a user.
    User(i64),
}

/// Ends sessions: their tokens stop working and their sockets close, on every instance.
pub(crate) async fn revoke(
    db: &impl ConnectionTrait,
    auth: &Authenticator,
    scope: Scope,
) -> Result<()> {
    let (column, id, revocation) = match scope {
        Scope::Session(id) => (session::Column::Id, id, Revocation::Session(id)),
        Scope::User(id) => (session::Column::UserId, id, Revocation::User(id)),
    };
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(chrono::Utc::now()))
        .filter(column.eq(id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    auth.announce(revocation).await;
    Ok(())
}

/// Forgets refresh tokens past their expiry (spent ones are kept until then, to recognise reuse),
/// then the sessions left with none: no token of theirs can be refreshed any more, and their access
/// tokens, far shorter-lived, have expired. Returns how many rows went.
pub(crate) async fn prune_sessions(db: &impl ConnectionTrait) -> Result<u64> {
    let tokens = refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::ExpiresAt.lt(chrono::Utc::now()))
        .exec(db)
        .await?;
    if tokens.rows_affected == 0 {
        return Ok(0);
    }
    let with_tokens = Query::select()
        .column(refresh_token::Column::SessionId)
        .from(refresh_token::Entity)
        .to_owned();
    let sessions = session::Entity::delete_many()
        .filter(session::Column::Id.not_in_subquery(with_tokens))
        .exec(db)
        .await?;
    Ok(tokens.rows_affected + sessions.rows_affected)
}

/// A new random refresh token for `session_id`, stored by its hash; returns the token itself.
async fn store_refresh_token(
    db: &impl ConnectionTrait,
    issuer: &Issuer<'_>,
    session_id: i64,
) -> Result<String> {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let now = chrono::Utc::now();
    let ttl = chrono::Duration::from_std(issuer.refresh_ttl).map_err(Error::internal)?;
    refresh_token::ActiveModel {
        hash: Set(hash_refresh_token(&token)),
        session_id: Set(session_id),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        spent_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// A refresh token's SHA-256 in hex. The tokens are 256 random bits, so a fast hash is enough: what
/// the table holds cannot be turned back into a token.
fn hash_refresh_token(token: &str) -> String {
    sha256_hex(token)
}

/// An admin disables (or re-enables) an account. Disabling ends every session of the user at once,
/// on every instance, and signing in fails until the account is enabled again. An admin cannot
/// disable their own account (it could leave the store with no admin).
pub(crate) async fn set_user_disabled(
    db: &DatabaseConnection,
    auth: &Authenticator,
    admin_id: i64,
    user_id: i64,
    disabled: bool,
) -> Result<user::Model> {
    if disabled && admin_id == user_id {
        return Err(Error::bad_input(
            "userId",
            "you cannot disable your own account",
        ));
    }
    let found = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("user"))?;
    let mut row: user::ActiveModel = found.into();
    row.disabled = Set(disabled);
    let user = row.update(db).await?;
    if disabled {
        revoke(db, auth, Scope::User(user_id)).await?;
    }
    Ok(user)
}
