//! The `User` type and the account inputs and payloads.
use async_graphql::{ComplexObject, Context, ID, InputObject, SimpleObject};

use crate::auth::{Role, Viewer};
use crate::entities::user;

/// A person with an account.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct User {
    /// Opaque identifier.
    pub id: ID,
    /// Display name.
    pub name: String,
    /// What the user may do.
    pub role: Role,
    #[graphql(skip)]
    pub email_private: String,
    #[graphql(skip)]
    pub user_id: i64,
    /// Set when the user is the one who just signed in or up (their request carries no token yet).
    #[graphql(skip)]
    pub is_viewer: bool,
}

#[ComplexObject]
impl User {
    /// Sign-in email, lower-cased. Visible only to the user themselves and to admins; null otherwise.
    async fn email(&self, ctx: &Context<'_>) -> Option<String> {
        let viewer = ctx.data_opt::<Viewer>().cloned().unwrap_or_default();
        let is_self =
            self.is_viewer || matches!(viewer, Viewer::User { id, .. } if id == self.user_id);
        (is_self || viewer.is_admin()).then(|| self.email_private.clone())
    }

    /// Whether the user is online now.
    async fn presence(&self, ctx: &Context<'_>) -> async_graphql::Result<crate::schema::Presence> {
        let found = ctx
            .data_unchecked::<crate::loaders::Loaders>()
            .presence_of_user
            .load_one(self.user_id)
            .await
            .map_err(crate::loaders::gql_error)?;
        Ok(found.map(Into::into).unwrap_or(crate::schema::Presence {
            status: crate::presence::PresenceStatus::Offline,
            last_seen_at: None,
        }))
    }
}

impl From<user::Model> for User {
    fn from(m: user::Model) -> Self {
        User {
            id: ID(m.id.to_string()),
            name: m.name,
            role: Role::from_db(&m.role),
            email_private: m.email,
            user_id: m.id,
            is_viewer: false,
        }
    }
}

impl User {
    /// The user as shown to themselves right after signing in, before any token is sent.
    pub fn signed_in(m: user::Model) -> Self {
        User {
            is_viewer: true,
            ..User::from(m)
        }
    }
}

/// A signed-in session: the token to send as `Authorization: Bearer <token>`, and its user.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Signed token, valid for 24 hours by default.
    pub token: String,
    /// The signed-in user.
    pub user: User,
}

/// What it takes to open an account.
#[derive(InputObject)]
pub struct SignUpInput {
    /// Email to sign in with; unique regardless of letter case.
    pub email: String,
    /// At least 8 characters.
    pub password: String,
    /// Display name shown to others, 1..100 characters.
    pub name: String,
}

/// Credentials of an existing account.
#[derive(InputObject)]
pub struct SignInInput {
    /// The account's email, in any letter case.
    pub email: String,
    /// The account's password.
    pub password: String,
}
