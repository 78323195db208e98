//! How clients reach the schema: GraphQL over HTTP (POST and GET) and Server-Sent Events (`http`),
//! over WebSocket with both subscription protocols (`ws`), the playground (`playground`), and the
//! operator's endpoints (`ops`). Each transport resolves the caller's viewer, turns what the
//! client sent into the document to run (`persisted`: a hash, a text, the safelist) and hands the
//! request to the schema. `media` is GraphQL over HTTP's content negotiation and caching headers;
//! `cors` says which other origins' pages may call.
pub(crate) mod cors;
pub(crate) mod http;
mod limits;
mod media;
mod ops;
pub(crate) mod persisted;
mod playground;
mod session_end;
mod sse;
pub(crate) mod ws;

use async_graphql::Variables;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use tokio_util::task::TaskTracker;

use crate::auth::Authenticated;
use crate::graphql::FolioSchema;
use crate::loaders::Loaders;
use crate::state::AppState;

/// What the transports serve: the schema, the state it runs on, and the connections that outlive
/// their requests. Cheap to clone: every field is shared.
#[derive(Clone)]
pub(crate) struct Gateway {
    pub(crate) schema: FolioSchema,
    pub(crate) state: AppState,
    /// The WebSocket connections, which outlive the HTTP requests that upgraded them; a shutdown
    /// waits for them to send their close frames.
    pub(crate) connections: TaskTracker,
}

/// The HTTP routes.
pub(crate) fn router(gateway: Gateway) -> Router {
    let max_body = gateway.state.config.limits.max_body_bytes;
    let cors = cors::layer(&gateway.state.config.cors_origins);
    let router = Router::new()
        .route("/graphql", get(graphql_get_or_ws).post(http::post))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics_text))
        .fallback(playground::serve)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn(ops::log_request));
    match cors {
        Some(cors) => router.layer(cors),
        None => router,
    }
    .with_state(gateway)
}

/// `GET /graphql` is a WebSocket upgrade when it asks for one, and a query otherwise.
async fn graphql_get_or_ws(
    State(gateway): State<Gateway>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    request: Request,
) -> Response {
    let (mut parts, _) = request.into_parts();
    let client = limits::client_of(&gateway, peer, &parts.headers);
    if parts.headers.contains_key(axum::http::header::UPGRADE) {
        match axum::extract::ws::WebSocketUpgrade::from_request_parts(&mut parts, &gateway).await {
            Ok(upgrade) => {
                ws::upgrade(State(gateway), client, parts.headers.clone(), upgrade).await
            }
            Err(rejection) => rejection.into_response(),
        }
    } else {
        let query = axum::extract::Query::from_request_parts(&mut parts, &gateway).await;
        match query {
            Ok(query) => http::get(State(gateway), client, parts.headers.clone(), query).await,
            Err(rejection) => rejection.into_response(),
        }
    }
}

/// A failure the transport answers itself, in the shape of a GraphQL response so that every client
/// can read it: one error with its message and code, and, for a limit, when to retry (in the error
/// and in `Retry-After`).
pub(crate) fn error_response(
    status: StatusCode,
    message: &str,
    code: &str,
    retry_after: Option<u64>,
) -> Response {
    let mut response = (status, Json(error_body(message, code, retry_after))).into_response();
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// The body of [`error_response`] (an SSE stream sends it as its last event).
pub(crate) fn error_body(message: &str, code: &str, retry_after: Option<u64>) -> serde_json::Value {
    let mut extensions = serde_json::json!({ "code": code });
    if let Some(seconds) = retry_after {
        extensions["retryAfter"] = seconds.into();
    }
    serde_json::json!({ "errors": [{ "message": message, "extensions": extensions }] })
}

/// A GraphQL request as clients send it. Parsed leniently (`variables: null` is the same as none),
/// because every client library spells an empty request slightly differently. The query may be
/// missing when `extensions.persistedQuery` names it by hash (`persisted::admit` fills it in).
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GraphQLBody {
    #[serde(default)]
    pub(crate) query: Option<String>,
    #[serde(default)]
    pub(crate) operation_name: Option<String>,
    #[serde(default)]
    pub(crate) variables: Option<serde_json::Value>,
    #[serde(default)]
    pub(crate) extensions: Option<serde_json::Value>,
}

impl GraphQLBody {
    /// The operation's name for logs: the one given, else the first one named in the document.
    pub(crate) fn label(&self) -> String {
        if let Some(name) = self.operation_name.as_deref().filter(|n| !n.is_empty()) {
            return name.to_owned();
        }
        let query = strip_comments(self.query.as_deref().unwrap_or(""));
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

    /// The request to execute as `who`, with this request's own DataLoaders attached.
    pub(crate) fn prepare(self, state: &AppState, who: &Authenticated) -> async_graphql::Request {
        let mut request = self
            .into_request()
            .data(who.viewer.clone())
            .data(Loaders::new(&state.db, &state.presence));
        if let Some(session) = who.session {
            request = request.data(session);
        }
        request
    }

    /// The `async_graphql::Request` for this body.
    fn into_request(self) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(self.query.unwrap_or_default());
        if let Some(name) = self.operation_name.filter(|n| !n.is_empty()) {
            request = request.operation_name(name);
        }
        if let Some(vars) = self.variables.filter(|v| !v.is_null()) {
            request = request.variables(Variables::from_json(vars));
        }
        request
    }
}

fn strip_comments(query: &str) -> String {
    query
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A request body, as a client would send `query` (and the operation `name`).
    pub(crate) fn body(query: &str, name: Option<&str>) -> GraphQLBody {
        GraphQLBody {
            query: Some(query.into()),
            operation_name: name.map(Into::into),
            variables: None,
            extensions: None,
        }
    }

    #[test]
    fn the_log_names_the_operation() {
        assert_eq!(body("query Me { me { id } }", None).label(), "Me");
        assert_eq!(body("{ me { id } }", None).label(), "anonymous");
        assert_eq!(body("mutation { signIn }", None).label(), "anonymous");
        assert_eq!(body("# hi\nsubscription OnX { x }", None).label(), "OnX");
        assert_eq!(body("query A { a } query B { b }", Some("B")).label(), "B");
    }
}
