//! GraphQL over HTTP: `POST /graphql` (JSON only) and `GET /graphql` (queries only), each admitted
//! in order (media type, document, persisted query, who is asking) and answered with the rate-limit
//! headers. A POST asking for `text/event-stream` becomes a subscription over SSE (`sse`).
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use async_graphql::parser::types::OperationType;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use super::limits::{apply_charge, client_of, complete, refuse, retry_after_of};
use super::media::{self, CachePolicy, Media};
use super::{Gateway, GraphQLBody, error_response, persisted, sse};
use crate::auth::Authenticated;
use crate::domain::client::ClientIp;
use crate::domain::viewer::Viewer;
use crate::schema::cost::Receipt;

/// `POST /graphql`: a JSON body (anything else is 415, and nothing runs).
pub(crate) async fn post(
    State(gateway): State<Gateway>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let client = client_of(&gateway, peer, &headers);
    let media = Media::accepted(&headers);
    let mut response = answer_post(&gateway, client, media, &headers, body).await;
    media.label(&mut response);
    complete(&gateway, client, response).await
}

async fn answer_post(
    gateway: &Gateway,
    client: ClientIp,
    media: Media,
    headers: &HeaderMap,
    body: Bytes,
) -> Response {
    if !media::sends_json(headers) {
        return bad_request(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "POST /graphql needs Content-Type: application/json",
        );
    }
    let body: GraphQLBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(err) => {
            return bad_request(
                StatusCode::BAD_REQUEST,
                &format!("the request body is not a GraphQL request: {err}"),
            );
        }
    };
    let body = match persisted::admit(gateway, body).await {
        Ok(body) => body,
        Err(error) => return media.respond(persisted::refusal(&error), CachePolicy::NoStore),
    };
    let who = match authenticate(gateway, headers).await {
        Ok(who) => who,
        Err(response) => return response,
    };
    if sse::wants_event_stream(headers) {
        return sse::event_stream(gateway, body, who, client).await;
    }
    let (response, receipt) = execute(gateway, body, &who, client).await;
    answer(media, response, CachePolicy::NoStore, &receipt)
}

/// The HTTP answer to an executed request: its media type and caching, the rate-limit headers of
/// its cost check, and 429 with `Retry-After` when a limit refused it.
fn answer(
    media: Media,
    response: async_graphql::Response,
    cache: CachePolicy,
    receipt: &Receipt,
) -> Response {
    let refused_for = retry_after_of(&response);
    let mut http = media.respond(response, cache);
    if let Some(charge) = receipt.charge() {
        apply_charge(&mut http, &charge);
    }
    if let Some(seconds) = refused_for {
        refuse(&mut http, seconds);
    }
    http
}

/// `GET /graphql?query=…&variables=…&operationName=…&extensions=…`: queries only, as GET must not
/// change anything, whether the document comes as text or by a persisted query's hash.
pub(crate) async fn get(
    State(gateway): State<Gateway>,
    client: ClientIp,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let media = Media::accepted(&headers);
    let mut response = answer_get(&gateway, client, media, &headers, params).await;
    media.label(&mut response);
    complete(&gateway, client, response).await
}

async fn answer_get(
    gateway: &Gateway,
    client: ClientIp,
    media: Media,
    headers: &HeaderMap,
    params: HashMap<String, String>,
) -> Response {
    // The name of a parameter that is not JSON, to say so.
    let json_param = |name: &'static str| match params.get(name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(raw) => serde_json::from_str(raw).map(Some).map_err(|_| name),
    };
    let (variables, extensions) = match (json_param("variables"), json_param("extensions")) {
        (Ok(variables), Ok(extensions)) => (variables, extensions),
        (Err(name), _) | (_, Err(name)) => {
            return bad_request(StatusCode::BAD_REQUEST, &format!("`{name}` is not JSON"));
        }
    };
    let body = GraphQLBody {
        query: params.get("query").cloned(),
        operation_name: params.get("operationName").cloned(),
        variables,
        extensions,
    };
    if !persisted::names_a_document(&body) {
        return bad_request(StatusCode::BAD_REQUEST, "the `query` parameter is missing");
    }
    let body = match persisted::admit(gateway, body).await {
        Ok(body) => body,
        Err(error) => return media.respond(persisted::refusal(&error), CachePolicy::NoStore),
    };
    match selected_operation(&body) {
        Selected::Query | Selected::Unreadable => {}
        Selected::NotAQuery => {
            let mut response = bad_request(
                StatusCode::METHOD_NOT_ALLOWED,
                "only queries may be sent with GET; use POST for mutations and subscriptions",
            );
            response
                .headers_mut()
                .insert(header::ALLOW, header::HeaderValue::from_static("GET, POST"));
            return response;
        }
        Selected::UnknownName => {
            return bad_request(
                StatusCode::BAD_REQUEST,
                "the document has no operation of that `operationName`",
            );
        }
    }
    let who = match authenticate(gateway, headers).await {
        Ok(who) => who,
        Err(response) => return response,
    };
    let cache = if matches!(who.viewer, Viewer::Anonymous) {
        CachePolicy::Shareable
    } else {
        CachePolicy::NoStore
    };
    let (response, receipt) = execute(gateway, body, &who, client).await;
    answer(media, response, cache, &receipt)
}

