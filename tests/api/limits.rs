//! The query-cost budget: `extensions.cost` and the `RateLimit` headers on every response, 429
//! with `Retry-After` and RATE_LIMITED when a caller's bucket is spent, recovery as it refills,
//! over HTTP and WebSocket; one user on two instances drawing from one bucket; everything let
//! through with `FOLIO_RATE_LIMITS=off`; and a Redis that stops answering.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use folio::Config;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{Backend, PATIENCE, TestApp, error_code, spawn_app_with, spawn_two_instances};

const BOOKS: &str = "{ books(first: 3) { edges { node { title } } } }";

/// POSTs `query` as `token`; returns the status, the two rate-limit headers, `Retry-After`, and
/// the body.
async fn post(app: &TestApp, token: Option<&str>, query: &str) -> (u16, [String; 3], Value) {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("an answer");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let headers = [
        header("ratelimit-policy"),
        header("ratelimit"),
        header("retry-after"),
    ];
    let status = response.status().as_u16();
    (status, headers, response.json().await.expect("a JSON body"))
}

fn budget(rate: &str) -> impl FnOnce(&mut Config) {
    let rate = rate.parse().unwrap();
    move |config: &mut Config| {
        config.rate_limits.enabled = true;
        config.rate_limits.cost_budget = rate;
    }
}

async fn every_response_carries_its_cost_and_the_rate_limit_headers(backend: Backend) {
    let app = spawn_app_with(backend, |config| config.rate_limits.enabled = true).await;
    let (status, [policy, current, _], body) = post(&app, None, BOOKS).await;
    assert_eq!(status, 200, "{body}");
    let cost = &body["extensions"]["cost"];
    let requested = cost["requestedQueryCost"].as_u64().expect("a cost");
    assert!(requested > 1, "{cost}");
    assert_eq!(cost["actualQueryCost"], requested);
    let status = &cost["throttleStatus"];
    assert_eq!(status["maximumAvailable"], 2000);
    assert_eq!(status["currentlyAvailable"], 2000 - requested);
    // The contract's 2000/100: a bucket of 2000 points restoring 100 a second (20 s from empty).
    assert_eq!(status["restoreRate"], 100.0);
    assert_eq!(policy, "\"cost\";q=2000;w=20");
    assert!(
        current.starts_with(&format!("\"cost\";r={};t=", 2000 - requested)),
        "{current}"
    );

    // A document that does not parse still says what it cost (a point) and what is left.
    let (status, [policy, _, _], body) = post(&app, None, "{ books(").await;
    assert_eq!((status, error_code(&body)), (200, "BAD_USER_INPUT"));
    assert_eq!(body["extensions"]["cost"]["actualQueryCost"], 1);
    assert!(!policy.is_empty());

    // Refused before its document is read (not JSON): the headers are there too, and the point
    // it cost is the address's.
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "text/plain")
        .body("{ books { totalCount } }")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    assert!(response.headers().contains_key("ratelimit-policy"));
    assert!(response.headers().contains_key("ratelimit"));
}

async fn a_spent_budget_answers_429_until_it_refills_and_only_for_that_caller(backend: Backend) {
    let app = spawn_app_with(backend, budget("20/1")).await;
    let (ann, _, _) = app.sign_up("Ann").await;
    let mut refused = None;
    for _ in 0..40 {
        let answer = post(&app, Some(&ann), BOOKS).await;
        if answer.0 != 200 {
            refused = Some(answer);
            break;
        }
    }
    let (status, [_, current, retry_after], body) = refused.expect("the budget runs out");
    assert_eq!(status, 429, "{body}");
    assert_eq!(error_code(&body), "RATE_LIMITED");
    let wait = body["errors"][0]["extensions"]["retryAfter"].as_u64();
    assert_eq!(wait, Some(1), "{body}");
    assert_eq!(retry_after, "1");
    assert!(current.starts_with("\"cost\";r="), "{current}");
    assert!(body["data"].is_null(), "nothing ran: {body}");
    assert_eq!(body["extensions"]["cost"]["actualQueryCost"], Value::Null);

    // Somebody else (anonymous, by address) still has a full bucket.
    assert_eq!(post(&app, None, BOOKS).await.0, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _, body) = post(&app, Some(&ann), BOOKS).await;
    assert_eq!(status, 200, "refilled: {body}");
}

async fn over_websocket_a_refused_operation_errors_and_the_socket_stays_open(backend: Backend) {
    let app = spawn_app_with(backend, budget("20/60")).await;
    let (ann, _, _) = app.sign_up("Ann").await;
    let mut ws = app.ws_ready(Some(&ann)).await;
    let mut refused = None;
    for n in 0..40 {
        let id = format!("q{n}");
        TestApp::subscribe(&mut ws, &id, BOOKS, json!({})).await;
        let reply = ws.recv().await;
        if reply["type"] == "error" {
            refused = Some(reply);
            break;
        }
        assert_eq!(reply["type"], "next", "{reply}");
        assert!(
            reply["payload"]["extensions"]["cost"].is_object(),
            "{reply}"
        );
        ws.expect_type("complete").await;
    }
    let refused = refused.expect("the budget runs out");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "RATE_LIMITED");
    assert!(refused["payload"][0]["extensions"]["retryAfter"].as_u64() >= Some(1));
    ws.send(json!({"type": "ping"})).await;
    assert_eq!(ws.expect_type("pong").await["type"], "pong");
}

