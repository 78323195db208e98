//! GraphQL over HTTP's media types: what a POST must send (`application/json`), what a client
//! accepts back (`application/graphql-response+json`, with the spec's status codes, or
//! `application/json`, always 200 for a well-formed request), and whether a response may be
//! cached by others.
use async_graphql::Value as GqlValue;
use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The GraphQL over HTTP response media type.
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// Whether a POST's `Content-Type` is JSON (parameters such as `charset` aside). Anything else is
/// refused before it is read, so that a page on another origin cannot make a browser send an
/// operation as a "simple" (form, text) request, which needs no CORS preflight.
pub(super) fn sends_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// The media type a response goes out in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Media {
    /// `application/json`: a well-formed request is answered with 200, errors or not.
    Json,
    /// `application/graphql-response+json`: a request error (no data) is answered with 400.
    GraphQLResponse,
}

impl Media {
    /// The one the `Accept` header prefers; `application/json` unless it asks for the GraphQL
    /// response type at least as much.
    pub(super) fn accepted(headers: &HeaderMap) -> Media {
        let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
            return Media::Json;
        };
        let (mut graphql, mut json) = (0.0_f32, 0.0_f32);
        for item in accept.split(',') {
            let mut parts = item.split(';');
            let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            match essence.as_str() {
                GRAPHQL_RESPONSE => graphql = graphql.max(quality),
                "application/json" => json = json.max(quality),
                _ => {}
            }
        }
        if graphql > 0.0 && graphql >= json {
            Media::GraphQLResponse
        } else {
            Media::Json
        }
    }

    /// The HTTP response for a GraphQL response, with its `Cache-Control`.
    /// Gives a response made before the document was read (a 415, a 400, a 405, an unavailable
    /// session check) this media type: its status already says what went wrong.
    pub(super) fn label(self, response: &mut Response) {
        let json = response
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        if json && self == Media::GraphQLResponse {
            response.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static(GRAPHQL_RESPONSE),
            );
        }
    }

    pub(super) fn respond(self, response: async_graphql::Response, cache: CachePolicy) -> Response {
        let cache_control = cache.header(&response);
        let mut http = match self {
            Media::Json => Json(response).into_response(),
            Media::GraphQLResponse => {
                // A request error: nothing ran, so the response has no `data` at all.
                let request_error = matches!(response.data, GqlValue::Null)
                    && !response.errors.is_empty()
                    && response.errors.iter().all(|e| e.path.is_empty());
                let mut body = serde_json::to_value(&response).unwrap_or_default();
                if request_error && let Some(object) = body.as_object_mut() {
                    object.remove("data");
                }
                let status = if request_error {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::OK
                };
                let mut http = (status, Json(body)).into_response();
                http.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/graphql-response+json; charset=utf-8"),
                );
                http
            }
        };
        let headers = http.headers_mut();
        headers.insert(header::CACHE_CONTROL, cache_control);
        if matches!(cache, CachePolicy::Shareable) {
            // A cache must not hand an anonymous answer to a signed-in request, nor one media
            // type's to a client that asked for the other.
            headers.insert(
                header::VARY,
                HeaderValue::from_static("authorization, accept"),
            );
        }
        http
    }
}

/// Whether others (a CDN, a proxy) may keep a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CachePolicy {
    /// An anonymous GET: the same for every anonymous caller, so shareable for as long as every
    /// field it read allows (the schema's `cache_control` hints; a field without one allows
    /// nothing).
    Shareable,
    /// Anything else: a POST, or a signed-in caller's request.
    NoStore,
}

impl CachePolicy {
    fn header(self, response: &async_graphql::Response) -> HeaderValue {
        let hints = response.cache_control;
        let shareable = self == CachePolicy::Shareable
            && response.errors.is_empty()
            && hints.public
            && hints.max_age > 0;
        if shareable {
            HeaderValue::from_str(&format!("public, max-age={}", hints.max_age))
                .unwrap_or(HeaderValue::from_static("no-store"))
        } else {
            HeaderValue::from_static("no-store")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Media {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        Media::accepted(&headers)
    }

    #[test]
    fn the_graphql_response_type_is_chosen_only_when_preferred() {
        assert_eq!(
            accept("application/graphql-response+json"),
            Media::GraphQLResponse
        );
        assert_eq!(
            accept("application/graphql-response+json, application/json;q=0.9"),
            Media::GraphQLResponse
        );
        assert_eq!(
            accept("application/json, application/graphql-response+json;q=0.5"),
            Media::Json
        );
        assert_eq!(accept("*/*"), Media::Json);
        assert_eq!(Media::accepted(&HeaderMap::new()), Media::Json);
    }

    #[test]
    fn only_json_is_a_json_request() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(value).unwrap());
            sends_json(&headers)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(!with("text/plain"));
        assert!(!with("application/x-www-form-urlencoded"));
        assert!(!with("multipart/form-data; boundary=x"));
        assert!(!sends_json(&HeaderMap::new()));
    }
}
