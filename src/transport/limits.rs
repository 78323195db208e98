//! The rate limits as HTTP shows them: who the client is (its address, through trusted proxies),
//! the `RateLimit-Policy` and `RateLimit` headers on every GraphQL response, and 429 with
//! `Retry-After` for a refused one.
//!
//! The headers follow draft-ietf-httpapi-ratelimit-headers-09 (the structured-field syntax of
//! drafts 08 onwards): `RateLimit-Policy: "cost";q=2000;w=20` names the policy, its quota and the
//! seconds the quota takes to restore from empty; `RateLimit: "cost";r=1850;t=8` says what remains
//! and in how many seconds the bucket is full again. The quota is counted in query-cost points,
//! not requests (`extensions.cost` says the same in GraphQL).
use std::net::SocketAddr;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::{Gateway, error_response};
use crate::domain::client::{ClientIp, client_ip};
use crate::domain::viewer::Viewer;
use crate::limiter::caller_key;
use crate::schema::cost::Charge;

/// The client behind a connection from `peer`.
pub(crate) fn client_of(gateway: &Gateway, peer: SocketAddr, headers: &HeaderMap) -> ClientIp {
    // Every `X-Forwarded-For` line, in order: a proxy may add its own line rather than append to
    // the client's, and the client's own line must not be the one believed.
    let lines: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let forwarded = (!lines.is_empty()).then(|| lines.join(","));
    let trusted = &gateway.state.config.rate_limits.trusted_proxies;
    client_ip(peer.ip(), forwarded.as_deref(), trusted)
}

/// Completes the rate-limit side of an HTTP answer. Every response carries the headers: one that
/// never reached the cost check (refused before its document was read: 415, 400, 405, an unknown
/// persisted query, an unavailable session check) is charged one point to the client's address,
/// so a flood of bad requests is limited too.
pub(crate) async fn complete(
    gateway: &Gateway,
    client: ClientIp,
    mut response: Response,
) -> Response {
    if !response.headers().contains_key("ratelimit") {
        let key = caller_key(&Viewer::Anonymous, Some(client));
        let charge = charge_points(gateway, &key, 1).await;
        set_headers(&mut response, &charge);
    }
    response
}

/// Charges `points` to `key`'s cost budget, as the cost check would.
pub(crate) async fn charge_points(gateway: &Gateway, key: &str, points: u64) -> Charge {
    let limiter = &gateway.state.limiter;
    let decision = limiter.charge_cost(key, points).await;
    let budget = limiter.limits().cost_budget;
    Charge {
        requested: points,
        actual: decision.allowed.then_some(points),
        decision,
        budget,
    }
}

/// The longest `retryAfter` of the response's RATE_LIMITED errors, if any.
pub(crate) fn retry_after_of(response: &async_graphql::Response) -> Option<u64> {
    response
        .errors
        .iter()
        .filter_map(|error| {
            let extensions = error.extensions.as_ref()?;
            let is_limited = matches!(
                extensions.get("code"),
                Some(async_graphql::Value::String(code)) if code == "RATE_LIMITED"
            );
            let seconds = match extensions.get("retryAfter") {
                Some(async_graphql::Value::Number(n)) => n.as_u64().unwrap_or(1),
                _ => 1,
            };
            is_limited.then_some(seconds)
        })
        .max()
}

/// Makes `response` a 429 that says when to retry.
pub(crate) fn refuse(response: &mut Response, seconds: u64) {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
}

/// Sets the rate-limit headers of `charge` on `response`, and 429 with `Retry-After` when it was
/// refused.
pub(crate) fn apply_charge(response: &mut Response, charge: &Charge) {
    set_headers(response, charge);
    if !charge.decision.allowed {
        refuse(response, charge.decision.retry_after_secs());
    }
}

/// The `RateLimit-Policy` and `RateLimit` headers of `charge`.
fn set_headers(response: &mut Response, charge: &Charge) {
    let window = charge.budget.per.as_secs_f64().ceil() as u64;
    let policy = format!("\"cost\";q={};w={window}", charge.budget.count);
    let remaining = charge.decision.remaining.floor() as u64;
    let reset = charge.decision.reset_after.as_secs_f64().ceil() as u64;
    let current = format!("\"cost\";r={remaining};t={reset}");
    let headers = response.headers_mut();
    for (name, value) in [("ratelimit-policy", policy), ("ratelimit", current)] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
}

/// The answer to a connection refused for holding too many open already.
pub(crate) fn too_many_connections() -> Response {
    error_response(
        StatusCode::TOO_MANY_REQUESTS,
        "too many open connections; close one first",
        "RATE_LIMITED",
        Some(1),
    )
}
