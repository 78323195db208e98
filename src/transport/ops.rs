//! The operator's endpoints and the request log: readiness, Prometheus metrics, one log line per
//! request.
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use super::Gateway;
use crate::db;

/// Ready when the database, and Redis when configured, answer.
pub(super) async fn readyz(State(gateway): State<Gateway>) -> Response {
    let state = &gateway.state;
    let database = db::ping(&state.db).await;
    let bus = state.bus.ping().await.is_ok();
    let body = serde_json::json!({ "database": database, "bus": bus });
    let status = if database && bus {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

/// The process-wide Prometheus recorder, installed once however many servers a process starts (tests
/// start many).
pub(crate) fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (a test harness); then ours only renders empty.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

pub(super) async fn metrics_text() -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        prometheus().render(),
    )
        .into_response()
}

/// One log line per request, with the GraphQL operation's name when there is one and the duration.
pub(super) async fn log_request(request: Request, next: Next) -> Response {
    let _ = prometheus();
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", %method, %path, operation = tracing::field::Empty);
    let response = {
        use tracing::Instrument;
        next.run(request).instrument(span.clone()).await
    };
    let elapsed: Duration = started.elapsed();
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        )
    });
    response
}
