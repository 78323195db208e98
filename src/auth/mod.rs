//! Who is asking: password hashing, signed tokens, the `Viewer` each request carries, and the guards
//! resolvers put in front of fields.
mod guard;
mod password;
mod token;

pub use guard::{AdminGuard, SignedInGuard};
pub use password::{hash_password, verify_password};
pub use token::{Claims, Tokens};

use crate::error::{Error, Result};

/// A user's role.
#[derive(
    async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// Every signed-up user: browses, buys, chats.
    Customer,
    /// Manages the catalog and stock.
    Admin,
}

impl Role {
    /// How the role is stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "CUSTOMER",
            Role::Admin => "ADMIN",
        }
    }

    /// Reads a stored role; anything unknown is the least privileged role.
    pub fn from_db(value: &str) -> Self {
        match value {
            "ADMIN" => Role::Admin,
            _ => Role::Customer,
        }
    }
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
    /// Reads an `Authorization` value (`Bearer <token>`, or the bare token).
    pub fn from_authorization(tokens: &Tokens, value: Option<&str>) -> Viewer {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Viewer::Anonymous;
        };
        let token = match value.split_once(' ') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
            _ => value,
        };
        match tokens.verify(token) {
            Ok(claims) => Viewer::User {
                id: claims.user_id(),
                role: claims.role,
            },
            Err(_) => Viewer::InvalidToken,
        }
    }

    /// The signed-in user's id, or UNAUTHENTICATED.
    pub fn user_id(&self) -> Result<i64> {
        match self {
            Viewer::User { id, .. } => Ok(*id),
            Viewer::InvalidToken => Err(Error::InvalidToken),
            Viewer::Anonymous => Err(Error::Unauthenticated),
        }
    }

    /// Whether this viewer is a signed-in admin.
    pub fn is_admin(&self) -> bool {
        matches!(
            self,
            Viewer::User {
                role: Role::Admin,
                ..
            }
        )
    }
}
