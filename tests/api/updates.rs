//! Price watches and the live price and stock updates, on one instance and across two.
use std::time::Duration;

use serde_json::json;

use crate::cart::add;
use crate::helpers::{
    Backend, TestApp, change_until_next, data, error_code, next_within, spawn_app,
    spawn_two_instances,
};

const ON_PRICE: &str = "subscription($ids: [ID!]) { priceChanged(bookIds: $ids) {
    book { id title } oldPrice { amount currency } newPrice { amount currency } changedAt } }";

async fn set_price(app: &TestApp, admin: &str, book: &str, price: &str) {
    let body = app
        .gql_as(
            Some(admin),
            "mutation($id: ID!, $p: String!) { updateBook(id: $id, input: {price: $p}) { id } }",
            json!({ "id": book, "p": price }),
        )
        .await;
    data(&body, "updateBook");
}

async fn watching_a_price_is_listed_and_can_be_undone(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (token, ..) = app.sign_up("Reader").await;
    let book = app.book(&admin, "3.00").await;
    let watch = "mutation($b: ID!) { watchPrice(bookId: $b) { book { id } createdAt } }";
    data(
        &app.gql_as(Some(&token), watch, json!({ "b": book })).await,
        "watchPrice",
    );
    data(
        &app.gql_as(Some(&token), watch, json!({ "b": book })).await,
        "watchPrice",
    );
    let list = "{ priceWatches { book { id title price { amount currency } } createdAt } }";
    let body = app.gql_as(Some(&token), list, json!({})).await;
    assert_eq!(data(&body, "priceWatches").as_array().unwrap().len(), 1);
    assert_eq!(
        data(&body, "priceWatches")[0]["book"]["price"]["amount"],
        "3.00"
    );

    let unwatch = "mutation($b: ID!) { unwatchPrice(bookId: $b) }";
    let body = app
        .gql_as(Some(&token), unwatch, json!({ "b": book }))
        .await;
    assert_eq!(body["data"]["unwatchPrice"], true);
    let body = app
        .gql_as(Some(&token), unwatch, json!({ "b": book }))
        .await;
    assert_eq!(body["data"]["unwatchPrice"], false);
    let missing = app
        .gql_as(Some(&token), watch, json!({ "b": "999999" }))
        .await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
    assert_eq!(
        error_code(&app.gql(list, json!({})).await),
        "UNAUTHENTICATED"
    );
}

