//! Carts and stock holds over HTTP: racing buyers, what a cart shows, holds across warehouses,
//! holds that lapse and come back, and the sweeper on two instances.
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, change_until_next, data, error_code, next_within, spawn_app, spawn_app_with,
    spawn_two_instances,
};

pub const CART_VIEW: &str = "id items { book { id title } quantity unitPrice { amount currency }
    lineTotal { amount currency } reservedUntil hold available } subtotal { amount currency } itemCount";

pub async fn add(app: &TestApp, token: &str, book: &str, quantity: i32) -> Value {
    app.gql_as(
        Some(token),
        &format!("mutation($b: ID!, $q: Int!) {{ addToCart(bookId: $b, quantity: $q) {{ {CART_VIEW} }} }}"),
        json!({ "b": book, "q": quantity }),
    )
    .await
}

async fn set_quantity(app: &TestApp, token: &str, book: &str, quantity: i32) -> Value {
    app.gql_as(
        Some(token),
        &format!("mutation($b: ID!, $q: Int!) {{ setCartItemQuantity(bookId: $b, quantity: $q) {{ {CART_VIEW} }} }}"),
        json!({ "b": book, "q": quantity }),
    )
    .await
}

pub async fn cart(app: &TestApp, token: &str) -> Value {
    let body = app
        .gql_as(
            Some(token),
            &format!("{{ cart {{ {CART_VIEW} }} }}"),
            json!({}),
        )
        .await;
    data(&body, "cart").clone()
}

async fn forty_buyers_racing_for_five_units_get_exactly_five_holds(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let book = app.stocked_book(&admin, "9.99", 5).await;
    let mut buyers = Vec::new();
    for n in 0..40 {
        buyers.push(app.sign_up(&format!("Buyer{n}")).await.0);
    }
    let attempts = buyers.iter().map(|token| add(&app, token, &book, 1));
    let results = futures_util::future::join_all(attempts).await;

    let held = results
        .iter()
        .filter(|r| r["data"]["addToCart"].is_object())
        .count();
    let refused: Vec<&Value> = results
        .iter()
        .filter(|r| error_code(r) == "OUT_OF_STOCK")
        .collect();
    assert_eq!(held, 5, "exactly five buyers hold a unit");
    assert_eq!(
        refused.len(),
        35,
        "everyone else is told it is out of stock"
    );
    assert!(
        refused
            .iter()
            .all(|r| r["errors"][0]["extensions"]["available"] == 0)
    );
    let (available, rows) = app.stock_of(&book).await;
    assert_eq!(available, 0);
    assert_eq!(rows, vec![(5, 5)], "five on hand, five held, never more");
}

