//! `me`, and the session's mutations: `signUp`, `signIn`, `refreshSession`, `signOut`,
//! `reauthenticate`, and the admins' `setUserDisabled`.
use async_graphql::{Context, ID, Object, Result, ResultExt};

use crate::domain::id::parse_id;
use crate::domain::viewer::Viewer;
use crate::error::Error;
use crate::schema::context::{client_ip, session as token_session, socket_identity, state, viewer};
use crate::schema::guard::{AdminGuard, SignedInGuard};
use crate::schema::session::{AuthPayload, Reauthenticated, SignInInput, SignUpInput};
use crate::schema::user::User;
use crate::services::accounts::session::{self, Issuer, Scope};
use crate::services::accounts::user;
use crate::state::AppState;

/// What the state issues tokens with.
fn issuer(state: &AppState) -> Issuer<'_> {
    Issuer {
        tokens: &state.tokens,
        refresh_ttl: state.config.refresh_ttl,
    }
}

/// Who is signed in.
#[derive(Default)]
pub(crate) struct SessionQuery;

#[Object]
impl SessionQuery {
    /// The signed-in user; null without a token. An invalid or expired token fails with
    /// UNAUTHENTICATED, so the client knows to sign in again.
    // Never in a shared cache, even as the anonymous null.
    #[graphql(cache_control(no_cache))]
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let id = match viewer(ctx) {
            Viewer::Anonymous => return Ok(None),
            other => other.user_id().extend()?,
        };
        user::find_user(&state(ctx)?.db, id)
            .await
            // The account was deleted since its session was last checked.
            .map_err(|err| match err {
                Error::NotFound(_) => Error::InvalidToken,
                other => other,
            })
            .map(|user| Some(user.into()))
            .extend()
    }
}

/// Signing up and in.
#[derive(Default)]
pub(crate) struct SessionMutation;

#[Object]
impl SessionMutation {
    /// Opens a customer account and signs it in. BAD_USER_INPUT (with `extensions.field`) for an
    /// invalid or taken email, a password under 8 characters or an empty name.
    async fn sign_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new account's email, password and name.")] input: SignUpInput,
    ) -> Result<AuthPayload> {
        let state = state(ctx)?;
        let ip = client_ip(ctx);
        state.limiter.sign_up_attempt(ip).await.extend()?;
        let signed_in = session::sign_up(
            &state.db,
            &issuer(state),
            input.email,
            input.password,
            input.name,
        )
        .await;
        if signed_in.is_err() {
            state.limiter.sign_up_failed(ip).await;
        }
        signed_in.map(AuthPayload::from).extend()
    }

    /// Signs in with email and password. A wrong email or password fails with BAD_USER_INPUT, the same
    /// for both, so the answer does not reveal which emails have accounts; a disabled account fails
    /// with FORBIDDEN.
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's email and password.")] input: SignInInput,
    ) -> Result<AuthPayload> {
        let state = state(ctx)?;
        let ip = client_ip(ctx);
        state
            .limiter
            .sign_in_attempt(&input.email, ip)
            .await
            .extend()?;
        let signed_in =
            session::sign_in(&state.db, &issuer(state), &input.email, &input.password).await;
        if signed_in.is_ok() {
            state.limiter.sign_in_succeeded(&input.email, ip).await;
        }
        signed_in.map(AuthPayload::from).extend()
    }

    /// Trades a refresh token for a new access token and refresh token. A refresh token works once:
    /// an unknown, expired or spent one fails with UNAUTHENTICATED, and a spent one also ends its
    /// session everywhere (someone else holds a copy).
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The refresh token of the last sign-in or refresh.")]
        refresh_token: String,
    ) -> Result<AuthPayload> {
        let state = state(ctx)?;
        session::refresh(&state.db, &state.auth, &issuer(state), &refresh_token)
            .await
            .map(AuthPayload::from)
            .extend()
    }

    /// Ends the viewer's current session, or every session of theirs with `everywhere: true`. Their
    /// tokens stop working on every instance within seconds, and sockets carrying them are closed
    /// with 4403. True once done.
    #[graphql(guard = "SignedInGuard")]
    async fn sign_out(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "End every session of the viewer, not only this one.")] everywhere: Option<
            bool,
        >,
    ) -> Result<bool> {
        let state = state(ctx)?;
        let current = token_session(ctx).ok_or(Error::Unauthenticated).extend()?;
        let scope = if everywhere.unwrap_or(false) {
            Scope::User(current.user_id)
        } else {
            Scope::Session(current.id)
        };
        session::revoke(&state.db, &state.auth, scope)
            .await
            .extend()?;
        Ok(true)
    }

    /// Over a WebSocket: the connection, and every subscription on it, carries on under this newer
    /// token of the same user, until the new token's `expiresAt` (send it before the old one
    /// expires). Another user's token is FORBIDDEN; an invalid one UNAUTHENTICATED. Over HTTP it
    /// only checks the token.
    async fn reauthenticate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A newer access token of the same user.")] token: String,
    ) -> Result<Reauthenticated> {
        let state = state(ctx)?;
        let identity = state.auth.check(&token).await.extend()?;
        let Some(new_session) = identity.session else {
            return Err(Error::InvalidToken).extend();
        };
        if let Some(socket) = socket_identity(ctx) {
            if !viewer(ctx).is(new_session.user_id) {
                return Err(Error::Forbidden).extend();
            }
            socket.0.send_replace(Some(identity));
        }
        Ok(Reauthenticated {
            expires_at: new_session.expires_at,
        })
    }

    /// ADMIN only. Disables (or enables again) an account. Disabling ends the user's sessions at
    /// once on every instance and closes their sockets; signing in fails with FORBIDDEN until the
    /// account is enabled again. An admin cannot disable their own account (BAD_USER_INPUT).
    #[graphql(guard = "AdminGuard")]
    async fn set_user_disabled(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's id.")] user_id: ID,
        #[graphql(desc = "True to disable, false to enable again.")] disabled: bool,
    ) -> Result<User> {
        let state = state(ctx)?;
        let admin_id = viewer(ctx).user_id().extend()?;
        let user_id = parse_id("userId", &user_id).extend()?;
        session::set_user_disabled(&state.db, &state.auth, admin_id, user_id, disabled)
            .await
            .map(User::from)
            .extend()
    }
}
