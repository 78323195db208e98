//! Who is asking: the viewer every request and connection carries, and the roles users have.
use sea_orm::entity::prelude::*;

use crate::error::{Error, Result};

/// A user's role, stored on the user.
#[derive(
    Copy,
    Clone,
    Debug,
    PartialEq,
    Eq,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// Every signed-up user: browses, buys, chats.
    #[sea_orm(string_value = "CUSTOMER")]
    Customer,
    /// Manages the catalog and stock.
    #[sea_orm(string_value = "ADMIN")]
    Admin,
}

/// The identity behind a request or a WebSocket connection.
#[derive(Clone, Debug, Default)]
pub enum Viewer {
    /// No token was sent.
    #[default]
    Anonymous,
    /// A token was sent but it is invalid or expired.
    InvalidToken,
    /// A valid token.
    User { id: i64, role: Role },
}

impl Viewer {
    /// The signed-in user's id, or UNAUTHENTICATED.
    pub(crate) fn user_id(&self) -> Result<i64> {
        match self {
            Viewer::User { id, .. } => Ok(*id),
            Viewer::InvalidToken => Err(Error::InvalidToken),
            Viewer::Anonymous => Err(Error::Unauthenticated),
        }
    }

    /// Whether this viewer is a signed-in admin.
    pub(crate) fn is_admin(&self) -> bool {
        matches!(
            self,
            Viewer::User {
                role: Role::Admin,
                ..
            }
        )
    }

    /// Whether this viewer is the user `user_id`.
    pub(crate) fn is(&self, user_id: i64) -> bool {
        matches!(self, Viewer::User { id, .. } if *id == user_id)
    }
}
