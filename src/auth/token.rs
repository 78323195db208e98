//! Signed, short-lived access tokens (HS256 JWTs) that name a user and the session they belong to.
//! The token proves who signed in and when it stops being good; whether the user may still act
//! (the session not revoked, the account not disabled, its role) is read from the database, through
//! `auth::Authenticator`'s short-lived cache.
use std::path::Path;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What a token says about its bearer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, as a string as JWT's `sub` wants.
    pub sub: String,
    /// The session (`sessions.id`) the token was issued for.
    pub sid: i64,
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

    /// When the token stops being good.
    pub fn expires_at(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(self.exp, 0).unwrap_or_default()
    }
}

/// A freshly issued access token and when it expires.
pub struct Issued {
    pub token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
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

    /// An access token for this user's session.
    pub fn issue(&self, user_id: i64, session_id: i64) -> Result<Issued> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            sid: session_id,
            iat: now,
            exp: now + self.ttl.as_secs() as i64,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(Error::internal)?;
        Ok(Issued {
            token,
            expires_at: claims.expires_at(),
        })
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
    fn a_token_carries_the_user_and_session() {
        let tokens = Tokens::new(b"secret", Duration::from_secs(60));
        let issued = tokens.issue(42, 7).unwrap();
        let claims = tokens.verify(&issued.token).unwrap();
        assert_eq!(claims.user_id(), 42);
        assert_eq!(claims.sid, 7);
        assert_eq!(claims.expires_at(), issued.expires_at);
    }

    #[test]
    fn a_token_signed_with_another_secret_is_rejected() {
        let ours = Tokens::new(b"secret", Duration::from_secs(60));
        let theirs = Tokens::new(b"other", Duration::from_secs(60));
        assert!(ours.verify(&theirs.issue(1, 1).unwrap().token).is_err());
    }

    #[test]
    fn an_expired_token_is_rejected() {
        let tokens = Tokens::new(b"secret", Duration::from_secs(60));
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: "1".into(),
            sid: 1,
            iat: now - 61,
            exp: now - 1,
        };
        let expired =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &tokens.encoding)
                .unwrap();
        assert!(tokens.verify(&expired).is_err());
    }

    #[test]
    fn the_generated_secret_is_kept_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let first = Tokens::from_config(None, dir.path(), Duration::from_secs(60)).unwrap();
        let second = Tokens::from_config(None, dir.path(), Duration::from_secs(60)).unwrap();
        assert!(second.verify(&first.issue(7, 1).unwrap().token).is_ok());
    }
}
