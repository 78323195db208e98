//! Every error leaves with an `extensions.code`, on every transport. Errors raised by Folio's code
//! carry theirs already (`crate::error`). Of the rest:
//! - what the parser or the validator refuses is the client's document: BAD_USER_INPUT, except a
//!   document nested past the parser's recursion limit, which is QUERY_TOO_COMPLEX like every other
//!   limit (`schema::limits`);
//! - a request-level error with no field path (an unknown operation name) is the client's too;
//! - an error raised under a field without a code is a bug of Folio's (a forgotten `.extend()`, a
//!   missing context value): its message may say anything, so it is logged and the client sees only
//!   INTERNAL_SERVER_ERROR, never its text and never a blame that is not theirs.
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextSubscribe,
    NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Variables};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

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
        let error = if has_code(&error) {
            error
        } else if error.path.is_empty() {
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
}
