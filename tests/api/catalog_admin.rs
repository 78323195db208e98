//! Managing the catalog over HTTP: only admins may, each invalid field is named, and stock adds
//! up over warehouses without dropping under what carts hold.
use serde_json::{Value, json};

use crate::catalog::{CREATE, book, create_book};
use crate::helpers::{Backend, TestApp, error_code, spawn_app};

async fn only_admins_manage_the_catalog(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (customer, ..) = app.sign_up("Customer").await;
    let id = create_book(&app, &admin, book(1, "Guarded", "5.00")).await;
    let operations = [
        (CREATE, json!({"input": book(2, "Nope", "1.00")})),
        (
            "mutation($id: ID!) { updateBook(id: $id, input: {title: \"X\"}) { id } }",
            json!({"id": id}),
        ),
        (
            "mutation($id: ID!) { deleteBook(id: $id) }",
            json!({"id": id}),
        ),
        (
            "mutation { createWarehouse(input: {name: \"W\", region: \"r\"}) { id } }",
            json!({}),
        ),
        (
            "mutation($id: ID!) { setStock(input: {bookId: $id, warehouseId: \"1\", onHand: 5}) { available } }",
            json!({"id": id}),
        ),
        ("{ warehouses { id } }", json!({})),
    ];
    for (operation, variables) in operations {
        let anonymous = app.gql(operation, variables.clone()).await;
        assert_eq!(error_code(&anonymous), "UNAUTHENTICATED", "{operation}");
        let as_customer = app.gql_as(Some(&customer), operation, variables).await;
        assert_eq!(error_code(&as_customer), "FORBIDDEN", "{operation}");
    }
    // Nothing above changed the book.
    let still = app
        .gql(
            "query($id: ID!) { book(id: $id) { title } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(still["data"]["book"]["title"], "Guarded");
}

async fn each_invalid_book_field_is_named_and_nothing_is_created(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let cases = [
        ("isbn", json!({"isbn": "9780141439519"})),
        ("isbn", json!({"isbn": "12345"})),
        ("title", json!({"title": "   "})),
        ("price", json!({"price": "-1.00"})),
        ("price", json!({"price": "1.999"})),
        ("price", json!({"price": "ten"})),
        ("currency", json!({"currency": "XYZ"})),
        ("publishedYear", json!({"publishedYear": 3000})),
        ("pageCount", json!({"pageCount": 0})),
        ("authorNames", json!({"authorNames": []})),
        ("categorySlugs", json!({"categorySlugs": ["Not A Slug"]})),
    ];
    for (field, change) in cases {
        let mut input = book(10, "Valid", "10.00");
        for (k, v) in change.as_object().unwrap() {
            input[k] = v.clone();
        }
        let body = app
            .gql_as(Some(&admin), CREATE, json!({"input": input}))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{field}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    let count = app
        .gql("{ books(first: 1) { totalCount } }", json!({}))
        .await;
    assert_eq!(count["data"]["books"]["totalCount"], 0);
    create_book(&app, &admin, book(10, "Valid", "10.00")).await;
    let count = app
        .gql("{ books(first: 1) { totalCount } }", json!({}))
        .await;
    assert_eq!(
        count["data"]["books"]["totalCount"], 1,
        "a cached count follows a new book at once"
    );
    let duplicate = app
        .gql_as(
            Some(&admin),
            CREATE,
            json!({"input": book(10, "Again", "1.00")}),
        )
        .await;
    assert_eq!(error_code(&duplicate), "CONFLICT");
}

const SET_STOCK: &str = "mutation($b: ID!, $w: ID!, $n: Int!) { setStock(input: {bookId: $b, warehouseId: $w, onHand: $n}) {
    bookId available stockStatus warehouses { warehouse { id name region } onHand held } } }";

async fn create_warehouse(app: &TestApp, admin: &str, name: &str) -> Value {
    let body = app
        .gql_as(
            Some(admin),
            "mutation($n: String!) { createWarehouse(input: {name: $n, region: \"eu-west\"}) { id name region } }",
            json!({"n": name}),
        )
        .await;
    body["data"]["createWarehouse"]["id"].clone()
}

async fn stock_adds_up_over_warehouses_and_never_drops_under_what_is_held(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let id = create_book(&app, &admin, book(1, "Stocked", "5.00")).await;
    let north = create_warehouse(&app, &admin, "North").await;
    let south = create_warehouse(&app, &admin, "South").await;
    let duplicate = app
        .gql_as(
            Some(&admin),
            "mutation { createWarehouse(input: {name: \"North\", region: \"x\"}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&duplicate), "CONFLICT");

    let low = app
        .gql_as(
            Some(&admin),
            SET_STOCK,
            json!({"b": id, "w": north, "n": 4}),
        )
        .await;
    assert_eq!(low["data"]["setStock"]["available"], 4);
    assert_eq!(low["data"]["setStock"]["stockStatus"], "LOW_STOCK");
    let both = app
        .gql_as(
            Some(&admin),
            SET_STOCK,
            json!({"b": id, "w": south, "n": 6}),
        )
        .await;
    assert_eq!(both["data"]["setStock"]["available"], 10);
    assert_eq!(both["data"]["setStock"]["stockStatus"], "IN_STOCK");
    assert_eq!(
        both["data"]["setStock"]["warehouses"][1]["warehouse"]["name"],
        "South"
    );

    // Carts hold 3 in the north (holds come with carts; here they are set directly).
    let db = &app.app.as_ref().unwrap().state.db;
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(&format!(
        "UPDATE stock SET held = 3 WHERE book_id = {id} AND warehouse_id = {}",
        north.as_str().unwrap()
    ))
    .await
    .unwrap();
    let under = app
        .gql_as(
            Some(&admin),
            SET_STOCK,
            json!({"b": id, "w": north, "n": 2}),
        )
        .await;
    assert_eq!(error_code(&under), "CONFLICT");
    let detail = app
        .gql(
            "query($id: ID!) { book(id: $id) { available } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        detail["data"]["book"]["available"], 7,
        "the refused change changed nothing"
    );
    let negative = app
        .gql_as(
            Some(&admin),
            SET_STOCK,
            json!({"b": id, "w": north, "n": -1}),
        )
        .await;
    assert_eq!(negative["errors"][0]["extensions"]["field"], "onHand");
    let unknown = app
        .gql_as(
            Some(&admin),
            SET_STOCK,
            json!({"b": id, "w": "999", "n": 1}),
        )
        .await;
    assert_eq!(error_code(&unknown), "NOT_FOUND");
}

crate::on_every_backend!(
    only_admins_manage_the_catalog,
    each_invalid_book_field_is_named_and_nothing_is_created,
    stock_adds_up_over_warehouses_and_never_drops_under_what_is_held,
);
