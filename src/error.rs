//! Folio's one error type. Each variant maps to one `extensions.code` of the client contract. Domain
//! variants carry a message meant for the user; infrastructure failures (`Internal`) keep their
//! cause for the log and reach the client only as a generic INTERNAL_SERVER_ERROR, so that no SQL,
//! path or stack trace ever leaks. How an error becomes a GraphQL error (and where an internal one
//! is logged, once) is `schema::error_codes`; nothing here knows GraphQL.

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
    /// A limit on how many run at once (operations on a connection): it frees when one ends.
    #[error("at most {limit} {what} at once; end one first")]
    TooManyAtOnce { what: &'static str, limit: usize },
    #[error("{0}")]
    QueryTooComplex(String),
    /// An automatic persisted query's hash the server does not know; the client sends the query
    /// with it next. The message is the one Apollo's clients look for.
    #[error("PersistedQueryNotFound")]
    PersistedQueryNotFound,
    /// Safelist mode, and the document is not on the list.
    #[error("this operation is not on the server's list of allowed operations")]
    OperationNotAllowed,
    #[error("internal server error")]
    Internal(#[source] anyhow::Error),
    /// A live stream could not read what it needed (its database was unreachable) and ended rather
    /// than go on with a hole. A message stream says from which seq to resume (`afterSeq` misses
    /// nothing); the others start again from what is true now.
    #[error("{}", interrupted(*.resume_after_seq))]
    StreamInterrupted { resume_after_seq: Option<i64> },
}

fn interrupted(resume_after_seq: Option<i64>) -> String {
    match resume_after_seq {
        Some(seq) => format!("the stream was interrupted; subscribe again with afterSeq: {seq}"),
        None => "the stream was interrupted; subscribe again".to_owned(),
    }
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
            Error::RateLimited { .. } | Error::TooManyAtOnce { .. } => "RATE_LIMITED",
            Error::QueryTooComplex(_) => "QUERY_TOO_COMPLEX",
            Error::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Error::OperationNotAllowed => "OPERATION_NOT_ALLOWED",
            Error::Internal(_) | Error::StreamInterrupted { .. } => "INTERNAL_SERVER_ERROR",
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

/// Is this database error a violation of a unique constraint? The one place that knows how each
/// backend says so, so that services can turn a lost race into the right domain error.
pub fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