async fn a_cart_shows_its_lines_at_the_prices_they_were_added_at(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (token, ..) = app.sign_up("Reader").await;
    let novel = app.stocked_book(&admin, "12.50", 10).await;
    let poems = app.stocked_book(&admin, "4.00", 10).await;

    add(&app, &token, &novel, 2).await;
    let body = add(&app, &token, &poems, 1).await;
    let view = data(&body, "addToCart");
    assert_eq!(
        view["subtotal"],
        json!({"amount": "29.00", "currency": "USD"})
    );
    assert_eq!(view["itemCount"], 3);
    assert_eq!(view["items"][0]["book"]["id"], novel);
    assert_eq!(view["items"][0]["lineTotal"]["amount"], "25.00");
    assert_eq!(view["items"][0]["hold"], "HELD");
    let until: chrono::DateTime<chrono::Utc> = view["items"][0]["reservedUntil"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(until > chrono::Utc::now() + chrono::Duration::seconds(500));

    // A later price change does not change what the cart will charge.
    let body = app
        .gql_as(
            Some(&admin),
            "mutation($id: ID!) { updateBook(id: $id, input: {price: \"99.00\"}) { id } }",
            json!({ "id": novel }),
        )
        .await;
    data(&body, "updateBook");
    let body = set_quantity(&app, &token, &novel, 1).await;
    let view = data(&body, "setCartItemQuantity");
    assert_eq!(view["subtotal"]["amount"], "16.50");
    assert_eq!(app.stock_of(&novel).await.0, 9, "one unit was released");

    let body = app
        .gql_as(
            Some(&token),
            &format!("mutation($b: ID!) {{ removeFromCart(bookId: $b) {{ {CART_VIEW} }} }}"),
            json!({ "b": poems }),
        )
        .await;
    assert_eq!(
        data(&body, "removeFromCart")["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(app.stock_of(&poems).await.0, 10);
    let body = set_quantity(&app, &token, &novel, 0).await;
    assert_eq!(data(&body, "setCartItemQuantity")["itemCount"], 0);
    assert_eq!(app.stock_of(&novel).await.0, 10);
}

async fn adding_more_than_is_available_fails_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (token, ..) = app.sign_up("Reader").await;
    let book = app.stocked_book(&admin, "10.00", 3).await;
    add(&app, &token, &book, 2).await;

    let body = add(&app, &token, &book, 2).await;
    assert_eq!(error_code(&body), "OUT_OF_STOCK");
    assert_eq!(body["errors"][0]["extensions"]["available"], 1);
    assert_eq!(cart(&app, &token).await["items"][0]["quantity"], 2);
    assert_eq!(app.stock_of(&book).await, (1, vec![(3, 2)]));
}

async fn cart_input_is_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (token, ..) = app.sign_up("Reader").await;
    let book = app.stocked_book(&admin, "10.00", 3).await;

    let anonymous = app
        .gql(&format!("{{ cart {{ {CART_VIEW} }} }}"), json!({}))
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let zero = add(&app, &token, &book, 0).await;
    assert_eq!(error_code(&zero), "BAD_USER_INPUT");
    assert_eq!(zero["errors"][0]["extensions"]["field"], "quantity");
    assert_eq!(
        error_code(&add(&app, &token, "999999", 1).await),
        "NOT_FOUND"
    );
    assert_eq!(
        error_code(&add(&app, &token, "not-an-id", 1).await),
        "BAD_USER_INPUT"
    );
    assert_eq!(app.stock_of(&book).await.0, 3);
}

async fn a_line_draws_from_the_warehouse_with_most_available_first_and_may_span_two(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (token, ..) = app.sign_up("Reader").await;
    let book = app.book(&admin, "10.00").await;
    let small = app.warehouse(&admin).await;
    let large = app.warehouse(&admin).await;
    app.set_stock(&admin, &book, &small, 3).await;
    app.set_stock(&admin, &book, &large, 5).await;

    add(&app, &token, &book, 4).await;
    assert_eq!(app.stock_of(&book).await.1, vec![(3, 0), (5, 4)]);
    // Now the small warehouse has the most available: it gives all it has, the large one the rest.
    add(&app, &token, &book, 4).await;
    assert_eq!(
        app.stock_of(&book).await.1,
        vec![(3, 3), (5, 5)],
        "the line now spans both warehouses"
    );
    // Lowering stock under what carts hold is refused.
    let body = app
        .gql_as(
            Some(&admin),
            "mutation($b: ID!, $w: ID!) { setStock(input: {bookId: $b, warehouseId: $w, onHand: 4}) { available } }",
            json!({ "b": book, "w": large }),
        )
        .await;
    assert_eq!(error_code(&body), "CONFLICT");
    // Releasing gives back from the smallest hold first.
    set_quantity(&app, &token, &book, 5).await;
    assert_eq!(app.stock_of(&book).await.1, vec![(3, 0), (5, 5)]);
}

const ON_STOCK: &str =
    "subscription($ids: [ID!]!) { stockChanged(bookIds: $ids) { bookId available stockStatus } }";

async fn holds_lapse_after_the_ttl_and_the_stock_comes_back_with_an_event(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.hold_ttl = Duration::from_secs(1);
        c.sweep_interval = Duration::from_millis(200);
    })
    .await;
    let admin = app.admin_token().await;
    let (token, ..) = app.sign_up("Reader").await;
    let book = app.stocked_book(&admin, "10.00", 10).await;
    let mut ws = app.ws_ready(None).await;
    TestApp::subscribe(&mut ws, "s", ON_STOCK, json!({ "ids": [book] })).await;
    let first = change_until_next(&mut ws, "s", || async {
        add(&app, &token, &book, 1).await;
    })
    .await;
    // The restock before subscribing may be announced first; the hold comes after it.
    let mut held_now = first["stockChanged"]["available"].as_i64().unwrap();
    while held_now == 10 {
        let event = next_within(&mut ws, Duration::from_secs(5))
            .await
            .expect("the hold");
        held_now = event["payload"]["data"]["stockChanged"]["available"]
            .as_i64()
            .unwrap();
    }

    // Nobody touches the cart: the hold lapses and every unit comes back, announced.
    let mut last = held_now;
    while last != 10 {
        let event = next_within(&mut ws, Duration::from_secs(5))
            .await
            .expect("the release is announced");
        last = event["payload"]["data"]["stockChanged"]["available"]
            .as_i64()
            .unwrap();
    }
    assert_eq!(app.stock_of(&book).await.0, 10);
    let view = cart(&app, &token).await;
    assert_eq!(view["items"][0]["hold"], "LAPSED");
    let until: chrono::DateTime<chrono::Utc> = view["items"][0]["reservedUntil"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(until < chrono::Utc::now());

    // The next touch holds it again.
    let other = app.stocked_book(&admin, "1.00", 1).await;
    let body = add(&app, &token, &other, 1).await;
    let line = &data(&body, "addToCart")["items"][0];
    assert_eq!(line["hold"], "HELD");
    assert_eq!(
        app.stock_of(&book).await.0,
        10 - line["quantity"].as_i64().unwrap()
    );
}

