//! The `folio` binary as a user runs it: the CLI, SIGTERM draining, and two instances sharing
//! PostgreSQL and Redis.
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{PgDatabase, WsClient, unique};

/// A `folio serve` child process, killed when dropped.
struct Instance {
    child: Child,
    url: String,
}

impl Instance {
    /// Starts `folio serve` on port 0 with `env`, and waits for its banner to learn the address.
    fn start(data_dir: &std::path::Path, env: &[(&str, &str)]) -> Instance {
        let mut command = Command::new(env!("CARGO_BIN_EXE_folio"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--no-demo"])
            .arg("--data-dir")
            .arg(data_dir)
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .env("FOLIO_JWT_SECRET", "shared-test-secret")
            .env("FOLIO_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("folio starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("folio printed its banner")
                .expect("a line of output");
            if let Some(rest) = line.strip_prefix("Folio is listening on ") {
                break rest.trim().trim_end_matches('/').to_owned();
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Instance { child, url }
    }

    fn ws_url(&self) -> String {
        format!("{}/graphql", self.url.replacen("http", "ws", 1))
    }

    async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = reqwest::Client::new()
            .post(format!("{}/graphql", self.url))
            .json(&json!({"query": query, "variables": variables}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap().json().await.unwrap()
    }

    /// Sends SIGTERM and waits (bounded) for the exit status.
    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("folio did not exit within 10 s of SIGTERM");
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn folio(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .expect("folio runs")
}

#[test]
fn folio_schema_prints_the_sdl_without_a_database() {
    let output = folio(&["schema"]);
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        folio::graphql::sdl()
    );
}

#[tokio::test]
async fn an_admin_created_on_the_command_line_can_sign_in_and_announce() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let created = folio(&[
        "user",
        "create",
        "--email",
        "Boss@Example.com",
        "--password",
        "password123",
        "--name",
        "Boss",
        "--admin",
        "--data-dir",
        data_dir,
    ]);
    assert!(created.status.success(), "{created:?}");
    let duplicate = folio(&[
        "user",
        "create",
        "--email",
        "boss@example.com",
        "--password",
        "password123",
        "--name",
        "Boss",
        "--data-dir",
        data_dir,
    ]);
    assert!(!duplicate.status.success());

    let instance = Instance::start(dir.path(), &[]);
    let signed_in = instance
        .gql(
            None,
            "mutation { signIn(input: {email: \"boss@example.com\", password: \"password123\"}) { token user { role } } }",
            json!({}),
        )
        .await;
    assert_eq!(signed_in["data"]["signIn"]["user"]["role"], "ADMIN");
    let token = signed_in["data"]["signIn"]["token"].as_str().unwrap();
    let announced = instance
        .gql(
            Some(token),
            "mutation { announce(message: \"hi\") { message } }",
            json!({}),
        )
        .await;
    assert_eq!(announced["data"]["announce"]["message"], "hi");
}

#[tokio::test]
async fn sigterm_closes_sockets_with_1001_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut instance = Instance::start(dir.path(), &[]);
    let mut ws = WsClient::connect(&instance.ws_url(), "graphql-transport-ws").await;
    ws.send(json!({"type": "connection_init"})).await;
    ws.expect_type("connection_ack").await;
    let status = tokio::task::spawn_blocking(move || {
        let status = instance.terminate();
        drop(instance);
        status
    });
    assert_eq!(ws.expect_close().await.0, 1001);
    assert!(status.await.unwrap().success());
}

#[tokio::test]
async fn an_event_published_on_one_instance_reaches_a_subscriber_on_another() {
    let (Ok(pg_url), Ok(redis_url)) = (
        std::env::var("FOLIO_TEST_DATABASE_URL"),
        std::env::var("FOLIO_TEST_REDIS_URL"),
    ) else {
        crate::helpers::say_once_skipped(
            "FOLIO_TEST_DATABASE_URL and FOLIO_TEST_REDIS_URL are not both set: the two-instance test is skipped",
        );
        return;
    };
    let db = PgDatabase::create(&pg_url).await;
    let prefix = unique("folio_test");
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("REDIS_URL", redis_url.as_str()),
        ("FOLIO_BUS_PREFIX", prefix.as_str()),
    ];
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Instance::start(dir_a.path(), &env);
    let b = Instance::start(dir_b.path(), &env);

    // An admin created through instance A's database is known to B: they share PostgreSQL.
    let created = folio(&[
        "user",
        "create",
        "--email",
        "ops@example.com",
        "--password",
        "password123",
        "--name",
        "Ops",
        "--admin",
        "--database-url",
        &db.url,
    ]);
    assert!(created.status.success(), "{created:?}");
    let signed_in = b
        .gql(
            None,
            "mutation { signIn(input: {email: \"ops@example.com\", password: \"password123\"}) { token } }",
            json!({}),
        )
        .await;
    let token = signed_in["data"]["signIn"]["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut ws = WsClient::connect(&b.ws_url(), "graphql-transport-ws").await;
    ws.send(json!({"type": "connection_init"})).await;
    ws.expect_type("connection_ack").await;
    ws.send(json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { announcements { message } }"}}))
        .await;
    // Publish on A until B's subscriber (live a moment after subscribe) sees it.
    let deadline = tokio::time::Instant::now() + crate::helpers::PATIENCE;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "nothing crossed from A to B"
        );
        let body = a
            .gql(
                Some(&token),
                "mutation { announce(message: \"from A\") { message } }",
                json!({}),
            )
            .await;
        assert_eq!(body["data"]["announce"]["message"], "from A", "{body}");
        if let Some(frame) = ws.next_frame(Duration::from_millis(200)).await {
            let value: Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
            if value["type"] == "next" {
                assert_eq!(
                    value["payload"]["data"]["announcements"]["message"],
                    "from A"
                );
                break;
            }
        }
    }
}

#[tokio::test]
async fn the_users_of_a_killed_instance_go_offline_by_themselves() {
    let (Ok(pg_url), Ok(redis_url)) = (
        std::env::var("FOLIO_TEST_DATABASE_URL"),
        std::env::var("FOLIO_TEST_REDIS_URL"),
    ) else {
        crate::helpers::say_once_skipped(
            "FOLIO_TEST_DATABASE_URL and FOLIO_TEST_REDIS_URL are not both set: the two-instance test is skipped",
        );
        return;
    };
    let db = PgDatabase::create(&pg_url).await;
    let prefix = unique("folio_test");
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("REDIS_URL", redis_url.as_str()),
        ("FOLIO_BUS_PREFIX", prefix.as_str()),
        ("FOLIO_PRESENCE_TTL", "3"),
        ("FOLIO_PRESENCE_GRACE", "1"),
    ];
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Instance::start(dir_a.path(), &env);
    let mut b = Instance::start(dir_b.path(), &env);
    let sign_up = |name: &'static str| {
        let a = &a;
        async move {
            let body = a
                .gql(
                    None,
                    "mutation($e: String!, $n: String!) { signUp(input: {email: $e, password: \"password123\", name: $n}) { token user { id } } }",
                    json!({ "e": format!("{}@example.com", unique(name)), "n": name }),
                )
                .await;
            let payload = &body["data"]["signUp"];
            (
                payload["token"].as_str().unwrap().to_owned(),
                payload["user"]["id"].as_str().unwrap().to_owned(),
            )
        }
    };
    let (ann, _) = sign_up("ann").await;
    let (bob, bob_id) = sign_up("bob").await;
    let presence = "query($u: [ID!]!) { users(ids: $u) { presence { status } } }";

