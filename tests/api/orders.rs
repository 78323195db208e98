//! Orders after checkout: history paged newest first, the title and price they were bought at,
//! whose they are, cancelling with a refund, and the sale coming off the stock exactly once.
use serde_json::json;

use crate::cart::add;
use crate::checkout::{checkout, ledger, orders};
use crate::helpers::{Backend, PATIENCE, TestApp, data, error_code, spawn_app};

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

crate::on_every_backend!(
    cancelling_a_paid_order_refunds_it_and_restocks,
    a_paid_orders_sale_comes_off_on_hand_by_itself_and_available_never_moves,
    cancelling_a_paid_order_at_once_gives_its_units_back_once,
    a_stock_count_right_after_a_sale_is_not_reduced_by_it_again,
    someone_elses_order_is_forbidden,
    an_order_keeps_the_title_and_price_it_was_bought_at,
    orders_are_paged_newest_first,
);
