//! Signed, expiring tokens (HS256 JWTs) that carry the user id and role.
use std::path::Path;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::domain::viewer::Role;
use crate::error::{Error, Result};

/// What a token says about its bearer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, as a string as JWT's `sub` wants.
    pub sub: String,
    /// The role when the token was issued.
    pub role: Role,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
}

impl Claims {
    /// The user id in `sub` (tokens are only ever issued with a numeric one).
    pub fn user_id(&self) -> i64 {
        self.sub.parse().unwrap_or(-1)
    }
}

/// Issues and checks tokens with one secret.
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
}

impl Tokens {
    /// Tokens signed with `secret` and valid for `ttl`.
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        Tokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl,
        }
    }

    /// Uses the configured secret, or else the one kept in `data_dir/jwt-secret`, creating it on first
    /// use so that tokens survive a restart.
    pub fn from_config(
        secret: Option<&str>,
        data_dir: &Path,
        ttl: Duration,
    ) -> anyhow::Result<Self> {
        if let Some(secret) = secret {
            return Ok(Tokens::new(secret.as_bytes(), ttl));
        }
        let path = data_dir.join("jwt-secret");
        let secret = match std::fs::read_to_string(&path) {
            Ok(s) if !s.trim().is_empty() => s.trim().to_owned(),
            _ => {
                let mut bytes = [0u8; 32];
                rand::rng().fill_bytes(&mut bytes);
                let s: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                std::fs::create_dir_all(data_dir)?;
                write_private(&path, &s)?;
                s
            }
        };
        Ok(Tokens::new(secret.as_bytes(), ttl))
    }

    /// A token for this user.
    pub fn issue(&self, user_id: i64, role: Role) -> Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            role,
            iat: now,
            exp: now + self.ttl.as_secs() as i64,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(Error::internal)
    }

    /// The claims of a valid, unexpired token.
    pub fn verify(&self, token: &str) -> Result<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|_| Error::InvalidToken)
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_carries_the_user_and_role() {
        let tokens = Tokens::new(b"secret", Duration::from_secs(60));
        let claims = tokens
            .verify(&tokens.issue(42, Role::Admin).unwrap())
            .unwrap();
        assert_eq!(claims.user_id(), 42);
        assert_eq!(claims.role, Role::Admin);
    }

    #[test]
    fn a_token_signed_with_another_secret_is_rejected() {
        let ours = Tokens::new(b"secret", Duration::from_secs(60));
        let theirs = Tokens::new(b"other", Duration::from_secs(60));
        assert!(ours.verify(&theirs.issue(1, Role::Admin).unwrap()).is_err());
    }

    #[test]
    fn an_expired_token_is_rejected() {
        let tokens = Tokens::new(b"secret", Duration::from_secs(0));
        let token = tokens.issue(1, Role::Customer).unwrap();
        std::thread::sleep(Duration::from_millis(1100));
        assert!(tokens.verify(&token).is_err());
    }

    #[test]
    fn the_generated_secret_is_kept_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let first = Tokens::from_config(None, dir.path(), Duration::from_secs(60)).unwrap();
        let second = Tokens::from_config(None, dir.path(), Duration::from_secs(60)).unwrap();
        assert!(
            second
                .verify(&first.issue(7, Role::Customer).unwrap())
                .is_ok()
        );
    }
}