async fn a_lapsed_line_that_cannot_be_held_again_shows_out_of_stock(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.hold_ttl = Duration::from_secs(1);
        c.sweep_interval = Duration::from_millis(200);
    })
    .await;
    let admin = app.admin_token().await;
    let (slow, ..) = app.sign_up("Slow").await;
    let (quick, ..) = app.sign_up("Quick").await;
    let book = app.stocked_book(&admin, "10.00", 3).await;
    add(&app, &slow, &book, 3).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while app.stock_of(&book).await.0 != 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the hold never lapsed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    data(&add(&app, &quick, &book, 2).await, "addToCart");

    let view = cart(&app, &slow).await;
    assert_eq!(view["items"][0]["hold"], "OUT_OF_STOCK");
    assert_eq!(view["items"][0]["available"], 1);
    let body = set_quantity(&app, &slow, &book, 1).await;
    assert_eq!(
        data(&body, "setCartItemQuantity")["items"][0]["hold"],
        "HELD"
    );
    assert_eq!(app.stock_of(&book).await.0, 0);
}

crate::on_every_backend!(
    forty_buyers_racing_for_five_units_get_exactly_five_holds,
    a_cart_shows_its_lines_at_the_prices_they_were_added_at,
    adding_more_than_is_available_fails_and_changes_nothing,
    cart_input_is_checked,
    a_line_draws_from_the_warehouse_with_most_available_first_and_may_span_two,
    holds_lapse_after_the_ttl_and_the_stock_comes_back_with_an_event,
    a_lapsed_line_that_cannot_be_held_again_shows_out_of_stock,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_sweeper_on_two_instances_releases_each_lapsed_hold_exactly_once() {
    // The background sweepers wait an hour: the test runs both instances' sweeps itself, at once.
    let Some((a, b)) = spawn_two_instances(|c| {
        c.hold_ttl = Duration::from_millis(300);
        c.sweep_interval = Duration::from_secs(3600);
    })
    .await
    else {
        return;
    };
    let admin = a.admin_token().await;
    let book = a.stocked_book(&admin, "5.00", 100).await;
    for n in 0..30 {
        let (token, ..) = a.sign_up(&format!("Buyer{n}")).await;
        let app = if n % 2 == 0 { &a } else { &b };
        data(&add(app, &token, &book, 2).await, "addToCart");
    }
    assert_eq!(a.stock_of(&book).await.0, 40);
    tokio::time::sleep(Duration::from_millis(400)).await;

    let now = chrono::Utc::now();
    let sweep = |app: &TestApp| {
        let db = app.state().db.clone();
        let counts = app.state().counts.clone();
        async move {
            let mut total = 0;
            for _ in 0..3 {
                total += folio::services::inventory::hold::release_lapsed_holds(&db, &counts, now)
                    .await
                    .unwrap();
            }
            total
        }
    };
    let (from_a, from_b) = tokio::join!(sweep(&a), sweep(&b));
    assert_eq!(from_a + from_b, 30, "each of the 30 lines released once");
    assert_eq!(a.stock_of(&book).await, (100, vec![(100, 0)]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_buyers_racing_on_two_instances_for_five_units_get_exactly_five_holds() {
    let Some((a, b)) = spawn_two_instances(|_| {}).await else {
        return;
    };
    let admin = a.admin_token().await;
    let book = a.stocked_book(&admin, "9.99", 5).await;
    let mut buyers = Vec::new();
    for n in 0..40 {
        buyers.push(a.sign_up(&format!("Buyer{n}")).await.0);
    }
    let attempts = buyers.iter().enumerate().map(|(n, token)| {
        let app = if n % 2 == 0 { &a } else { &b };
        add(app, token, &book, 1)
    });
    let results = futures_util::future::join_all(attempts).await;
    let held = results
        .iter()
        .filter(|r| r["data"]["addToCart"].is_object())
        .count();
    let refused = results
        .iter()
        .filter(|r| error_code(r) == "OUT_OF_STOCK")
        .count();
    assert_eq!((held, refused), (5, 35));
    assert_eq!(b.stock_of(&book).await, (0, vec![(5, 5)]));
}
