//! Chat's live signals besides messages: read receipts and typing (which lapses by itself), and
//! that none of a conversation's events reach those outside it.
use std::time::Duration;

use serde_json::json;

use crate::chat_live::{ON_MESSAGE, send};
use crate::helpers::{Backend, Conversation, TestApp, next_within, spawn_app, spawn_app_with};

async fn outsiders_cannot_subscribe_to_a_conversation(backend: Backend) {
    let app = spawn_app(backend).await;
    let Conversation {
        id: conversation,
        members: [ann, _],
    } = app.conversation_between(["Ann", "Bob"]).await;
    let (eve, ..) = app.sign_up("Eve").await;
    let mut ws = app.ws_ready(Some(&eve)).await;
    for (id, query) in [
        ("m", ON_MESSAGE),
        (
            "r",
            "subscription($c: ID!) { readReceipt(conversationId: $c) { lastReadSeq } }",
        ),
        (
            "t",
            "subscription($c: ID!) { typing(conversationId: $c) { isTyping } }",
        ),
    ] {
        TestApp::subscribe(&mut ws, id, query, json!({ "c": conversation })).await;
        let reply = ws.recv().await;
        assert_eq!(reply["type"], "error", "{reply}");
        assert_eq!(reply["payload"][0]["extensions"]["code"], "FORBIDDEN");
    }
    send(&app, &ann.token, &conversation, "secret").await;
    assert!(
        next_within(&mut ws, Duration::from_millis(500))
            .await
            .is_none()
    );
}

async fn read_receipts_reach_the_other_members(backend: Backend) {
    let app = spawn_app(backend).await;
    let Conversation {
        id: conversation,
        members: [ann, bob],
    } = app.conversation_between(["Ann", "Bob"]).await;
    for n in 1..=3 {
        send(&app, &ann.token, &conversation, &format!("m{n}")).await;
    }
    let mut ws = app.ws_ready(Some(&ann.token)).await;
    let query = "subscription($c: ID!) { readReceipt(conversationId: $c) { conversationId user { id } lastDeliveredSeq lastReadSeq } }";
    TestApp::subscribe(&mut ws, "r", query, json!({ "c": conversation })).await;
    let mut seq = 0;
    let receipt = crate::helpers::change_until_next(&mut ws, "r", || {
        seq += 1;
        let (app, bob, conversation, seq) = (&app, &bob.token, &conversation, seq);
        async move {
            app.gql_as(Some(bob), "mutation($c: ID!, $s: Int!) { markRead(conversationId: $c, seq: $s) { lastReadSeq } }",
                json!({ "c": conversation, "s": seq.min(3) }))
                .await;
        }
    })
    .await;
    let receipt = &receipt["readReceipt"];
    assert_eq!(receipt["user"]["id"], bob.id);
    assert_eq!(receipt["conversationId"], conversation);
    assert!(receipt["lastReadSeq"].as_i64().unwrap() >= 1);
    assert_eq!(receipt["lastDeliveredSeq"], receipt["lastReadSeq"]);
}

async fn typing_arrives_and_lapses_by_itself(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.typing_lapse = Duration::from_millis(600)).await;
    let Conversation {
        id: conversation,
        members: [ann, bob],
    } = app.conversation_between(["Ann", "Bob"]).await;
    let mut ws = app.ws_ready(Some(&bob.token)).await;
    let query = "subscription($c: ID!) { typing(conversationId: $c) { conversationId user { id name } isTyping } }";
    TestApp::subscribe(&mut ws, "t", query, json!({ "c": conversation })).await;
    let typing = "mutation($c: ID!, $t: Boolean!) { setTyping(conversationId: $c, isTyping: $t) }";
    let started = crate::helpers::change_until_next(&mut ws, "t", || async {
        app.gql_as(
            Some(&ann.token),
            typing,
            json!({ "c": conversation, "t": true }),
        )
        .await;
    })
    .await;
    assert_eq!(started["typing"]["isTyping"], true);
    assert_eq!(started["typing"]["user"]["name"], "Ann");
    // Nobody says stop: the server does, once the lapse is over.
    let stopped = next_within(&mut ws, Duration::from_secs(3))
        .await
        .expect("the lapse");
    assert_eq!(stopped["payload"]["data"]["typing"]["isTyping"], false);
    assert!(
        next_within(&mut ws, Duration::from_millis(800))
            .await
            .is_none()
    );
    // A stop is passed on as it comes.
    app.gql_as(
        Some(&ann.token),
        typing,
        json!({ "c": conversation, "t": true }),
    )
    .await;
    assert_eq!(
        next_within(&mut ws, Duration::from_secs(3)).await.unwrap()["payload"]["data"]["typing"]["isTyping"],
        true
    );
    app.gql_as(
        Some(&ann.token),
        typing,
        json!({ "c": conversation, "t": false }),
    )
    .await;
    assert_eq!(
        next_within(&mut ws, Duration::from_secs(3)).await.unwrap()["payload"]["data"]["typing"]["isTyping"],
        false
    );
}

crate::on_every_backend!(
    outsiders_cannot_subscribe_to_a_conversation,
    read_receipts_reach_the_other_members,
    typing_arrives_and_lapses_by_itself,
);
