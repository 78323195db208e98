//! Chat over HTTP: conversations and members, sending with a gapless seq and deduplicated retries,
//! history by seq and time, watermarks and message status, and what outsiders are refused.
use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::{
    Backend, Conversation, TestApp, data, error_code, spawn_app, spawn_two_instances,
};

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

async fn send(
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

async fn history(app: &TestApp, token: &str, conversation: &str, args: Value) -> Value {
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

fn seqs(body: &Value) -> Vec<i64> {
    data(body, "conversation")["messages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["seq"].as_i64().unwrap())
        .collect()
}

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
    messages_get_a_gapless_seq_and_a_retry_returns_the_stored_one,
    concurrent_sends_and_their_retries_make_one_message_each_in_gapless_order,
    history_pages_back_from_the_newest_and_narrows_by_time,
    watermarks_only_move_forward_and_turn_the_senders_status_to_read,
    groups_take_new_members_and_those_who_leave_are_shut_out,
    outsiders_are_refused_everything_and_learn_nothing,
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
