//! `signUp`, `signIn` and `me`.
use async_graphql::{Context, Object, Result, ResultExt};

use super::{state, viewer};
use crate::auth::{Role, Viewer};
use crate::schema::{AuthPayload, SignInInput, SignUpInput, User};
use crate::services::account::{self, NewUser};

/// Account queries.
#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in user; null without a token. An invalid or expired token fails with
    /// UNAUTHENTICATED, so the client knows to sign in again.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let id = match viewer(ctx) {
            Viewer::Anonymous => return Ok(None),
            other => other.user_id().extend()?,
        };
        match account::find_user(&state(ctx).db, id).await {
            Ok(user) => Ok(Some(user.into())),
            // The account was deleted after the token was issued.
            Err(crate::error::Error::NotFound(_)) => Ok(None),
            Err(err) => Err(err).extend(),
        }
    }
}

/// Account mutations.
#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Opens a customer account and signs it in. BAD_USER_INPUT (with `extensions.field`) for an
    /// invalid or taken email, a password under 8 characters or an empty name.
    async fn sign_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new account's email, password and name.")] input: SignUpInput,
    ) -> Result<AuthPayload> {
        let state = state(ctx);
        let new = NewUser {
            email: input.email,
            password: input.password,
            name: input.name,
            role: Role::Customer,
        };
        let user = account::create_user(&state.db, new).await.extend()?;
        let token = state.tokens.issue(user.id, Role::Customer).extend()?;
        Ok(AuthPayload {
            token,
            user: User::signed_in(user),
        })
    }

    /// Signs in with email and password. A wrong email or password fails with BAD_USER_INPUT, the same
    /// for both, so the answer does not reveal which emails have accounts.
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's email and password.")] input: SignInInput,
    ) -> Result<AuthPayload> {
        let state = state(ctx);
        let user = account::authenticate(&state.db, &input.email, &input.password)
            .await
            .extend()?;
        let token = state
            .tokens
            .issue(user.id, Role::from_db(&user.role))
            .extend()?;
        Ok(AuthPayload {
            token,
            user: User::signed_in(user),
        })
    }
}
