//! The operations running on one connection, polled by the connection's own loop.
use std::task::{Context, Poll};

use async_graphql::{ErrorExtensions, Response as GqlResponse};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use serde_json::{Value, json};

use super::protocol::Protocol;
use crate::error::Error;

/// The operations running on one connection, by id, each a stream of responses. The connection
/// loop polls them itself (a connection rarely runs more than a few).
pub(super) struct Operations {
    protocol: Protocol,
    pub(super) running: Vec<(String, BoxStream<'static, GqlResponse>)>,
    /// Where the next poll starts, so that a busy operation cannot starve the others.
    next: usize,
}

impl Operations {
    pub(super) fn new(protocol: Protocol) -> Self {
        Operations {
            protocol,
            running: Vec::new(),
            next: 0,
        }
    }

    pub(super) fn contains(&self, id: &str) -> bool {
        self.running.iter().any(|(running, _)| running == id)
    }

    pub(super) fn insert(&mut self, id: String, responses: BoxStream<'static, GqlResponse>) {
        self.running.push((id, responses));
    }

    /// Starts `id` as an operation that fails at once with RATE_LIMITED: `limit` already run.
    pub(super) fn refuse(&mut self, id: String, limit: usize) {
        let error = Error::TooManyAtOnce {
            what: "operations on one connection",
            limit,
        }
        .extend()
        .into_server_error(Default::default());
        let refused = futures_util::stream::iter([GqlResponse::from_errors(vec![error])]);
        self.running.push((id, refused.boxed()));
    }

    /// Stops the operation `id` (dropping its stream ends its subscription), if it runs.
    pub(super) fn remove(&mut self, id: &str) {
        self.running.retain(|(running, _)| running != id);
    }

    /// The message to send for the next response of any operation: its data, its error (which
    /// ends it), or that it is complete. An operation that ends is forgotten at once, so the client
    /// may reuse its id. Pending while nothing is ready, or while nothing runs (the loop polls
    /// again after starting an operation).
    pub(super) fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Value> {
        let count = self.running.len();
        for turn in 0..count {
            let at = (self.next + turn) % count;
            let Poll::Ready(response) = self.running[at].1.poll_next_unpin(cx) else {
                continue;
            };
            self.next = at + 1;
            return Poll::Ready(match response {
                // The operation never started (invalid, or refused): an `error` message ends it,
                // and graphql-transport-ws sends no `complete` after one.
                Some(response) if fails_before_data(&response) => {
                    let (id, _) = self.running.swap_remove(at);
                    let errors = serde_json::to_value(&response.errors).unwrap_or(Value::Null);
                    json!({"type": "error", "id": id, "payload": errors})
                }
                Some(response) => {
                    let next_type = match self.protocol {
                        Protocol::TransportWs => "next",
                        Protocol::LegacyWs => "data",
                    };
                    let payload = serde_json::to_value(&response).unwrap_or(Value::Null);
                    json!({"type": next_type, "id": self.running[at].0, "payload": payload})
                }
                None => {
                    let (id, _) = self.running.swap_remove(at);
                    json!({"type": "complete", "id": id})
                }
            });
        }
        Poll::Pending
    }
}

/// A response that carries errors and no data at all: the operation failed before it produced
/// anything (a validation error, a refused subscription).
fn fails_before_data(response: &GqlResponse) -> bool {
    response.is_err() && matches!(response.data, async_graphql::Value::Null)
}
