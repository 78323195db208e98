//! Who is asking, proven: password hashing, and the signed tokens that carry a user's id and role.
mod password;
mod token;

pub use password::{hash_password, verify_password};
pub use token::{Claims, Tokens};

use crate::domain::viewer::Viewer;

/// The viewer an `Authorization` value names (`Bearer <token>`, or the bare token): anonymous
/// without one, `InvalidToken` for one that is forged or expired.
pub fn viewer_from_authorization(tokens: &Tokens, value: Option<&str>) -> Viewer {
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
