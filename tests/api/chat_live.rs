//! Chat messages over WebSocket: they reach subscribers exactly once and in order, replayed after
//! a reconnect or a lost publish, across instances, in every conversation of a user, and at each
//! subscriber's own pace. The helpers that send and subscribe here serve chat_signals too.
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{
    Backend, Conversation, TestApp, WsClient, data, next_within, spawn_app, spawn_app_with,
    spawn_two_instances,
};

pub const ON_MESSAGE: &str =
    "subscription($c: ID, $a: Int) { messageAdded(conversationId: $c, afterSeq: $a) {
    id conversationId seq clientMessageId body sender { id } status } }";

pub async fn send(app: &TestApp, token: &str, conversation: &str, client_id: &str) -> Value {
    let body = app
        .gql_as(
            Some(token),
            "mutation($c: ID!, $k: String!) { sendMessage(input: {conversationId: $c, body: $k, clientMessageId: $k}) { seq } }",
            json!({ "c": conversation, "k": client_id }),
        )
        .await;
    data(&body, "sendMessage").clone()
}

/// Collects `messageAdded` payloads from `ws` until `count` arrived (panics after a quiet spell).
async fn messages(ws: &mut WsClient, count: usize) -> Vec<Value> {
    let mut out = Vec::new();
    while out.len() < count {
        let next = next_within(ws, Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("only {} of {count} messages arrived", out.len()));
        out.push(next["payload"]["data"]["messageAdded"].clone());
    }
    out
}

fn seqs(messages: &[Value]) -> Vec<i64> {
    messages
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect()
}

/// Sends `probe-N` messages until the subscription delivers one; returns the last seq it delivered.
pub async fn until_live(app: &TestApp, token: &str, conversation: &str, ws: &mut WsClient) -> i64 {
    for n in 0..25 {
        let seq = send(app, token, conversation, &format!("probe-{n}")).await["seq"]
            .as_i64()
            .unwrap();
        if let Some(next) = next_within(ws, Duration::from_millis(200)).await {
            // Drain what the probes before this one left.
            let mut last = next["payload"]["data"]["messageAdded"]["seq"]
                .as_i64()
                .unwrap();
            while last < seq {
                let next = next_within(ws, Duration::from_secs(5))
                    .await
                    .expect("the probes");
                last = next["payload"]["data"]["messageAdded"]["seq"]
                    .as_i64()
                    .unwrap();
            }
            return last;
        }
    }
    panic!("the subscription never went live");
}

async fn a_reconnecting_subscriber_gets_exactly_what_it_missed_then_live_messages(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let Conversation {
        id: conversation,
        members: [ann, bob],
    } = app.conversation_between(["Ann", "Bob"]).await;
    for n in 1..=5 {
        send(&app, &ann.token, &conversation, &format!("before-{n}")).await;
    }
    // Bob saw up to 2; he reconnects while Ann keeps sending.
    let mut ws = app.ws_ready(Some(&bob.token)).await;
    let sending = async {
        for n in 1..=20 {
            send(&app, &ann.token, &conversation, &format!("during-{n}")).await;
        }
    };
    TestApp::subscribe(
        &mut ws,
        "m",
        ON_MESSAGE,
        json!({ "c": conversation, "a": 2 }),
    )
    .await;
    let (received, ()) = tokio::join!(messages(&mut ws, 23), sending);
    assert_eq!(
        seqs(&received),
        (3..=25).collect::<Vec<i64>>(),
        "no gap, no repeat, in order"
    );
    assert_eq!(received[0]["body"], "before-3");
    assert!(
        next_within(&mut ws, Duration::from_millis(500))
            .await
            .is_none(),
        "nothing twice"
    );
}

async fn a_subscription_to_all_conversations_follows_new_ones_and_stops_for_those_left(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let Conversation {
        id: first,
        members: [ann, bob],
    } = app.conversation_between(["Ann", "Bob"]).await;
    let (cid, ..) = app.sign_up("Cid").await;
    let mut ws = app.ws_ready(Some(&bob.token)).await;
    TestApp::subscribe(&mut ws, "m", ON_MESSAGE, json!({ "c": null })).await;
    until_live(&app, &ann.token, &first, &mut ws).await;

    // A group Bob is put in after subscribing.
    let group = app.start_conversation(&cid, &[&bob.id, &ann.id]).await;
    send(&app, &cid, &group, "hello group").await;
    let got = messages(&mut ws, 1).await;
    assert_eq!(got[0]["conversationId"], group);
    assert_eq!(got[0]["body"], "hello group");

    // Bob leaves the group: nothing more from it, the direct conversation still flows.
    let body = app
        .gql_as(
            Some(&bob.token),
            "mutation($c: ID!) { leaveConversation(conversationId: $c) }",
            json!({ "c": group }),
        )
        .await;
    assert_eq!(body["data"]["leaveConversation"], true);
    send(&app, &cid, &group, "after Bob left").await;
    send(&app, &ann.token, &first, "still here").await;
    let got = messages(&mut ws, 1).await;
    assert_eq!(got[0]["body"], "still here");
    assert!(
        next_within(&mut ws, Duration::from_millis(500))
            .await
            .is_none()
    );
}

