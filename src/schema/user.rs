//! The `User` type: the roles users have, and whether they are online.
use async_graphql::{ComplexObject, Context, Enum, ID, Result, ResultExt, SimpleObject};

use crate::entities::user;
use crate::error::Error;
use crate::loaders::gql_error;
use crate::presence::UserPresence;
use crate::schema::context::{loaders, viewer};

/// A user's role.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::viewer::Role")]
pub(crate) enum Role {
    /// Every signed-up user: browses, buys, chats.
    Customer,
    /// Manages the catalog and stock.
    Admin,
}

/// A person with an account.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(crate) struct User {
    /// Opaque identifier.
    pub(crate) id: ID,
    /// Display name.
    pub(crate) name: String,
    /// What the user may do.
    pub(crate) role: Role,
    #[graphql(skip)]
    pub(crate) email_private: String,
    #[graphql(skip)]
    pub(crate) disabled_private: bool,
    #[graphql(skip)]
    pub(crate) user_id: i64,
    /// Set when the user is the one who just signed in or up (their request carries no token yet).
    #[graphql(skip)]
    pub(crate) is_viewer: bool,
}

#[ComplexObject]
impl User {
    /// Sign-in email, lower-cased. Visible only to the user themselves and to admins; null otherwise.
    async fn email(&self, ctx: &Context<'_>) -> Option<String> {
        let viewer = viewer(ctx);
        let may_see = self.is_viewer || viewer.is(self.user_id) || viewer.is_admin();
        may_see.then(|| self.email_private.clone())
    }

    /// Whether an admin disabled the account. Visible only to the user themselves and to admins;
    /// null otherwise.
    async fn disabled(&self, ctx: &Context<'_>) -> Option<bool> {
        let viewer = viewer(ctx);
        let may_see = self.is_viewer || viewer.is(self.user_id) || viewer.is_admin();
        may_see.then_some(self.disabled_private)
    }

    /// Whether the user is online now.
    async fn presence(&self, ctx: &Context<'_>) -> Result<Presence> {
        let found = loaders(ctx)?
            .presence_of_user
            .load_one(self.user_id)
            .await
            .map_err(gql_error)?;
        Ok(found.map(Into::into).unwrap_or(Presence {
            status: PresenceStatus::Offline,
            last_seen_at: None,
        }))
    }
}

impl From<user::Model> for User {
    fn from(m: user::Model) -> Self {
        User {
            id: ID(m.id.to_string()),
            name: m.name,
            role: m.role.into(),
            email_private: m.email,
            disabled_private: m.disabled,
            user_id: m.id,
            is_viewer: false,
        }
    }
}

impl User {
    /// The user as shown to themselves right after signing in, before any token is sent.
    pub(crate) fn signed_in(m: user::Model) -> Self {
        User {
            is_viewer: true,
            ..User::from(m)
        }
    }
}

/// A user by id through the request's loader.
pub(crate) async fn load_user(ctx: &Context<'_>, user_id: i64) -> Result<User> {
    loaders(ctx)?
        .user_by_id
        .load_one(user_id)
        .await
        .map_err(gql_error)?
        .map(User::from)
        .ok_or(Error::NotFound("user"))
        .extend()
}

/// ONLINE or OFFLINE.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::status::PresenceStatus")]
pub(crate) enum PresenceStatus {
    /// Has at least one subscription connection open.
    Online,
    /// Has none (for longer than the grace period).
    Offline,
}

/// Whether a user is online.
#[derive(SimpleObject, Clone, Copy)]
pub(crate) struct Presence {
    /// ONLINE while the user has a subscription connection open on any instance; OFFLINE a short
    /// grace period after the last one closes (or after its instance stops answering).
    pub(crate) status: PresenceStatus,
    /// When the user was last online; null while online or if never seen.
    pub(crate) last_seen_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<UserPresence> for Presence {
    fn from(p: UserPresence) -> Self {
        Presence {
            status: p.status.into(),
            last_seen_at: p.last_seen_at,
        }
    }
}
