//! Checkout, payment and orders: one order and one charge per idempotency key however it is
//! repeated, declined and flaky cards, recovery after a crash, order history, cancelling.
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use folio::payment::{Charge, ChargeRequest, PaymentError, PaymentProvider, SimulatedProvider};
use serde_json::{Value, json};

use crate::cart::{add, cart};
use crate::helpers::{
    Backend, PATIENCE, TestApp, data, error_code, spawn_app, spawn_two_instances,
};

const CHECKOUT: &str = "mutation($k: String!, $t: String!) {
  checkout(input: { idempotencyKey: $k, payment: { token: $t } }) {
    id status total { amount currency } items { book { id title } title quantity unitPrice { amount currency } }
    payment { status reference } createdAt } }";

async fn checkout(app: &TestApp, token: &str, key: &str, card: &str) -> Value {
    app.gql_as(Some(token), CHECKOUT, json!({ "k": key, "t": card }))
        .await
}

fn ledger(app: &TestApp) -> SimulatedProvider {
    SimulatedProvider::new(app.state().db.clone())
}

async fn orders(app: &TestApp, token: &str) -> Value {
    let body = app
        .gql_as(
            Some(token),
            "{ orders(first: 10) { totalCount pageInfo { hasNextPage endCursor }
               edges { node { id status total { amount currency } createdAt } } } }",
            json!({}),
        )
        .await;
    data(&body, "orders").clone()
}

/// A reader's paid order for `bought` units of a book stocked with `stocked` in one warehouse.
struct PaidOrder {
    admin: String,
    token: String,
    book: String,
    warehouse: String,
    id: String,
}

async fn a_paid_order(app: &TestApp, stocked: i32, bought: i32) -> PaidOrder {
    let admin = app.admin_token().await;
    let (token, ..) = app.sign_up("Reader").await;
    let book = app.book(&admin, "5.00").await;
    let warehouse = app.warehouse(&admin).await;
    app.set_stock(&admin, &book, &warehouse, stocked).await;
    add(app, &token, &book, bought).await;
    let body = checkout(app, &token, "key-1", "tok_visa").await;
    assert_eq!(data(&body, "checkout")["status"], "PAID");
    let id = data(&body, "checkout")["id"].as_str().unwrap().to_owned();
    PaidOrder {
        admin,
        token,
        book,
        warehouse,
        id,
    }
}

const CANCEL: &str = "mutation($id: ID!) { cancelOrder(id: $id) { id status payment { status } } }";

async fn twelve_concurrent_checkouts_with_one_key_make_one_order_and_one_charge(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (token, ..) = app.sign_up("Reader").await;
    let book = app.stocked_book(&admin, "12.99", 10).await;
    add(&app, &token, &book, 3).await;

    let attempts = (0..12).map(|_| checkout(&app, &token, "key-1", "tok_visa"));
    let results = futures_util::future::join_all(attempts).await;

    let ids: Vec<&Value> = results.iter().map(|r| &data(r, "checkout")["id"]).collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "every repeat returns the same order"
    );
    let order = data(&results[0], "checkout");
    assert_eq!(order["status"], "PAID");
    assert_eq!(order["total"]["amount"], "38.97");
    assert_eq!(order["payment"]["status"], "SUCCEEDED");
    assert_eq!(ledger(&app).charge_count().await.unwrap(), 1, "one charge");
    assert_eq!(orders(&app, &token).await["totalCount"], 1, "one order");
    assert_eq!(app.stock_of(&book).await, (7, vec![(7, 0)]), "three sold");
    assert_eq!(cart(&app, &token).await["itemCount"], 0);
}

