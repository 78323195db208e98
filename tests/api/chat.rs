//! Chat over HTTP: conversations and members, what outsiders are refused, and the cost of a page
//! of conversations. The helpers that send and read messages here serve chat_messages too.
use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::{Backend, Conversation, TestApp, data, error_code, spawn_app};

const MESSAGE_VIEW: &str =
    "id conversationId seq clientMessageId body createdAt sender { id name } status";

async fn start(app: &TestApp, token: &str, members: &[&str], title: Option<&str>) -> Value {
    let body = app
        .gql_as(
            Some(token),
            "mutation($m: [ID!]!, $t: String) { createConversation(input: {memberIds: $m, title: $t}) {
               id kind title members { user { id name } } } }",
            json!({ "m": members, "t": title }),
        )
        .await;
    data(&body, "createConversation").clone()
}

pub async fn send(
    app: &TestApp,
    token: &str,
    conversation: &str,
    body: &str,
    client_id: &str,
) -> Value {
    app.gql_as(
        Some(token),
        &format!("mutation($c: ID!, $b: String!, $k: String!) {{
            sendMessage(input: {{conversationId: $c, body: $b, clientMessageId: $k}}) {{ {MESSAGE_VIEW} }} }}"),
        json!({ "c": conversation, "b": body, "k": client_id }),
    )
    .await
}

pub async fn history(app: &TestApp, token: &str, conversation: &str, args: Value) -> Value {
    let mut vars = args;
    vars["c"] = json!(conversation);
    app.gql_as(
        Some(token),
        &format!("query($c: ID!, $first: Int, $after: String, $last: Int, $before: String, $since: DateTime, $until: DateTime) {{
            conversation(id: $c) {{ id unreadCount
              messages(first: $first, after: $after, last: $last, before: $before, since: $since, until: $until) {{
                pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
                edges {{ cursor node {{ {MESSAGE_VIEW} }} }} }} }} }}"),
        vars,
    )
    .await
}

