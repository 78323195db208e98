//! Every error leaves with an `extensions.code`, on every transport. Errors raised by Folio's code
//! carry theirs already (`crate::error`). Of the rest:
//! - what the parser or the validator refuses is the client's document: BAD_USER_INPUT, except a
//!   document nested past the parser's recursion limit, which is QUERY_TOO_COMPLEX like every other
//!   limit (`schema::limits`);
//! - the few request-level errors that are the client's doing (an unknown operation name, a
//!   subscription over plain HTTP) are BAD_USER_INPUT too;
//! - anything else without a code is a bug of Folio's (a forgotten `.extend()`, a missing context
//!   value, an extension's failure): its message may say anything, so it is logged and the client
//!   sees only INTERNAL_SERVER_ERROR, never its text and never a blame that is not theirs.
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextSubscribe,
    NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{
    ErrorExtensions, Response, ServerError, ServerResult, ValidationResult, Variables,
};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::error::Error;

/// A Folio error as the client sees it: its message (generic for an internal one, whose cause is
/// logged here, in one place), its `code` and what the code promises (`field`, `available`,
/// `retryAfter`, `resumeAfterSeq`).
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
                // Nothing to wait for but one of the others to end: a second is as good a guess
                // as any, and keeps `retryAfter` on every RATE_LIMITED.
                Error::TooManyAtOnce { .. } => ext.set("retryAfter", 1),
                Error::StreamInterrupted {
                    resume_after_seq: Some(seq),
                } => ext.set("resumeAfterSeq", *seq),
                _ => {}
            }
        })
    }
}

/// Request-level errors (no field path) that are the client's doing: the operation it named or
/// failed to name, a subscription sent where only queries and mutations run. Parse and validation
/// errors are coded as they happen; any other error without a code is Folio's.
const CLIENT_REQUEST_ERRORS: &[&str] = &[
    "Unknown operation named",
    "Operation name required",
    "Subscriptions are not supported on this transport",
];

/// The extension that codes every error.
pub(crate) struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

fn has_code(error: &ServerError) -> bool {
    error
        .extensions
        .as_ref()
        .is_some_and(|ext| ext.get("code").is_some())
}

fn set_code(mut error: ServerError, code: &'static str) -> ServerError {
    if !has_code(&error) {
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
    }
    error
}

/// Codes what is left without one once the operation ran (see the module's docs).
fn code_the_rest(mut response: Response) -> Response {
    for error in std::mem::take(&mut response.errors) {
        let clients_doing = error.path.is_empty()
            && CLIENT_REQUEST_ERRORS
                .iter()
                .any(|known| error.message.starts_with(known));
        let error = if has_code(&error) {
            error
        } else if clients_doing {
            set_code(error, "BAD_USER_INPUT")
        } else {
            tracing::error!(error = %error.message, path = ?error.path, "an error without a code");
            let mut hidden = ServerError::new("internal server error", None);
            hidden.locations = error.locations;
            hidden.path = error.path;
            set_code(hidden, "INTERNAL_SERVER_ERROR")
        };
        response.errors.push(error);
    }
    response
}

#[async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables).await.map_err(|error| {
            let too_deep = error.message.to_lowercase().contains("recursion");
            set_code(
                error,
                if too_deep {
                    "QUERY_TOO_COMPLEX"
                } else {
                    "BAD_USER_INPUT"
                },
            )
        })
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|error| set_code(error, "BAD_USER_INPUT"))
                .collect()
        })
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        code_the_rest(next.run(ctx).await)
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        next.run(ctx, stream).map(code_the_rest).boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response_with(error: ServerError) -> Response {
        let mut response = Response::new(async_graphql::Value::Null);
        response.errors.push(error);
        response
    }

    #[test]
    fn an_uncoded_error_under_a_field_is_internal_and_says_nothing_of_itself() {
        let mut leaked = ServerError::new("relation \"users\" does not exist", None);
        leaked.path = vec![async_graphql::PathSegment::Field("me".into())];
        let coded = code_the_rest(response_with(leaked));
        let error = &coded.errors[0];
        assert_eq!(error.message, "internal server error");
        let ext = format!("{:?}", error.extensions);
        assert!(ext.contains("INTERNAL_SERVER_ERROR"));
        assert!(!ext.contains("relation"));
    }

    #[test]
    fn an_uncoded_request_error_is_the_clients_input() {
        let unknown = ServerError::new("Unknown operation named \"B\"", None);
        let coded = code_the_rest(response_with(unknown));
        assert!(format!("{:?}", coded.errors[0].extensions).contains("BAD_USER_INPUT"));
        assert!(coded.errors[0].message.contains("Unknown operation"));
    }

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
            resume_after_seq: Some(42),
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

    #[test]
    fn an_uncoded_error_without_a_path_is_still_folios_unless_known() {
        let strange = ServerError::new("extension exploded: /etc/secret", None);
        let coded = code_the_rest(response_with(strange));
        assert_eq!(coded.errors[0].message, "internal server error");
        assert!(format!("{:?}", coded.errors[0].extensions).contains("INTERNAL_SERVER_ERROR"));
    }
}