async fn the_same_key_with_another_cart_conflicts(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (token, ..) = app.sign_up("Reader").await;
    let book = app.stocked_book(&admin, "5.00", 10).await;
    add(&app, &token, &book, 1).await;
    data(
        &checkout(&app, &token, "key-1", "tok_visa").await,
        "checkout",
    );

    add(&app, &token, &book, 2).await;
    let body = checkout(&app, &token, "key-1", "tok_visa").await;
    assert_eq!(error_code(&body), "IDEMPOTENCY_CONFLICT");
    assert_eq!(
        cart(&app, &token).await["itemCount"],
        2,
        "the new cart is untouched"
    );
    assert_eq!(ledger(&app).charge_count().await.unwrap(), 1);
    // Another key checks the new cart out.
    let second = checkout(&app, &token, "key-2", "tok_visa").await;
    assert_eq!(data(&second, "checkout")["status"], "PAID");
    assert_eq!(orders(&app, &token).await["totalCount"], 2);
}

async fn a_declined_card_keeps_the_cart_and_its_holds(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (token, ..) = app.sign_up("Reader").await;
    let book = app.stocked_book(&admin, "5.00", 4).await;
    add(&app, &token, &book, 2).await;

    let body = checkout(&app, &token, "key-1", "tok_declined").await;
    assert_eq!(error_code(&body), "PAYMENT_DECLINED");
    let view = cart(&app, &token).await;
    assert_eq!(view["items"][0]["quantity"], 2);
    assert_eq!(view["items"][0]["hold"], "HELD");
    assert_eq!(
        app.stock_of(&book).await,
        (2, vec![(4, 2)]),
        "still held, not sold"
    );
    assert_eq!(ledger(&app).charge_count().await.unwrap(), 0);
    // The same key says the same; a new key with a good card goes through.
    let again = checkout(&app, &token, "key-1", "tok_declined").await;
    assert_eq!(error_code(&again), "PAYMENT_DECLINED");
    let paid = checkout(&app, &token, "key-2", "tok_visa").await;
    assert_eq!(data(&paid, "checkout")["status"], "PAID");
    assert_eq!(app.stock_of(&book).await, (2, vec![(2, 0)]));
    let history = orders(&app, &token).await;
    let statuses: Vec<&Value> = history["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"]["status"])
        .collect();
    assert_eq!(statuses, vec!["PAID", "PAYMENT_FAILED"], "newest first");
}

async fn a_card_that_fails_once_is_charged_once_on_the_retry(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (token, ..) = app.sign_up("Reader").await;
    let book = app.stocked_book(&admin, "5.00", 4).await;
    add(&app, &token, &book, 1).await;

    let body = checkout(&app, &token, "key-1", "tok_fail_once").await;
    assert_eq!(data(&body, "checkout")["status"], "PAID");
    let entries = ledger(&app).ledger().await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].attempts, 2, "failed once, then charged");
    assert_eq!(ledger(&app).charge_count().await.unwrap(), 1);
}

async fn cancelling_a_paid_order_refunds_it_and_restocks(backend: Backend) {
    let app = spawn_app(backend).await;
    let order = a_paid_order(&app, 4, 3).await;
    assert_eq!(app.stock_of(&order.book).await, (1, vec![(1, 0)]));

    let cancel = json!({ "id": order.id });
    let body = app.gql_as(Some(&order.token), CANCEL, cancel.clone()).await;
    assert_eq!(data(&body, "cancelOrder")["status"], "REFUNDED");
    assert_eq!(data(&body, "cancelOrder")["payment"]["status"], "REFUNDED");
    assert_eq!(app.stock_of(&order.book).await, (4, vec![(4, 0)]));
    assert_eq!(
        ledger(&app).ledger().await.unwrap()[0].status,
        folio::entities::simulated_charge::ChargeStatus::Refunded
    );
    let again = app.gql_as(Some(&order.token), CANCEL, cancel).await;
    assert_eq!(error_code(&again), "CONFLICT");
    assert_eq!(app.stock_of(&order.book).await.0, 4, "restocked once");
}