    let mut watcher = WsClient::connect(&a.ws_url(), "graphql-transport-ws").await;
    watcher
        .send(json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {ann}")}}))
        .await;
    watcher.expect_type("connection_ack").await;
    watcher
        .send(json!({"id": "p", "type": "subscribe", "payload": {
            "query": "subscription($u: [ID!]!) { presenceChanged(userIds: $u) { status } }",
            "variables": {"u": [bob_id]}}}))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut bobs_socket = WsClient::connect(&b.ws_url(), "graphql-transport-ws").await;
    bobs_socket
        .send(json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {bob}")}}))
        .await;
    bobs_socket.expect_type("connection_ack").await;
    let online = crate::helpers::next_within(&mut watcher, Duration::from_secs(5))
        .await
        .expect("ONLINE crosses to the other instance");
    assert_eq!(
        online["payload"]["data"]["presenceChanged"]["status"],
        "ONLINE"
    );
    let body = a.gql(Some(&ann), presence, json!({ "u": [bob_id] })).await;
    assert_eq!(body["data"]["users"][0]["presence"]["status"], "ONLINE");

    // Instance B dies without a word: no close frames, no grace timers, no goodbye.
    b.child.kill().unwrap();
    let _ = b.child.wait();
    let offline = crate::helpers::next_within(&mut watcher, Duration::from_secs(10))
        .await
        .expect("OFFLINE once B's heartbeats stop");
    assert_eq!(
        offline["payload"]["data"]["presenceChanged"]["status"],
        "OFFLINE"
    );
    let body = a.gql(Some(&ann), presence, json!({ "u": [bob_id] })).await;
    assert_eq!(body["data"]["users"][0]["presence"]["status"], "OFFLINE");
    drop(bobs_socket);
}
