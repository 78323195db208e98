//! Checkout and payment: one order and one charge per idempotency key however it is repeated, on
//! one instance or two, and declined and flaky cards. The helpers that check out and read orders
//! here serve orders and checkout_recovery too.
use folio::payment::SimulatedProvider;
use serde_json::{Value, json};

use crate::cart::{add, cart};
use crate::helpers::{Backend, TestApp, data, error_code, spawn_app, spawn_two_instances};

pub const CHECKOUT: &str = "mutation($k: String!, $t: String!) {
  checkout(input: { idempotencyKey: $k, payment: { token: $t } }) {
    id status total { amount currency } items { book { id title } title quantity unitPrice { amount currency } }
    payment { status reference } createdAt } }";

pub async fn checkout(app: &TestApp, token: &str, key: &str, card: &str) -> Value {
    app.gql_as(Some(token), CHECKOUT, json!({ "k": key, "t": card }))
        .await
}

pub fn ledger(app: &TestApp) -> SimulatedProvider {
    SimulatedProvider::new(app.state().db.clone())
}

pub async fn orders(app: &TestApp, token: &str) -> Value {
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
    checkout_input_is_checked,
);

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
