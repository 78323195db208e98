//! GraphQL subscriptions over Server-Sent Events: `POST /graphql` with `Accept: text/event-stream`
//! (graphql-sse's "distinct connections" mode). A stream is an open connection under its user's
//! and address's limits, counts towards its user's presence, lives no longer than its token, and
//! ends when the server drains.
use std::convert::Infallible;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use super::limits::{apply_charge, charge_points, too_many_connections};
use super::session_end::{ended_by_session, session_ended};
use super::{Gateway, GraphQLBody, error_response};
use crate::auth::Authenticated;
use crate::domain::client::ClientIp;
use crate::domain::viewer::Viewer;
use crate::limiter::caller_key;

pub(super) async fn event_stream(
    gateway: &Gateway,
    body: GraphQLBody,
    who: Authenticated,
    client: ClientIp,
) -> Response {
    // Its headers go out before the subscription's cost is known: opening the stream is charged a
    // point, which gives the `RateLimit` headers (the operation's own cost follows in its first
    // event's `extensions.cost`).
    let opening = charge_points(gateway, &caller_key(&who.viewer, Some(client)), 1).await;
    if !opening.decision.allowed {
        let retry_after = opening.decision.retry_after_secs();
        let error = crate::error::Error::RateLimited { retry_after };
        let mut response = error_response(
            StatusCode::TOO_MANY_REQUESTS,
            &error.to_string(),
            error.code(),
            Some(retry_after),
        );
        apply_charge(&mut response, &opening);
        return response;
    }
    let mut response = stream_events(gateway.clone(), body, who, client);
    apply_charge(&mut response, &opening);
    response
}

fn stream_events(
    gateway: Gateway,
    body: GraphQLBody,
    who: Authenticated,
    client: ClientIp,
) -> Response {
    let operation = body.label();
    tracing::Span::current().record("operation", operation.as_str());
    let state = &gateway.state;
    let shutdown = state.shutdown.clone();
    // An SSE subscription is a subscription connection too: it counts towards its user's presence
    // for as long as the stream lives.
    let user = match &who.viewer {
        Viewer::User { id, .. } => Some(*id),
        _ => None,
    };
    // It is an open connection too, under the limits of its user and address.
    let Some(place) = state.limiter.open_socket(user, Some(client)) else {
        return too_many_connections();
    };
    let presence = user.map(|id| state.presence.connect(id));
    // The stream lives no longer than its token: at its expiry, or when its session is revoked, it
    // ends with UNAUTHENTICATED (the client refreshes and subscribes again, with `afterSeq`).
    let session_end = match who.session {
        Some(session) => {
            futures_util::future::Either::Left(session_ended(gateway.state.auth.clone(), session))
        }
        None => futures_util::future::Either::Right(std::future::pending()),
    };
    let responses = gateway
        .schema
        .execute_stream(body.prepare(state, &who).data(client))
        .take_until(session_end)
        .map(move |response| {
            let _counted = (&presence, &place);
            let data = serde_json::to_string(&response).unwrap_or_else(|_| "{}".into());
            SseEvent::default().event("next").data(data)
        });
    let ended = who.session.map(|_| ended_by_session());
    let events = responses
        .chain(futures_util::stream::iter(ended))
        .chain(futures_util::stream::once(async {
            SseEvent::default().event("complete").data("")
        }))
        .map(Ok::<_, Infallible>)
        // A draining server ends its streams so that the clients reconnect elsewhere.
        .take_until(async move { shutdown.cancelled().await });
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

pub(super) fn wants_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"))
}