async fn with_rate_limits_off_nothing_is_refused(backend: Backend) {
    let app = spawn_app_with(backend, |config| {
        config.rate_limits.enabled = false;
        config.rate_limits.cost_budget = "5/100".parse().unwrap();
        config.rate_limits.signin_per_account = "1/100".parse().unwrap();
    })
    .await;
    let (_, _, email) = app.sign_up("Ann").await;
    for _ in 0..10 {
        let (status, _, body) = post(&app, None, BOOKS).await;
        assert_eq!(status, 200, "{body}");
    }
    for _ in 0..4 {
        let body = app
            .gql(
                "mutation($e: String!) { signIn(input: {email: $e, password: \"wrong-one\"}) { token } }",
                json!({ "e": email }),
            )
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    }
}

async fn a_subscription_says_its_cost_once_in_its_first_event(backend: Backend) {
    let app = spawn_app_with(backend, |config| config.rate_limits.enabled = true).await;
    let admin = app.admin_token().await;
    let mut ws = app.ws_ready(None).await;
    TestApp::subscribe(
        &mut ws,
        "a",
        "subscription { announcements { message } }",
        json!({}),
    )
    .await;
    let first = crate::helpers::announce_until_received(&app, &admin, &mut ws, "a").await;
    assert!(
        first["payload"]["extensions"]["cost"]["requestedQueryCost"].as_u64() > Some(0),
        "{first}"
    );
    crate::helpers::announce(&app, &admin, "second").await;
    let second = ws.expect_type("next").await;
    assert!(
        second["payload"]["extensions"]["cost"].is_null(),
        "{second}"
    );
}

crate::on_every_backend!(
    a_subscription_says_its_cost_once_in_its_first_event,
    every_response_carries_its_cost_and_the_rate_limit_headers,
    a_spent_budget_answers_429_until_it_refills_and_only_for_that_caller,
    over_websocket_a_refused_operation_errors_and_the_socket_stays_open,
    with_rate_limits_off_nothing_is_refused,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_split_over_two_instances_is_limited_as_one() {
    let rate = "100/1000".parse().unwrap();
    let Some((first, second)) = spawn_two_instances(|config| {
        config.rate_limits.enabled = true;
        config.rate_limits.cost_budget = rate;
    })
    .await
    else {
        return;
    };
    let (ann, _, _) = first.sign_up("Ann").await;
    let (mut spent, mut refused) = (0, None);
    for n in 0..60 {
        let app = if n % 2 == 0 { &first } else { &second };
        let (status, _, body) = post(app, Some(&ann), BOOKS).await;
        if status == 429 {
            refused = Some(n);
            break;
        }
        let cost = &body["extensions"]["cost"];
        spent += cost["actualQueryCost"].as_u64().unwrap();
        // Each instance reports the one bucket both draw from.
        assert_eq!(cost["throttleStatus"]["currentlyAvailable"], 100 - spent);
    }
    let refused = refused.expect("the one budget runs out");
    assert!(refused < 40, "two buckets would have lasted twice as long");
}

/// A TCP proxy to `upstream` that can be frozen: it then holds every connection open and passes
/// nothing on, as a Redis that hangs would.
async fn freezable_proxy(upstream: String) -> (String, Arc<AtomicBool>) {
    let frozen = Arc::new(AtomicBool::new(false));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let upstream = upstream.trim_start_matches("redis://").to_owned();
    let gate = frozen.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                continue;
            };
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            for (mut from, mut to) in [(client_read, server_write), (server_read, client_write)]
                .map(|(r, w)| {
                    (
                        Box::new(r) as Box<dyn tokio::io::AsyncRead + Send + Unpin>,
                        w,
                    )
                })
            {
                let gate = gate.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    while let Ok(n) = from.read(&mut buf).await {
                        while gate.load(Ordering::Relaxed) {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        if n == 0 || to.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        }
    });
    (format!("redis://{addr}"), frozen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_stops_answering_slows_no_request_and_limits_still_hold_per_instance() {
    let Some(Backend::Redis(url)) = Backend::redis() else {
        return;
    };
    let (proxy, frozen) = freezable_proxy(url).await;
    let app = spawn_app_with(Backend::Redis(proxy), budget("30/1000")).await;
    assert_eq!(post(&app, None, BOOKS).await.0, 200);
    frozen.store(true, Ordering::Relaxed);
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let (status, _, body) = post(&app, None, BOOKS).await;
        assert!(started.elapsed() < PATIENCE / 5, "{:?}", started.elapsed());
        assert!(body["extensions"]["cost"].is_object(), "{body}");
        statuses.push(status);
    }
    // The fallback counts from a full bucket on this instance, and still refuses when it is spent.
    assert_eq!(statuses[0], 200, "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    frozen.store(false, Ordering::Relaxed);
}
