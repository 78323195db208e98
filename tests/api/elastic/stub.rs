//! A stand-in Elasticsearch: it records every request and answers the few the index sends as a
//! cluster does, failing on demand.
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// What the stub was sent.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub content_type: String,
    pub body: String,
}

impl Recorded {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    pub fn ndjson(&self) -> Vec<Value> {
        assert!(self.body.ends_with('\n'), "NDJSON ends with a newline");
        self.body
            .lines()
            .map(|line| serde_json::from_str(line).expect("one JSON value per line"))
            .collect()
    }
}

#[derive(Default)]
pub struct StubState {
    requests: Vec<Recorded>,
    indices: HashSet<String>,
    /// Meta index → the cursor document stored there.
    cursors: HashMap<String, i64>,
    /// Fail the first book of every bulk, as a rejected or broken shard does.
    pub fail_bulk: bool,
    /// Answer searches with 503, as a cluster without a live shard does.
    pub fail_search: bool,
    pub search_reply: Value,
}

/// A stand-in Elasticsearch on a local port.
pub struct Stub {
    pub url: String,
    state: Arc<Mutex<StubState>>,
}

impl Stub {
    pub async fn start() -> Stub {
        let state = Arc::new(Mutex::new(StubState::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Stub { url, state }
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, StubState> {
        self.state.lock().unwrap()
    }

    /// The requests recorded since the last call.
    pub fn take_requests(&self) -> Vec<Recorded> {
        std::mem::take(&mut self.state().requests)
    }
}

fn reply(status: StatusCode, body: Value) -> Response {
    (
        status,
        [
            ("X-Elastic-Product", "Elasticsearch"),
            ("Content-Type", "application/json"),
        ],
        body.to_string(),
    )
        .into_response()
}

async fn answer(
    State(state): State<Arc<Mutex<StubState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = String::from_utf8_lossy(&body).into_owned();
    let mut stub = state.lock().unwrap();
    stub.requests.push(Recorded {
        method: method.clone(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or("").to_owned(),
        content_type: headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned(),
        body: body.clone(),
    });
    let segments: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("HEAD", [index]) if stub.indices.contains(*index) => reply(StatusCode::OK, json!({})),
        ("HEAD", [_]) => reply(StatusCode::NOT_FOUND, json!({})),
        ("PUT", [index]) => {
            stub.indices.insert(index.to_string());
            let ack = json!({"acknowledged": true, "shards_acknowledged": true, "index": index});
            reply(StatusCode::OK, ack)
        }
        ("POST", ["_bulk"]) => bulk(&mut stub, &body),
        ("GET", [meta, "_doc", "cursor"]) => match stub.cursors.get(*meta) {
            Some(cursor) => reply(
                StatusCode::OK,
                json!({"_index": meta, "_id": "cursor", "_version": 3, "_seq_no": 2,
                    "_primary_term": 1, "found": true, "_source": {"cursor": cursor}}),
            ),
            None => reply(
                StatusCode::NOT_FOUND,
                json!({"_index": meta, "_id": "cursor", "found": false}),
            ),
        },
        ("PUT" | "POST", [meta, "_doc", "cursor"]) => {
            let cursor = serde_json::from_str::<Value>(&body).unwrap()["cursor"]
                .as_i64()
                .unwrap();
            stub.cursors.insert(meta.to_string(), cursor);
            reply(
                StatusCode::OK,
                json!({"_index": meta, "_id": "cursor", "result": "updated"}),
            )
        }
        ("POST", [_, "_search"]) if stub.fail_search => reply(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"error": {"type": "search_phase_execution_exception",
                "reason": "all shards failed"}, "status": 503}),
        ),
        ("POST", [_, "_search"]) => reply(StatusCode::OK, stub.search_reply.clone()),
        ("POST", [_, "_delete_by_query"]) => reply(
            StatusCode::OK,
            json!({"took": 2, "deleted": 3, "version_conflicts": 0, "failures": []}),
        ),
        _ => reply(
            StatusCode::BAD_REQUEST,
            json!({"error": "the stub does not know this request"}),
        ),
    }
}

/// Answers a bulk request item by item, as Elasticsearch does: deleting a missing document is a
/// 404 that is no error; a failing item does not stop the others (the cursor among them).
fn bulk(stub: &mut StubState, body: &str) -> Response {
    let mut lines = body
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap());
    let mut items = Vec::new();
    let mut errors = false;
    while let Some(action) = lines.next() {
        let (kind, meta) = action.as_object().unwrap().iter().next().unwrap();
        let index = meta["_index"].as_str().unwrap().to_owned();
        let id = meta["_id"].as_str().unwrap().to_owned();
        let item = if kind == "delete" {
            json!({"_index": index, "_id": id, "result": "not_found", "status": 404})
        } else {
            let source = lines.next().unwrap();
            if index.ends_with("-meta") {
                let cursor = source["cursor"].as_i64().unwrap();
                stub.cursors.insert(index.clone(), cursor);
                json!({"_index": index, "_id": id, "result": "updated", "status": 200})
            } else if stub.fail_bulk && !errors {
                errors = true;
                json!({"_index": index, "_id": id, "status": 500, "error": {
                    "type": "illegal_state_exception", "reason": "shard is closing"}})
            } else {
                json!({"_index": index, "_id": id, "result": "created", "status": 201})
            }
        };
        items.push(json!({ kind.clone(): item }));
    }
    reply(
        StatusCode::OK,
        json!({"took": 1, "errors": errors, "items": items}),
    )
}
