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

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Gateway;
use crate::domain::client::{ClientIp, client_ip};
use crate::schema::cost::Charge;

/// The client behind a connection from `peer`.
pub(crate) fn client_of(gateway: &Gateway, peer: SocketAddr, headers: &HeaderMap) -> ClientIp {
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let trusted = &gateway.state.config.rate_limits.trusted_proxies;
    client_ip(peer.ip(), forwarded, trusted)
}

/// Sets the rate-limit headers of `charge` on `response`, and 429 with `Retry-After` when it was
/// refused.
pub(crate) fn apply_charge(response: &mut Response, charge: &Charge) {
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
    if !charge.decision.allowed {
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from(charge.decision.retry_after_secs()),
        );
        *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    }
}

/// The answer to a connection refused for holding too many open already.
pub(crate) fn too_many_connections() -> Response {
    let body = serde_json::json!({
        "errors": [{
            "message": "too many open connections; close one first",
            "extensions": { "code": "RATE_LIMITED", "retryAfter": 1 }
        }]
    });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(1u64));
    response
}
