//! Chat messages over HTTP: sending with a gapless seq and deduplicated retries, on one instance
//! or two, history by seq and time, and watermarks with the message status they make.
use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::chat::{history, send, seqs};
use crate::helpers::{
    Backend, Conversation, TestApp, data, error_code, spawn_app, spawn_two_instances,
};

async fn mark(app: &TestApp, token: &str, which: &str, conversation: &str, seq: i64) -> Value {
    let body = app
        .gql_as(
            Some(token),
            &format!("mutation($c: ID!, $s: Int!) {{ {which}(conversationId: $c, seq: $s) {{ lastDeliveredSeq lastReadSeq }} }}"),
            json!({ "c": conversation, "s": seq }),
        )
        .await;
    data(&body, which).clone()
}

async fn messages_get_a_gapless_seq_and_a_retry_returns_the_stored_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let Conversation {
        id: conversation,
        members: [ann, _],
    } = app.conversation_between(["Ann", "Bob"]).await;
    let first = send(&app, &ann.token, &conversation, "  hello\r\nthere  ", "m-1").await;
    let first = data(&first, "sendMessage").clone();
    assert_eq!(first["seq"], 1);
    assert_eq!(first["body"], "hello\nthere");
    assert_eq!(first["status"], "SENT");
    let retry = send(&app, &ann.token, &conversation, "hello again", "m-1").await;
    assert_eq!(data(&retry, "sendMessage")["id"], first["id"]);
    assert_eq!(data(&retry, "sendMessage")["seq"], 1);
    let second = send(&app, &ann.token, &conversation, "second", "m-2").await;
    assert_eq!(data(&second, "sendMessage")["seq"], 2);
    assert_eq!(
        seqs(&history(&app, &ann.token, &conversation, json!({})).await),
        vec![1, 2]
    );

    for (body, field) in [("", "body"), ("bell \u{7}", "body")] {
        let refused = send(&app, &ann.token, &conversation, body, "m-3").await;
        assert_eq!(
            refused["errors"][0]["extensions"]["field"], field,
            "{refused}"
        );
    }
    let long = send(&app, &ann.token, &conversation, &"x".repeat(4001), "m-3").await;
    assert_eq!(error_code(&long), "BAD_USER_INPUT");
    assert_eq!(
        seqs(&history(&app, &ann.token, &conversation, json!({})).await),
        vec![1, 2]
    );
}

