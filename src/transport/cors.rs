//! Which other origins' pages may call the API (`FOLIO_CORS_ORIGINS`). None by default: no CORS
//! headers at all, so a browser refuses a cross-origin call (the playground is same-origin).
use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long a browser may remember a preflight's answer.
const PREFLIGHT_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(600);

/// The CORS layer for `origins` (`*` among them: any origin), none when no origin is configured.
/// Bearer tokens travel in a header, not in cookies, so credentials are not allowed, and `*` is
/// safe to offer.
pub(super) fn layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow_origin = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|origin| HeaderValue::from_str(origin).ok()),
        )
    };
    let layer = CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::ACCEPT])
        // The rate limit's headers, so that a browser client can read when to retry.
        .expose_headers([
            HeaderName::from_static("ratelimit"),
            HeaderName::from_static("ratelimit-policy"),
            header::RETRY_AFTER,
        ])
        .max_age(PREFLIGHT_MAX_AGE);
    Some(layer)
}
