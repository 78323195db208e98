//! Folio's one error type. Each variant maps to one `extensions.code` of the client contract. Domain
//! variants carry a message meant for the user; infrastructure failures (`Internal`) are logged with
//! their cause here, in one place, and reach the client only as a generic INTERNAL_SERVER_ERROR, so
//! that no SQL, path or stack trace ever leaks.
use async_graphql::ErrorExtensions;

/// Every way a Folio operation can fail, as the client sees it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("sign in to do this")]
    Unauthenticated,
    #[error("your token is invalid or expired; sign in again")]
    InvalidToken,
    #[error("you are not allowed to do this")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{field}: {message}")]
    BadUserInput { field: String, message: String },
    #[error("only {available} available")]
    OutOfStock { available: i64 },
    #[error("{0}")]
    Conflict(String),
    #[error("this idempotency key was already used for a different request")]
    IdempotencyConflict,
    #[error("the payment was declined")]
    PaymentDeclined,
    #[error("too many requests; retry in {retry_after} s")]
    RateLimited { retry_after: u64 },
    #[error("{0}")]
    QueryTooComplex(String),
    #[error("internal server error")]
    Internal(#[source] anyhow::Error),
    /// A message stream could not catch up (its database was unreachable) and ended; the client
    /// resubscribes with `afterSeq` to miss nothing.
    #[error("the stream was interrupted; subscribe again with afterSeq: {resume_after_seq}")]
    StreamInterrupted { resume_after_seq: i64 },
    /// A live stream could not recover from a gap (its database was unreachable) and ended rather
    /// than go on with a hole; subscribing again starts from what is true now.
    #[error("the stream was interrupted; subscribe again")]
    Interrupted,
}

/// Shorthand for results of services.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A BAD_USER_INPUT error naming the offending field.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Wraps any infrastructure failure; its cause is logged, never sent.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Error::Internal(cause.into())
    }

    /// The contract's `extensions.code` for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthenticated | Error::InvalidToken => "UNAUTHENTICATED",
            Error::Forbidden => "FORBIDDEN",
            Error::NotFound(_) => "NOT_FOUND",
            Error::BadUserInput { .. } => "BAD_USER_INPUT",
            Error::OutOfStock { .. } => "OUT_OF_STOCK",
            Error::Conflict(_) => "CONFLICT",
            Error::IdempotencyConflict => "IDEMPOTENCY_CONFLICT",
            Error::PaymentDeclined => "PAYMENT_DECLINED",
            Error::RateLimited { .. } => "RATE_LIMITED",
            Error::QueryTooComplex(_) => "QUERY_TOO_COMPLEX",
            Error::Internal(_) | Error::StreamInterrupted { .. } | Error::Interrupted => {
                "INTERNAL_SERVER_ERROR"
            }
        }
    }
}

impl From<sea_orm::DbErr> for Error {
    fn from(err: sea_orm::DbErr) -> Self {
        Error::internal(err)
    }
}

impl From<sea_orm::TransactionError<Error>> for Error {
    fn from(err: sea_orm::TransactionError<Error>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => Error::internal(db),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

impl ErrorExtensions for Error {
    fn extend(&self) -> async_graphql::Error {
        if let Error::Internal(cause) = self {
            tracing::error!(error = ?cause, "internal error");
        }
        async_graphql::Error::new(self.to_string()).extend_with(|_, ext| {
            ext.set("code", self.code());
            match self {
                Error::BadUserInput { field, .. } => ext.set("field", field.as_str()),
                Error::OutOfStock { available } => ext.set("available", *available),
                Error::RateLimited { retry_after } => ext.set("retryAfter", *retry_after),
                Error::StreamInterrupted { resume_after_seq } => {
                    ext.set("resumeAfterSeq", *resume_after_seq)
                }
                _ => {}
            }
        })
    }
}

/// Is this database error a violation of a unique constraint? The one place that knows how each
/// backend says so, so that services can turn a lost race into the right domain error.
pub fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_never_show_their_cause() {
        let err = Error::internal(anyhow::anyhow!("relation \"users\" does not exist"));
        let gql = err.extend();
        assert_eq!(gql.message, "internal server error");
        let ext = format!("{:?}", gql.extensions);
        assert!(ext.contains("INTERNAL_SERVER_ERROR"));
        assert!(!ext.contains("relation"));
    }

    #[test]
    fn an_interrupted_stream_says_where_to_resume() {
        let gql = Error::StreamInterrupted {
            resume_after_seq: 42,
        }
        .extend();
        assert!(gql.message.contains("afterSeq: 42"));
        let ext = format!("{:?}", gql.extensions);
        assert!(ext.contains("INTERNAL_SERVER_ERROR") && ext.contains("resumeAfterSeq"));
    }

    #[test]
    fn bad_input_names_the_field() {
        let gql = Error::bad_input("email", "is not an email address").extend();
        let ext = format!("{:?}", gql.extensions);
        assert!(ext.contains("BAD_USER_INPUT") && ext.contains("email"));
    }
}