async fn concurrent_sends_and_their_retries_make_one_message_each_in_gapless_order(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let Conversation {
        id: conversation,
        members: [ann, bob],
    } = app.conversation_between(["Ann", "Bob"]).await;
    // 30 messages from each, every one sent twice at once.
    let sends = (0..30).flat_map(|n| {
        let (app, conversation) = (&app, &conversation);
        let (ann, bob) = (&ann.token, &bob.token);
        [ann, ann, bob, bob].into_iter().map(move |who| async move {
            send(
                app,
                who,
                conversation,
                &format!("message {n}"),
                &format!("c-{n}"),
            )
            .await
        })
    });
    let results = futures_util::future::join_all(sends).await;
    assert!(
        results.iter().all(|r| r["data"]["sendMessage"].is_object()),
        "every send succeeds"
    );
    let ids: BTreeSet<&str> = results
        .iter()
        .map(|r| r["data"]["sendMessage"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 60, "each retry returned its first message");
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = history(
            &app,
            &bob.token,
            &conversation,
            json!({ "first": 25, "after": after }),
        )
        .await;
        all.extend(seqs(&page));
        let info = &data(&page, "conversation")["messages"]["pageInfo"];
        if info["hasNextPage"] != true {
            break;
        }
        after = info["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(all, (1..=60).collect::<Vec<i64>>());
}

async fn history_pages_back_from_the_newest_and_narrows_by_time(backend: Backend) {
    let app = spawn_app(backend).await;
    let Conversation {
        id: conversation,
        members: [ann, _],
    } = app.conversation_between(["Ann", "Bob"]).await;
    let mut stamps = Vec::new();
    for n in 1..=7 {
        let sent = send(
            &app,
            &ann.token,
            &conversation,
            &format!("m{n}"),
            &format!("k{n}"),
        )
        .await;
        stamps.push(
            data(&sent, "sendMessage")["createdAt"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let newest = history(&app, &ann.token, &conversation, json!({ "last": 3 })).await;
    assert_eq!(seqs(&newest), vec![5, 6, 7]);
    let info = &data(&newest, "conversation")["messages"]["pageInfo"];
    assert_eq!(info["hasPreviousPage"], true);
    let older = history(
        &app,
        &ann.token,
        &conversation,
        json!({ "last": 3, "before": info["startCursor"] }),
    )
    .await;
    assert_eq!(seqs(&older), vec![2, 3, 4]);
    let oldest = history(&app, &ann.token, &conversation,
        json!({ "last": 3, "before": data(&older, "conversation")["messages"]["pageInfo"]["startCursor"] })).await;
    assert_eq!(seqs(&oldest), vec![1]);
    assert_eq!(
        data(&oldest, "conversation")["messages"]["pageInfo"]["hasPreviousPage"],
        false
    );

    let window = history(
        &app,
        &ann.token,
        &conversation,
        json!({ "first": 10, "since": stamps[2], "until": stamps[5] }),
    )
    .await;
    assert_eq!(seqs(&window), vec![3, 4, 5]);
    let both = history(
        &app,
        &ann.token,
        &conversation,
        json!({ "first": 2, "last": 2 }),
    )
    .await;
    assert_eq!(error_code(&both), "BAD_USER_INPUT");
}

async fn watermarks_only_move_forward_and_turn_the_senders_status_to_read(backend: Backend) {
    let app = spawn_app(backend).await;
    let Conversation {
        id: conversation,
        members: [ann, bob],
    } = app.conversation_between(["Ann", "Bob"]).await;
    for n in 1..=4 {
        send(
            &app,
            &ann.token,
            &conversation,
            &format!("m{n}"),
            &format!("k{n}"),
        )
        .await;
    }
    let unread = |body: &Value| data(body, "conversation")["unreadCount"].as_i64().unwrap();
    assert_eq!(
        unread(&history(&app, &bob.token, &conversation, json!({})).await),
        4
    );
    assert_eq!(
        unread(&history(&app, &ann.token, &conversation, json!({})).await),
        0,
        "own messages are read"
    );

    assert_eq!(
        mark(&app, &bob.token, "markDelivered", &conversation, 3).await,
        json!({ "lastDeliveredSeq": 3, "lastReadSeq": 0 })
    );
    assert_eq!(
        mark(&app, &bob.token, "markDelivered", &conversation, 1).await["lastDeliveredSeq"],
        3,
        "a lower seq is ignored"
    );
    assert_eq!(
        mark(&app, &bob.token, "markRead", &conversation, 2).await,
        json!({ "lastDeliveredSeq": 3, "lastReadSeq": 2 })
    );
    let statuses: Vec<Value> = data(
        &history(&app, &ann.token, &conversation, json!({})).await,
        "conversation",
    )["messages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["status"].clone())
        .collect();
    assert_eq!(statuses, vec!["READ", "READ", "DELIVERED", "SENT"]);
    assert_eq!(
        unread(&history(&app, &bob.token, &conversation, json!({})).await),
        2
    );

    assert_eq!(
        mark(&app, &bob.token, "markRead", &conversation, 99).await,
        json!({ "lastDeliveredSeq": 4, "lastReadSeq": 4 }),
        "clamped to the newest message"
    );
    assert_eq!(
        unread(&history(&app, &bob.token, &conversation, json!({})).await),
        0
    );
    let negative = app
        .gql_as(
            Some(&bob.token),
            "mutation($c: ID!) { markRead(conversationId: $c, seq: -1) { lastReadSeq } }",
            json!({ "c": conversation }),
        )
        .await;
    assert_eq!(error_code(&negative), "BAD_USER_INPUT");
}

crate::on_every_backend!(
    messages_get_a_gapless_seq_and_a_retry_returns_the_stored_one,
    concurrent_sends_and_their_retries_make_one_message_each_in_gapless_order,
    history_pages_back_from_the_newest_and_narrows_by_time,
    watermarks_only_move_forward_and_turn_the_senders_status_to_read,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_retried_on_both_instances_are_stored_once_each_in_gapless_order() {
    let Some((a, b)) = spawn_two_instances(|_| {}).await else {
        return;
    };
    let Conversation {
        id: conversation,
        members: [ann, _],
    } = a.conversation_between(["Ann", "Bob"]).await;
    let sends = (0..40).flat_map(|n| {
        let (a, b, ann, conversation) = (&a, &b, &ann.token, &conversation);
        [a, b].into_iter().map(move |app| async move {
            send(app, ann, conversation, &format!("m{n}"), &format!("k{n}")).await
        })
    });
    let results = futures_util::future::join_all(sends).await;
    assert!(results.iter().all(|r| r["data"]["sendMessage"].is_object()));
    let page = history(&b, &ann.token, &conversation, json!({ "first": 100 })).await;
    assert_eq!(seqs(&page), (1..=40).collect::<Vec<i64>>());
}