async fn execute(
    gateway: &Gateway,
    body: GraphQLBody,
    who: &Authenticated,
    client: ClientIp,
) -> (async_graphql::Response, Arc<Receipt>) {
    let started = Instant::now();
    let operation = body.label();
    tracing::Span::current().record("operation", operation.as_str());
    let receipt = Arc::new(Receipt::default());
    let request = body
        .prepare(&gateway.state, who)
        .data(client)
        .data(receipt.clone());
    let response = gateway.schema.execute(request).await;
    metrics::histogram!("folio_graphql_duration_seconds").record(started.elapsed().as_secs_f64());
    metrics::counter!("folio_graphql_requests_total", "outcome" => if response.is_ok() { "ok" } else { "error" })
        .increment(1);
    (response, receipt)
}

/// Who the `Authorization` header names; a 503 when the database cannot say.
async fn authenticate(gateway: &Gateway, headers: &HeaderMap) -> Result<Authenticated, Response> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    gateway.state.auth.authenticate(value).await.map_err(|err| {
        tracing::error!(error = ?err, "could not check a token's session");
        error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "the service is unavailable; retry shortly",
            "INTERNAL_SERVER_ERROR",
            None,
        )
    })
}

/// Which operation a GET would run, as far as GET's rule needs to know.
#[derive(Debug, PartialEq, Eq)]
enum Selected {
    /// A query: it may run.
    Query,
    /// A mutation or a subscription: 405.
    NotAQuery,
    /// `operationName` names no operation of the document: 400.
    UnknownName,
    /// The document does not parse, or names no single operation: the schema refuses it with
    /// the right error, and runs nothing.
    Unreadable,
}

/// The operation a request would run (an empty `operationName` is none, as the schema reads it).
fn selected_operation(body: &GraphQLBody) -> Selected {
    let Some(Ok(doc)) = body
        .query
        .as_deref()
        .map(async_graphql::parser::parse_query)
    else {
        return Selected::Unreadable;
    };
    let name = body.operation_name.as_deref().filter(|n| !n.is_empty());
    let mut operations = doc.operations.iter();
    let selected = match name {
        Some(name) => {
            match operations.find(|(op_name, _)| op_name.map(|n| n.as_str()) == Some(name)) {
                Some((_, op)) => op,
                None => return Selected::UnknownName,
            }
        }
        None => match (operations.next(), operations.next()) {
            (Some((_, op)), None) => op,
            _ => return Selected::Unreadable,
        },
    };
    if selected.node.ty == OperationType::Query {
        Selected::Query
    } else {
        Selected::NotAQuery
    }
}

/// A transport-level failure, in the shape of a GraphQL response so every client can read it.
pub(crate) fn bad_request(status: StatusCode, message: &str) -> Response {
    error_response(status, message, "BAD_USER_INPUT", None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::tests::body;

    #[test]
    fn get_knows_a_mutation_when_it_sees_one() {
        let doc = "query A { me { id } } mutation B { signIn }";
        assert_eq!(selected_operation(&body(doc, Some("A"))), Selected::Query);
        assert_eq!(
            selected_operation(&body(doc, Some("B"))),
            Selected::NotAQuery
        );
        assert_eq!(
            selected_operation(&body(doc, Some("C"))),
            Selected::UnknownName
        );
        assert_eq!(selected_operation(&body(doc, None)), Selected::Unreadable);
        let alone = "mutation B { signIn }";
        assert_eq!(
            selected_operation(&body(alone, Some(""))),
            Selected::NotAQuery
        );
        assert_eq!(selected_operation(&body(alone, None)), Selected::NotAQuery);
        assert_eq!(
            selected_operation(&body("{ me ", None)),
            Selected::Unreadable
        );
    }
}