async fn a_paid_orders_sale_comes_off_on_hand_by_itself_and_available_never_moves(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let order = a_paid_order(&app, 10, 3).await;

    // Until the background pass deducts the sale, the paid units still count as held.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (available, rows) = app.stock_as_it_is(&order.book).await;
        assert_eq!(available, 7, "the sold units are never available again");
        if rows == vec![(7, 0)] {
            break;
        }
        assert_eq!(rows, vec![(10, 3)], "sold, not deducted yet");
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sale was never deducted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn cancelling_a_paid_order_at_once_gives_its_units_back_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let order = a_paid_order(&app, 4, 3).await;

    // Most likely before the sale was deducted; either way the units come back exactly once.
    let body = app
        .gql_as(Some(&order.token), CANCEL, json!({ "id": order.id }))
        .await;
    assert_eq!(data(&body, "cancelOrder")["status"], "REFUNDED");
    assert_eq!(app.stock_of(&order.book).await, (4, vec![(4, 0)]));
}

async fn a_stock_count_right_after_a_sale_is_not_reduced_by_it_again(backend: Backend) {
    let app = spawn_app(backend).await;
    let order = a_paid_order(&app, 10, 3).await;

    // The admin counts 20 unsold units on the shelf: the sale was already taken off.
    let counted = app
        .set_stock(&order.admin, &order.book, &order.warehouse, 20)
        .await;
    assert_eq!(counted["available"], 20);
    assert_eq!(counted["warehouses"][0]["onHand"], 20);
    assert_eq!(counted["warehouses"][0]["held"], 0);
    assert_eq!(app.stock_of(&order.book).await, (20, vec![(20, 0)]));
}

async fn someone_elses_order_is_forbidden(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (owner, ..) = app.sign_up("Owner").await;
    let (other, ..) = app.sign_up("Other").await;
    let book = app.stocked_book(&admin, "5.00", 4).await;
    add(&app, &owner, &book, 1).await;
    let body = checkout(&app, &owner, "key-1", "tok_visa").await;
    let id = data(&body, "checkout")["id"].as_str().unwrap().to_owned();

    let detail = "query($id: ID!) { order(id: $id) { id status } }";
    let cancel = "mutation($id: ID!) { cancelOrder(id: $id) { id } }";
    for op in [detail, cancel] {
        let body = app.gql_as(Some(&other), op, json!({ "id": id })).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    }
    let missing = app
        .gql_as(Some(&owner), detail, json!({ "id": "999999" }))
        .await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
    let anonymous = app.gql(detail, json!({ "id": id })).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let by_admin = app.gql_as(Some(&admin), detail, json!({ "id": id })).await;
    assert_eq!(data(&by_admin, "order")["status"], "PAID");
    assert_eq!(orders(&app, &other).await["totalCount"], 0);
}

async fn an_order_keeps_the_title_and_price_it_was_bought_at(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (token, ..) = app.sign_up("Reader").await;
    let book = app.stocked_book(&admin, "5.00", 4).await;
    add(&app, &token, &book, 2).await;
    let body = checkout(&app, &token, "key-1", "tok_visa").await;
    let order = data(&body, "checkout");
    let id = order["id"].as_str().unwrap().to_owned();
    let bought_as = order["items"][0]["title"].clone();

    let body = app
        .gql_as(
            Some(&admin),
            "mutation($id: ID!) { updateBook(id: $id, input: {title: \"Renamed\", price: \"50.00\"}) { id } }",
            json!({ "id": book }),
        )
        .await;
    data(&body, "updateBook");
    let body = app
        .gql_as(
            Some(&token),
            "query($id: ID!) { order(id: $id) { total { amount } items { title book { title } unitPrice { amount } } } }",
            json!({ "id": id }),
        )
        .await;
    let order = data(&body, "order");
    assert_eq!(order["total"]["amount"], "10.00");
    assert_eq!(order["items"][0]["unitPrice"]["amount"], "5.00");
    assert_eq!(order["items"][0]["title"], bought_as);
    assert_eq!(order["items"][0]["book"]["title"], "Renamed");
}

