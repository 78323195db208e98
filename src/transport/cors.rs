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

/// Whether a WebSocket upgrade from a page of `origin` may proceed. Browsers apply no CORS to
/// WebSockets, so the same rule is applied here: a client that sends no `Origin` (not a browser),
/// a page of Folio's own origin (the playground), or a configured origin.
pub(crate) fn allows_socket_from(
    origin: Option<&str>,
    host: Option<&str>,
    origins: &[String],
) -> bool {
    let Some(origin) = origin else {
        return true;
    };
    let own = host.is_some_and(|host| {
        let authority = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        authority.eq_ignore_ascii_case(host)
    });
    own || origins
        .iter()
        .any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_are_open_to_non_browsers_our_own_pages_and_configured_origins() {
        let none: Vec<String> = Vec::new();
        let host = Some("127.0.0.1:8080");
        assert!(allows_socket_from(None, host, &none));
        assert!(allows_socket_from(
            Some("http://127.0.0.1:8080"),
            host,
            &none
        ));
        assert!(!allows_socket_from(
            Some("https://evil.example"),
            host,
            &none
        ));
        let listed = vec!["https://shop.example".to_owned()];
        assert!(allows_socket_from(
            Some("https://shop.example"),
            host,
            &listed
        ));
        assert!(!allows_socket_from(
            Some("https://evil.example"),
            host,
            &listed
        ));
        assert!(allows_socket_from(
            Some("https://any.example"),
            host,
            &["*".to_owned()]
        ));
    }
}