pub fn seqs(body: &Value) -> Vec<i64> {
    data(body, "conversation")["messages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["seq"].as_i64().unwrap())
        .collect()
}

async fn asking_twice_for_a_pair_returns_the_same_direct_conversation(backend: Backend) {
    let app = spawn_app(backend).await;
    let (ann, ann_id, _) = app.sign_up("Ann").await;
    let (bob, bob_id, _) = app.sign_up("Bob").await;
    let first = start(&app, &ann, &[&bob_id], None).await;
    assert_eq!(first["kind"], "DIRECT");
    let again = start(&app, &bob, &[&ann_id], Some("ignored")).await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["title"], Value::Null);
    let members: BTreeSet<&str> = first["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(members, BTreeSet::from([ann_id.as_str(), bob_id.as_str()]));
}

async fn groups_take_new_members_and_those_who_leave_are_shut_out(backend: Backend) {
    let app = spawn_app(backend).await;
    let (ann, ..) = app.sign_up("Ann").await;
    let (bob, bob_id, _) = app.sign_up("Bob").await;
    let (cid, cid_id, _) = app.sign_up("Cid").await;
    let (dee, dee_id, _) = app.sign_up("Dee").await;
    let group = start(&app, &ann, &[&bob_id, &cid_id], Some("Book club")).await;
    assert_eq!(group["kind"], "GROUP");
    assert_eq!(group["title"], "Book club");
    let conversation = group["id"].as_str().unwrap().to_owned();
    send(&app, &ann, &conversation, "before Dee", "k1").await;

    let added = app
        .gql_as(Some(&bob), "mutation($c: ID!, $u: [ID!]!) { addMembers(conversationId: $c, userIds: $u) { id members { user { id } } } }",
            json!({ "c": conversation, "u": [dee_id] }))
        .await;
    assert_eq!(
        data(&added, "addMembers")["members"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let seen_by_dee = history(&app, &dee, &conversation, json!({})).await;
    assert_eq!(
        seqs(&seen_by_dee),
        vec![1],
        "a new member reads the history"
    );
    assert_eq!(data(&seen_by_dee, "conversation")["unreadCount"], 0);

    let left = app
        .gql_as(
            Some(&cid),
            "mutation($c: ID!) { leaveConversation(conversationId: $c) }",
            json!({ "c": conversation }),
        )
        .await;
    assert_eq!(left["data"]["leaveConversation"], true);
    assert_eq!(
        error_code(&history(&app, &cid, &conversation, json!({})).await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&send(&app, &cid, &conversation, "hi", "k9").await),
        "FORBIDDEN"
    );
    let direct = start(&app, &ann, &[&bob_id], None).await["id"].clone();
    let refused = app
        .gql_as(
            Some(&ann),
            "mutation($c: ID!, $u: [ID!]!) { addMembers(conversationId: $c, userIds: $u) { id } }",
            json!({ "c": direct, "u": [dee_id] }),
        )
        .await;
    assert_eq!(error_code(&refused), "CONFLICT");
}

async fn outsiders_are_refused_everything_and_learn_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let Conversation {
        id: conversation,
        members: [ann, _],
    } = app.conversation_between(["Ann", "Bob"]).await;
    let (eve, ..) = app.sign_up("Eve").await;
    send(&app, &ann.token, &conversation, "secret", "k1").await;

    let read = history(&app, &eve, &conversation, json!({})).await;
    assert_eq!(error_code(&read), "FORBIDDEN");
    assert!(!read.to_string().contains("secret"));
    assert_eq!(
        error_code(&send(&app, &eve, &conversation, "hi", "k1").await),
        "FORBIDDEN"
    );
    let body = app
        .gql_as(
            Some(&eve),
            "mutation($c: ID!) { markRead(conversationId: $c, seq: 1) { lastReadSeq } }",
            json!({ "c": conversation }),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let mine = app
        .gql_as(
            Some(&eve),
            "{ conversations(first: 10) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&mine, "conversations")["totalCount"], 0);
    assert_eq!(
        error_code(&history(&app, &eve, "999999", json!({})).await),
        "NOT_FOUND"
    );
    let anonymous = app
        .gql("{ conversations(first: 1) { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
}

const MY_CONVERSATIONS: &str = "query($first: Int!) { conversations(first: $first) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id kind title unreadCount
      lastMessage { id conversationId seq clientMessageId body createdAt sender { id name } status }
      members { user { id name presence { status lastSeenAt } } lastDeliveredSeq lastReadSeq } } } } }";

async fn a_page_of_conversations_costs_the_same_few_statements_whatever_its_size(backend: Backend) {
    let app =
        crate::helpers::spawn_app_with(backend, crate::helpers::without_background_work).await;
    let (ann, ..) = app.sign_up("Ann").await;
    for n in 0..12 {
        let (_, other, _) = app.sign_up(&format!("Friend{n}")).await;
        let conversation = app.start_conversation(&ann, &[&other]).await;
        send(&app, &ann, &conversation, "hello", "k1").await;
    }
    let counter = app.state().sql_statements.clone();
    let cost = |first: i32| {
        let (app, ann, counter) = (&app, &ann, &counter);
        async move {
            let before = counter.get();
            let body = app
                .gql_as(Some(ann), MY_CONVERSATIONS, json!({ "first": first }))
                .await;
            assert_eq!(
                data(&body, "conversations")["edges"]
                    .as_array()
                    .unwrap()
                    .len(),
                first as usize
            );
            counter.get() - before
        }
    };
    let three = cost(3).await;
    let twelve = cost(12).await;
    assert_eq!(three, twelve, "the cost of a page grew with its size");
    // The page, the count, then one batch each: members, last messages, users.
    assert!(twelve <= 5, "a page cost {twelve} statements");
}

crate::on_every_backend!(
    a_page_of_conversations_costs_the_same_few_statements_whatever_its_size,
    asking_twice_for_a_pair_returns_the_same_direct_conversation,
    groups_take_new_members_and_those_who_leave_are_shut_out,
    outsiders_are_refused_everything_and_learn_nothing,
);