async fn orders_are_paged_newest_first(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (token, ..) = app.sign_up("Reader").await;
    let book = app.stocked_book(&admin, "1.00", 10).await;
    let mut placed = Vec::new();
    for n in 0..3 {
        add(&app, &token, &book, 1).await;
        let body = checkout(&app, &token, &format!("key-{n}"), "tok_visa").await;
        placed.push(data(&body, "checkout")["id"].clone());
    }
    let page = "query($after: String) { orders(first: 2, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }";
    let first = app.gql_as(Some(&token), page, json!({})).await;
    let first = data(&first, "orders");
    assert_eq!(first["totalCount"], 3);
    assert_eq!(first["edges"][0]["node"]["id"], placed[2]);
    assert_eq!(first["edges"][1]["node"]["id"], placed[1]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let next = app
        .gql_as(
            Some(&token),
            page,
            json!({ "after": first["pageInfo"]["endCursor"] }),
        )
        .await;
    let next = data(&next, "orders");
    assert_eq!(next["edges"][0]["node"]["id"], placed[0]);
    assert_eq!(next["pageInfo"]["hasNextPage"], false);
}

async fn checkout_input_is_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let (token, ..) = app.sign_up("Reader").await;
    let empty = checkout(&app, &token, "key-1", "tok_visa").await;
    assert_eq!(
        error_code(&empty),
        "CONFLICT",
        "an empty cart cannot be checked out"
    );
    let blank = checkout(&app, &token, "  ", "tok_visa").await;
    assert_eq!(blank["errors"][0]["extensions"]["field"], "idempotencyKey");
    let anonymous = app
        .gql(CHECKOUT, json!({ "k": "key-1", "t": "tok_visa" }))
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
}

crate::on_every_backend!(
    twelve_concurrent_checkouts_with_one_key_make_one_order_and_one_charge,
    the_same_key_with_another_cart_conflicts,
    a_declined_card_keeps_the_cart_and_its_holds,
    a_card_that_fails_once_is_charged_once_on_the_retry,
    cancelling_a_paid_order_refunds_it_and_restocks,
    a_paid_orders_sale_comes_off_on_hand_by_itself_and_available_never_moves,
    cancelling_a_paid_order_at_once_gives_its_units_back_once,
    a_stock_count_right_after_a_sale_is_not_reduced_by_it_again,
    someone_elses_order_is_forbidden,
    an_order_keeps_the_title_and_price_it_was_bought_at,
    orders_are_paged_newest_first,
    checkout_input_is_checked,
    an_order_left_pending_after_a_charge_is_settled_paid_by_recovery,
    an_order_left_pending_before_a_charge_is_settled_failed_by_recovery,
);

/// A provider whose answers are lost: it passes charges on to the simulated provider when `charges`
/// is set, but Folio never hears back, as when a process dies between charging and recording.
struct LostAnswers {
    inner: SimulatedProvider,
    charges: bool,
    calls: AtomicUsize,
}

#[async_trait]
impl PaymentProvider for LostAnswers {
    async fn charge(&self, request: &ChargeRequest) -> Result<Charge, PaymentError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if self.charges {
            self.inner.charge(request).await?;
        }
        Err(PaymentError::Transient("connection reset".into()))
    }
    async fn find_charge(&self, key: &str) -> Result<Option<Charge>, PaymentError> {
        self.inner.find_charge(key).await
    }
    async fn refund(&self, key: &str) -> Result<(), PaymentError> {
        self.inner.refund(key).await
    }
}

/// Checks out through `provider` (whose answers are lost), leaving the order PENDING_PAYMENT.
async fn checkout_without_an_answer(app: &TestApp, user: &str, charges: bool) -> i64 {
    let provider = LostAnswers {
        inner: ledger(app),
        charges,
        calls: AtomicUsize::new(0),
    };
    let state = app.state();
    let order = folio::services::commerce::checkout::checkout(
        &state.db,
        &state.counts,
        &provider,
        &folio::services::commerce::checkout::CheckoutSettings::from(state.config.as_ref()),
        user.parse().unwrap(),
        "key-1",
        "tok_visa",
    )
    .await
    .unwrap();
    assert_eq!(
        order.status,
        folio::domain::status::OrderStatus::PendingPayment
    );
    assert_eq!(
        provider.calls.load(Ordering::Relaxed),
        3,
        "retried, then left for recovery"
    );
    order.id
}

