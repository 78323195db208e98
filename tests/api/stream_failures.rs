//! Live streams that cannot read what they need end with an error saying so (and, for messages,
//! from which seq to resume), after sending what they had read; none goes on with a hole, and none
//! sends a message without its true status.
use std::future::Future;

use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use sea_orm::ConnectionTrait;

use folio::bus::{Delivery, Event, EventBus};
use folio::error::{Error, Result};

use crate::chat_live::send;
use crate::helpers::{Backend, Conversation, TestApp, spawn_app};

/// A bus whose every subscription starts with a gap (as after a Redis reconnect) and then hears
/// nothing: what a stream does on a gap is all a test of it sees.
struct GapBus;

#[async_trait::async_trait]
impl EventBus for GapBus {
    async fn publish(&self, _topic: &str, _event: &Event) -> Result<()> {
        Ok(())
    }

    fn subscribe(&self, _topic: &str) -> BoxStream<'static, Delivery> {
        stream::once(async { Delivery::Gap })
            .chain(stream::pending())
            .boxed()
    }

    async fn ping(&self) -> Result<()> {
        Ok(())
    }
}

/// Runs `step` while `table` is renamed away, then puts it back.
async fn without_table<T>(app: &TestApp, table: &str, step: impl Future<Output = T>) -> T {
    let db = &app.state().db;
    let away = format!("ALTER TABLE {table} RENAME TO {table}_away");
    let back = format!("ALTER TABLE {table}_away RENAME TO {table}");
    db.execute_unprepared(&away).await.unwrap();
    let out = step.await;
    db.execute_unprepared(&back).await.unwrap();
    out
}

/// Whether `stream` is over: it ends at once, rather than waiting for more.
async fn is_over<S: futures_util::Stream + Unpin>(stream: &mut S) -> bool {
    let next = tokio::time::timeout(std::time::Duration::from_secs(2), stream.next()).await;
    matches!(next, Ok(None))
}

fn interrupted(item: Option<Result<impl std::fmt::Debug>>) -> Option<i64> {
    match item.expect("the stream ends with an error, not silently") {
        Err(Error::StreamInterrupted { resume_after_seq }) => resume_after_seq,
        other => panic!("expected the stream to be interrupted, got {other:?}"),
    }
}

/// A stream that cannot read what a message's status is derived from must not guess one: it ends,
/// saying from which seq to resume, and a stream resumed from there gets every message.
async fn a_stream_that_cannot_read_statuses_ends_saying_where_to_resume(backend: Backend) {
    let app = spawn_app(backend).await;
    let Conversation {
        id: conversation,
        members: [ann, bob],
    } = app.conversation_between(["Ann", "Bob"]).await;
    send(&app, &ann.token, &conversation, "one").await;
    send(&app, &ann.token, &conversation, "two").await;
    let state = app.state();
    let (bob_id, conversation_id) = (bob.id.parse().unwrap(), conversation.parse().unwrap());
    let replay = |after| {
        folio::services::chat::stream::messages(
            state.db.clone(),
            &state.bus,
            bob_id,
            Some(conversation_id),
            Some(after),
            None,
        )
    };
    let mut stream = Box::pin(replay(0).await.unwrap());
    let first = without_table(&app, "conversation_members", stream.next()).await;
    let error = first
        .expect("the stream ends with an error, not silently")
        .expect_err("no message goes out without its true status");
    assert!(
        matches!(
            error,
            folio::error::Error::StreamInterrupted {
                resume_after_seq: Some(0)
            }
        ),
        "{error:?}"
    );
    assert!(is_over(&mut stream).await, "nothing follows the error");
    let mut resumed = Box::pin(replay(0).await.unwrap());
    for seq in [1, 2] {
        let (message, _) = resumed.next().await.unwrap().unwrap();
        assert_eq!(message.seq, seq);
    }
}

/// Of two conversations caught up after a gap, the one read before the failure still arrives, and
/// the error comes after it, naming where the failing one stood. (SQLite only: a row whose time
/// cannot be read is how one conversation's messages fail while another's do not.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_was_read_before_a_failure_arrives_before_the_error() {
    let app = spawn_app(Backend::Sqlite).await;
    let Conversation {
        id: group,
        members: [ann, bob, _cid],
    } = app.conversation_between(["Ann", "Bob", "Cid"]).await;
    let direct = app.start_conversation(&ann.token, &[&bob.id]).await;
    let state = app.state();
    let gap_bus: folio::bus::SharedBus = std::sync::Arc::new(GapBus);
    let bob_id = bob.id.parse().unwrap();
    let mut stream = Box::pin(
        folio::services::chat::stream::messages(
            state.db.clone(),
            &gap_bus,
            bob_id,
            None,
            None,
            None,
        )
        .await
        .unwrap(),
    );
    send(&app, &ann.token, &group, "in the group").await;
    send(&app, &ann.token, &direct, "between two").await;
    let unreadable =
        format!("UPDATE messages SET created_at = 'garbage' WHERE conversation_id = {direct}");
    state.db.execute_unprepared(&unreadable).await.unwrap();

    let (first, _) = stream.next().await.unwrap().unwrap();
    assert_eq!(first.body, "in the group");
    assert_eq!(interrupted(stream.next().await), Some(0));
    assert!(is_over(&mut stream).await, "nothing follows the error");
}

/// A receipt stream that cannot read the watermarks after a gap ends, and stays ended.
async fn a_receipt_stream_that_cannot_catch_up_ends(backend: Backend) {
    let app = spawn_app(backend).await;
    let Conversation {
        id: conversation,
        members: [_ann, bob],
    } = app.conversation_between(["Ann", "Bob"]).await;
    let state = app.state();
    let gap_bus: folio::bus::SharedBus = std::sync::Arc::new(GapBus);
    let mut receipts = Box::pin(
        folio::services::chat::receipt::receipts(
            state.db.clone(),
            &gap_bus,
            bob.id.parse().unwrap(),
            conversation.parse().unwrap(),
        )
        .await
        .unwrap(),
    );
    let first = without_table(&app, "conversation_members", receipts.next()).await;
    assert_eq!(interrupted(first), None);
    assert!(is_over(&mut receipts).await, "nothing follows the error");
}

/// Price and stock streams that cannot read the books they follow end, and stay ended.
async fn price_and_stock_streams_that_cannot_read_end(backend: Backend) {
    use folio::services::updates::live::{PriceInterest, price_updates, stock_updates};

    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let book: i64 = app.stocked_book(&admin, "9.00", 3).await.parse().unwrap();
    let state = app.state();
    let gap_bus: folio::bus::SharedBus = std::sync::Arc::new(GapBus);
    let mut prices = Box::pin(price_updates(
        state.db.clone(),
        &gap_bus,
        PriceInterest::Books([book].into()),
    ));
    let first = without_table(&app, "books", prices.next()).await;
    assert_eq!(interrupted(first), None);
    assert!(is_over(&mut prices).await, "nothing follows the error");

    let mut levels = Box::pin(stock_updates(state.db.clone(), &gap_bus, vec![book]));
    let first = without_table(&app, "stock", levels.next()).await;
    assert_eq!(interrupted(first), None);
    assert!(is_over(&mut levels).await, "nothing follows the error");
}

crate::on_every_backend!(
    a_stream_that_cannot_read_statuses_ends_saying_where_to_resume,
    a_receipt_stream_that_cannot_catch_up_ends,
    price_and_stock_streams_that_cannot_read_end,
);
