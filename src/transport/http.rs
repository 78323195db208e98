//! GraphQL over HTTP: `POST /graphql` (JSON), `GET /graphql` (queries only), and subscriptions over
//! Server-Sent Events (`POST /graphql` with `Accept: text/event-stream`, graphql-sse's "distinct
//! connections" mode).
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use async_graphql::parser::types::OperationType;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use super::limits::{apply_charge, client_of, too_many_connections};
use super::{Gateway, GraphQLBody};
use crate::auth::viewer_from_authorization;
use crate::domain::client::ClientIp;
use crate::domain::viewer::Viewer;
use crate::schema::cost::Receipt;

/// `POST /graphql`.
pub(crate) async fn post(
    State(gateway): State<Gateway>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: GraphQLBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(err) => {
            return bad_request(
                StatusCode::BAD_REQUEST,
                &format!("the request body is not a GraphQL request: {err}"),
            );
        }
    };
    let viewer = viewer_from_headers(&gateway, &headers);
    let client = client_of(&gateway, peer, &headers);
    if wants_event_stream(&headers) {
        return event_stream(gateway, body, viewer, client);
    }
    execute(gateway, body, viewer, client).await
}

/// `GET /graphql?query=…&variables=…&operationName=…`: queries only, as GET must not change anything.
pub(crate) async fn get(
    State(gateway): State<Gateway>,
    client: ClientIp,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(query) = params.get("query").cloned() else {
        return bad_request(StatusCode::BAD_REQUEST, "the `query` parameter is missing");
    };
    let variables = match params.get("variables").filter(|v| !v.is_empty()) {
        None => None,
        Some(raw) => match serde_json::from_str(raw) {
            Ok(v) => Some(v),
            Err(_) => return bad_request(StatusCode::BAD_REQUEST, "`variables` is not JSON"),
        },
    };
    let body = GraphQLBody {
        query,
        operation_name: params.get("operationName").cloned(),
        variables,
    };
    if selected_operation_type(&body).is_some_and(|ty| ty != OperationType::Query) {
        let mut response = bad_request(
            StatusCode::METHOD_NOT_ALLOWED,
            "only queries may be sent with GET; use POST for mutations and subscriptions",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET, POST"));
        return response;
    }
    let viewer = viewer_from_headers(&gateway, &headers);
    execute(gateway, body, viewer, client).await
}

async fn execute(
    gateway: Gateway,
    body: GraphQLBody,
    viewer: Viewer,
    client: ClientIp,
) -> Response {
    let started = Instant::now();
    let operation = operation_label(&body);
    tracing::Span::current().record("operation", operation.as_str());
    let receipt = Arc::new(Receipt::default());
    let request = body
        .prepare(&gateway.state, viewer)
        .data(client)
        .data(receipt.clone());
    let response = gateway.schema.execute(request).await;
    metrics::histogram!("folio_graphql_duration_seconds").record(started.elapsed().as_secs_f64());
    metrics::counter!("folio_graphql_requests_total", "outcome" => if response.is_ok() { "ok" } else { "error" })
        .increment(1);
    let mut response = Json(response).into_response();
    if let Some(charge) = receipt.charge() {
        apply_charge(&mut response, &charge);
    }
    response
}

fn event_stream(gateway: Gateway, body: GraphQLBody, viewer: Viewer, client: ClientIp) -> Response {
    let operation = operation_label(&body);
    tracing::Span::current().record("operation", operation.as_str());
    let state = &gateway.state;
    let shutdown = state.shutdown.clone();
    // An SSE subscription is a subscription connection too: it counts towards its user's presence
    // for as long as the stream lives.
    let user = match &viewer {
        Viewer::User { id, .. } => Some(*id),
        _ => None,
    };
    // It is an open connection too, under the limits of its user and address.
    let Some(place) = state.limiter.open_socket(user, Some(client)) else {
        return too_many_connections();
    };
    let presence = user.map(|id| state.presence.connect(id));
    let events = gateway
        .schema
        .execute_stream(body.prepare(state, viewer).data(client))
        .map(move |response| {
            let _counted = (&presence, &place);
            let data = serde_json::to_string(&response).unwrap_or_else(|_| "{}".into());
            Ok::<_, Infallible>(SseEvent::default().event("next").data(data))
        })
        .chain(futures_util::stream::once(async {
            Ok(SseEvent::default().event("complete").data(""))
        }))
        // A draining server ends its streams so that the clients reconnect elsewhere.
        .take_until(async move { shutdown.cancelled().await });
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

fn wants_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"))
}

/// The viewer named by the `Authorization` header.
fn viewer_from_headers(gateway: &Gateway, headers: &HeaderMap) -> Viewer {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    viewer_from_authorization(&gateway.state.tokens, value)
}

/// The type of the operation the request would run, if the document parses.
fn selected_operation_type(body: &GraphQLBody) -> Option<OperationType> {
    let doc = async_graphql::parser::parse_query(&body.query).ok()?;
    let name = body.operation_name.as_deref();
    doc.operations
        .iter()
        .find(|(op_name, _)| name.is_none() || op_name.map(|n| n.as_str()) == name)
        .map(|(_, op)| op.node.ty)
}

/// The operation's name for logs: the one given, else the first one named in the document.
fn operation_label(body: &GraphQLBody) -> String {
    if let Some(name) = body.operation_name.as_deref().filter(|n| !n.is_empty()) {
        return name.to_owned();
    }
    let query = strip_comments(&body.query);
    let rest = query.trim_start();
    for keyword in ["query", "mutation", "subscription"] {
        if let Some(after) = rest.strip_prefix(keyword) {
            let name: String = after
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                return name;
            }
        }
    }
    "anonymous".to_owned()
}

fn strip_comments(query: &str) -> String {
    query
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A transport-level failure, in the shape of a GraphQL response so every client can read it.
pub(crate) fn bad_request(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": "BAD_USER_INPUT" } }]
    });
    (status, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(query: &str, name: Option<&str>) -> GraphQLBody {
        GraphQLBody {
            query: query.into(),
            operation_name: name.map(Into::into),
            variables: None,
        }
    }

    #[test]
    fn the_log_names_the_operation() {
        assert_eq!(operation_label(&body("query Me { me { id } }", None)), "Me");
        assert_eq!(operation_label(&body("{ me { id } }", None)), "anonymous");
        assert_eq!(
            operation_label(&body("mutation { signIn }", None)),
            "anonymous"
        );
        assert_eq!(
            operation_label(&body("# hi\nsubscription OnX { x }", None)),
            "OnX"
        );
        assert_eq!(
            operation_label(&body("query A { a } query B { b }", Some("B"))),
            "B"
        );
    }

    #[test]
    fn get_knows_a_mutation_when_it_sees_one() {
        let doc = "query A { me { id } } mutation B { signIn }";
        assert_eq!(
            selected_operation_type(&body(doc, Some("A"))),
            Some(OperationType::Query)
        );
        assert_eq!(
            selected_operation_type(&body(doc, Some("B"))),
            Some(OperationType::Mutation)
        );
    }
}
