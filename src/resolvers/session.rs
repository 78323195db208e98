//! `me`, `signUp` and `signIn`.
use async_graphql::{Context, Object, Result, ResultExt};

use crate::domain::viewer::Viewer;
use crate::error::Error;
use crate::schema::context::{client_ip, state, viewer};
use crate::schema::session::{AuthPayload, SignInInput, SignUpInput};
use crate::schema::user::User;
use crate::services::accounts::{session, user};

/// Who is signed in.
#[derive(Default)]
pub(crate) struct SessionQuery;

#[Object]
impl SessionQuery {
    /// The signed-in user; null without a token. An invalid or expired token fails with
    /// UNAUTHENTICATED, so the client knows to sign in again.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let id = match viewer(ctx) {
            Viewer::Anonymous => return Ok(None),
            other => other.user_id().extend()?,
        };
        match user::find_user(&state(ctx)?.db, id).await {
            Ok(user) => Ok(Some(user.into())),
            // The account was deleted after the token was issued.
            Err(Error::NotFound(_)) => Ok(None),
            Err(err) => Err(err).extend(),
        }
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
            &state.tokens,
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
    /// for both, so the answer does not reveal which emails have accounts.
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
            session::sign_in(&state.db, &state.tokens, &input.email, &input.password).await;
        if signed_in.is_ok() {
            state.limiter.sign_in_succeeded(&input.email, ip).await;
        }
        signed_in.map(AuthPayload::from).extend()
    }
}