async fn settle(app: &TestApp) -> usize {
    let state = app.state();
    folio::services::commerce::settlement::settle_stale_payments(
        &state.db,
        state.payments.as_ref(),
        std::time::Duration::ZERO,
        state.config.hold_ttl,
    )
    .await
    .unwrap()
}

async fn an_order_left_pending_after_a_charge_is_settled_paid_by_recovery(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (token, user, _) = app.sign_up("Reader").await;
    let book = app.stocked_book(&admin, "5.00", 4).await;
    add(&app, &token, &book, 2).await;
    let id = checkout_without_an_answer(&app, &user, true).await;
    assert_eq!(
        app.stock_of(&book).await,
        (2, vec![(4, 2)]),
        "held for the order"
    );

    assert_eq!(settle(&app).await, 1);
    let body = app
        .gql_as(
            Some(&token),
            "query($id: ID!) { order(id: $id) { status payment { status reference } } }",
            json!({ "id": id.to_string() }),
        )
        .await;
    assert_eq!(data(&body, "order")["status"], "PAID");
    assert_eq!(app.stock_of(&book).await, (2, vec![(2, 0)]), "sold once");
    assert_eq!(
        ledger(&app).charge_count().await.unwrap(),
        1,
        "charged once"
    );
    // The client's retry of the checkout now sees the settled order.
    let retry = checkout(&app, &token, "key-1", "tok_visa").await;
    assert_eq!(data(&retry, "checkout")["id"], id.to_string());
    assert_eq!(data(&retry, "checkout")["status"], "PAID");
    assert_eq!(settle(&app).await, 0, "nothing is settled twice");
}

async fn an_order_left_pending_before_a_charge_is_settled_failed_by_recovery(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (token, user, _) = app.sign_up("Reader").await;
    let book = app.stocked_book(&admin, "5.00", 4).await;
    add(&app, &token, &book, 2).await;
    let id = checkout_without_an_answer(&app, &user, false).await;

    assert_eq!(settle(&app).await, 1);
    let body = app
        .gql_as(
            Some(&token),
            "query($id: ID!) { order(id: $id) { status payment { status } } }",
            json!({ "id": id.to_string() }),
        )
        .await;
    assert_eq!(data(&body, "order")["status"], "PAYMENT_FAILED");
    assert_eq!(ledger(&app).charge_count().await.unwrap(), 0);
    let view = cart(&app, &token).await;
    assert_eq!(
        view["items"][0]["quantity"], 2,
        "the units are back in the cart"
    );
    assert_eq!(view["items"][0]["hold"], "HELD");
    assert_eq!(app.stock_of(&book).await, (2, vec![(4, 2)]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_checkouts_with_one_key_on_two_instances_make_one_order_and_one_charge() {
    let Some((a, b)) = spawn_two_instances(|_| {}).await else {
        return;
    };
    let admin = a.admin_token().await;
    let (token, ..) = a.sign_up("Reader").await;
    let book = a.stocked_book(&admin, "7.00", 10).await;
    add(&a, &token, &book, 2).await;

    let attempts = (0..12).map(|n| {
        let app = if n % 2 == 0 { &a } else { &b };
        checkout(app, &token, "key-1", "tok_visa")
    });
    let results = futures_util::future::join_all(attempts).await;
    let first = data(&results[0], "checkout")["id"].clone();
    assert!(results.iter().all(|r| data(r, "checkout")["id"] == first));
    assert_eq!(ledger(&a).charge_count().await.unwrap(), 1);
    assert_eq!(orders(&b, &token).await["totalCount"], 1);
    assert_eq!(a.stock_of(&book).await, (8, vec![(8, 0)]));
}