async fn a_message_whose_publish_was_lost_still_arrives(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.chat_beacon_interval = Duration::from_millis(300)
    })
    .await;
    let Conversation {
        id: conversation,
        members: [ann, bob],
    } = app.conversation_between(["Ann", "Bob"]).await;
    let mut ws = app.ws_ready(Some(&bob.token)).await;
    TestApp::subscribe(&mut ws, "m", ON_MESSAGE, json!({ "c": conversation })).await;
    let seen = until_live(&app, &ann.token, &conversation, &mut ws).await;

    // Stored, but announced on a bus nobody listens to: as if Ann's instance died right after
    // committing.
    let nowhere = folio::bus::MemoryBus::default();
    let lost = folio::services::chat::message::send_message(
        &app.state().db,
        &nowhere,
        ann.id.parse().unwrap(),
        conversation.parse().unwrap(),
        "the last words",
        "lost-1",
    )
    .await
    .unwrap();
    assert_eq!(lost.seq, seen + 1);
    let got = messages(&mut ws, 1).await;
    assert_eq!(got[0]["seq"], seen + 1);
    assert_eq!(got[0]["body"], "the last words");
}

async fn a_slow_subscriber_misses_nothing_and_does_not_delay_a_fast_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let Conversation {
        id: conversation,
        members: [ann, bob],
    } = app.conversation_between(["Ann", "Bob"]).await;
    let mut fast = app.ws_ready(Some(&bob.token)).await;
    let mut slow = app.ws_ready(Some(&bob.token)).await;
    TestApp::subscribe(
        &mut fast,
        "m",
        ON_MESSAGE,
        json!({ "c": conversation, "a": 0 }),
    )
    .await;
    TestApp::subscribe(
        &mut slow,
        "m",
        ON_MESSAGE,
        json!({ "c": conversation, "a": 0 }),
    )
    .await;
    // Big messages, far more than the socket buffers and the bus's per-subscriber buffer hold,
    // while the slow subscriber reads nothing.
    const COUNT: usize = 600;
    let body = "x".repeat(3900);
    let fast_reader = tokio::spawn(async move {
        let received = messages(&mut fast, COUNT).await;
        (received, tokio::time::Instant::now())
    });
    let sends = (0..COUNT).map(|n| {
        let (app, ann, conversation, body) = (&app, &ann.token, &conversation, &body);
        async move {
            app.gql_as(
                Some(ann),
                "mutation($c: ID!, $b: String!, $k: String!) { sendMessage(input: {conversationId: $c, body: $b, clientMessageId: $k}) { seq } }",
                json!({ "c": conversation, "b": format!("{n} {body}"), "k": format!("k{n}") }),
            )
            .await
        }
    });
    let mut pending: Vec<_> = sends.collect();
    while !pending.is_empty() {
        let rest = pending.split_off(pending.len().min(8));
        futures_util::future::join_all(pending).await;
        pending = rest;
    }
    let sent_all = tokio::time::Instant::now();
    let (fast_received, fast_done) = fast_reader.await.unwrap();
    assert_eq!(
        seqs(&fast_received),
        (1..=COUNT as i64).collect::<Vec<i64>>()
    );
    assert!(
        fast_done.saturating_duration_since(sent_all) < Duration::from_secs(3),
        "the fast subscriber was held back by the slow one"
    );
    // Now the slow one reads: everything, once, in order.
    let slow_received = messages(&mut slow, COUNT).await;
    assert_eq!(
        seqs(&slow_received),
        (1..=COUNT as i64).collect::<Vec<i64>>()
    );
    assert!(
        next_within(&mut slow, Duration::from_millis(500))
            .await
            .is_none()
    );
}

crate::on_every_backend!(
    a_message_whose_publish_was_lost_still_arrives,
    a_slow_subscriber_misses_nothing_and_does_not_delay_a_fast_one,
    a_reconnecting_subscriber_gets_exactly_what_it_missed_then_live_messages,
    a_subscription_to_all_conversations_follows_new_ones_and_stops_for_those_left,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_retried_on_both_instances_reach_a_subscriber_on_the_other_exactly_once_in_order() {
    let Some((a, b)) = spawn_two_instances(|_| {}).await else {
        return;
    };
    let Conversation {
        id: conversation,
        members: [ann, bob],
    } = a.conversation_between(["Ann", "Bob"]).await;
    let mut ws = b.ws_ready(Some(&bob.token)).await;
    TestApp::subscribe(
        &mut ws,
        "m",
        ON_MESSAGE,
        json!({ "c": conversation, "a": 0 }),
    )
    .await;
    // 150 messages, each sent on both instances at once (a client retrying elsewhere).
    let sends = (1..=150).map(|n| {
        let (a, b, ann, conversation) = (&a, &b, &ann.token, &conversation);
        async move {
            let key = format!("k{n}");
            let (x, y) = tokio::join!(
                send(a, ann, conversation, &key),
                send(b, ann, conversation, &key)
            );
            assert_eq!(x["seq"], y["seq"]);
        }
    });
    let sending = async {
        // Ten at a time, as a chatty client would.
        let mut pending = sends.collect::<Vec<_>>();
        while !pending.is_empty() {
            let rest = pending.split_off(pending.len().min(10));
            futures_util::future::join_all(pending).await;
            pending = rest;
        }
    };
    let (received, ()) = tokio::join!(messages(&mut ws, 150), sending);
    assert_eq!(seqs(&received), (1..=150).collect::<Vec<i64>>());
    assert!(
        next_within(&mut ws, Duration::from_millis(500))
            .await
            .is_none()
    );
    let page = b
        .gql_as(
            Some(&bob.token),
            "query($c: ID!) { conversation(id: $c) { lastSeq } }",
            json!({ "c": conversation }),
        )
        .await;
    assert_eq!(
        data(&page, "conversation")["lastSeq"],
        150,
        "history holds exactly 150"
    );
}