async fn a_price_change_reaches_its_subscribers_once_and_a_no_op_update_sends_nothing(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let book = app.book(&admin, "10.00").await;
    let mut ws = app.ws_ready(None).await;
    TestApp::subscribe(&mut ws, "p", ON_PRICE, json!({ "ids": [book] })).await;
    let mut price = 10;
    let first = change_until_next(&mut ws, "p", || {
        price += 1;
        let p = format!("{price}.00");
        let (app, admin, book) = (&app, &admin, &book);
        async move { set_price(app, admin, book, &p).await }
    })
    .await;
    assert_eq!(first["priceChanged"]["book"]["id"], book);
    let old: f64 = first["priceChanged"]["oldPrice"]["amount"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let new: f64 = first["priceChanged"]["newPrice"]["amount"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(new - old, 1.0);
    while next_within(&mut ws, Duration::from_millis(500))
        .await
        .is_some()
    {}

    // Setting the price it already has changes nothing, so nothing is sent; the next real change
    // is what arrives next.
    let same = format!("{price}.00");
    set_price(&app, &admin, &book, &same).await;
    set_price(&app, &admin, &book, "99.00").await;
    let next = next_within(&mut ws, Duration::from_secs(5))
        .await
        .expect("the change arrives");
    let change = &next["payload"]["data"]["priceChanged"];
    assert_eq!(change["oldPrice"]["amount"], same.as_str());
    assert_eq!(change["newPrice"]["amount"], "99.00");
    assert!(
        next_within(&mut ws, Duration::from_millis(500))
            .await
            .is_none(),
        "sent once"
    );
}

async fn price_changes_of_watched_books_need_a_signed_in_viewer(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ws = app.ws_ready(None).await;
    TestApp::subscribe(&mut ws, "p", ON_PRICE, json!({ "ids": null })).await;
    let reply = ws.recv().await;
    assert_eq!(reply["type"], "error", "{reply}");
    assert_eq!(reply["payload"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

async fn stock_changes_reach_subscribers_as_carts_hold_and_release(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (token, ..) = app.sign_up("Reader").await;
    let book = app.stocked_book(&admin, "10.00", 20).await;
    let mut ws = app.ws_ready(None).await;
    let query = "subscription($ids: [ID!]!) { stockChanged(bookIds: $ids) { bookId available stockStatus } }";
    TestApp::subscribe(&mut ws, "s", query, json!({ "ids": [book] })).await;
    let first = change_until_next(&mut ws, "s", || async {
        data(&add(&app, &token, &book, 1).await, "addToCart");
    })
    .await;
    assert_eq!(first["stockChanged"]["bookId"], book);
    while next_within(&mut ws, Duration::from_millis(500))
        .await
        .is_some()
    {}
    let held: i64 = 20 - app.stock_of(&book).await.0;

    let body = app
        .gql_as(
            Some(&token),
            "mutation($b: ID!) { removeFromCart(bookId: $b) { itemCount } }",
            json!({ "b": book }),
        )
        .await;
    data(&body, "removeFromCart");
    let event = next_within(&mut ws, Duration::from_secs(5))
        .await
        .expect("the release arrives");
    assert_eq!(event["payload"]["data"]["stockChanged"]["available"], 20);
    assert_eq!(
        event["payload"]["data"]["stockChanged"]["stockStatus"],
        "IN_STOCK"
    );
    assert!(held > 0);
}

crate::on_every_backend!(
    watching_a_price_is_listed_and_can_be_undone,
    a_price_change_reaches_its_subscribers_once_and_a_no_op_update_sends_nothing,
    price_changes_of_watched_books_need_a_signed_in_viewer,
    stock_changes_reach_subscribers_as_carts_hold_and_release,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_change_reaches_a_watcher_on_the_other_instance() {
    let Some((a, b)) = spawn_two_instances(|_| {}).await else {
        return;
    };
    let admin = a.admin_token().await;
    let (token, ..) = a.sign_up("Watcher").await;
    let watched = a.book(&admin, "10.00").await;
    let unwatched = a.book(&admin, "10.00").await;
    let body = a
        .gql_as(
            Some(&token),
            "mutation($b: ID!) { watchPrice(bookId: $b) { createdAt } }",
            json!({ "b": watched }),
        )
        .await;
    data(&body, "watchPrice");
    let mut ws = b.ws_ready(Some(&token)).await;
    TestApp::subscribe(&mut ws, "p", ON_PRICE, json!({ "ids": null })).await;

    let mut cents = 1000;
    let first = change_until_next(&mut ws, "p", || {
        cents += 1;
        let (a, admin, watched, unwatched) = (&a, &admin, &watched, &unwatched);
        async move {
            let p = format!("{}.{:02}", cents / 100, cents % 100);
            set_price(a, admin, unwatched, &p).await;
            set_price(a, admin, watched, &p).await;
        }
    })
    .await;
    assert_eq!(
        first["priceChanged"]["book"]["id"], watched,
        "only the watched book"
    );
    while let Some(next) = next_within(&mut ws, Duration::from_millis(500)).await {
        assert_eq!(
            next["payload"]["data"]["priceChanged"]["book"]["id"],
            watched
        );
    }
    // A no-op update on one instance sends nothing on the other.
    let same = format!("{}.{:02}", cents / 100, cents % 100);
    set_price(&a, &admin, &watched, &same).await;
    assert!(next_within(&mut ws, Duration::from_secs(1)).await.is_none());
}
