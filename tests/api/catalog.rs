//! Finding books over HTTP: by id and by ISBN in any form, by author, and through the browse
//! filters with their totals. The helpers that create and page through books here serve the other
//! catalog files too.
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, error_code, spawn_app};

pub const CREATE: &str = "mutation($input: CreateBookInput!) { createBook(input: $input) { id isbn title price { amount currency } } }";
pub const BROWSE: &str = "query($first: Int!, $after: String, $filter: BookFilter, $sort: BookSort) {
  books(first: $first, after: $after, filter: $filter, sort: $sort) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id isbn title price { amount currency } authors { id name } categories { id name slug }
      stockStatus averageRating reviewCount } } } }";

/// A valid ISBN-13 for `n`.
pub fn isbn(n: u64) -> String {
    folio::domain::isbn::synthetic(n).as_str().to_owned()
}

/// Creates a book as `admin`; returns its id.
pub async fn create_book(app: &TestApp, admin: &str, input: Value) -> String {
    let body = app
        .gql_as(Some(admin), CREATE, json!({ "input": input }))
        .await;
    body["data"]["createBook"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createBook failed: {body}"))
        .to_owned()
}

pub fn book(n: u64, title: &str, price: &str) -> Value {
    json!({
        "isbn": isbn(n), "title": title, "price": price, "authorNames": ["Author"],
        "categorySlugs": ["fiction"], "description": "A book."
    })
}

/// Every page of `books` in `sort` order with `filter`, as (id, title) pairs.
pub async fn all_pages(
    app: &TestApp,
    first: i32,
    sort: &str,
    filter: Value,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = app
            .gql(
                BROWSE,
                json!({"first": first, "after": after, "sort": sort, "filter": filter}),
            )
            .await;
        let books = &body["data"]["books"];
        assert!(books.is_object(), "{body}");
        for edge in books["edges"].as_array().unwrap() {
            out.push((
                edge["node"]["id"].as_str().unwrap().to_owned(),
                edge["node"]["title"].as_str().unwrap().to_owned(),
            ));
        }
        if !books["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return out;
        }
        after = books["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

async fn a_book_is_found_by_id_and_by_isbn_in_any_form(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let id = create_book(
        &app,
        &admin,
        json!({
            "isbn": "0-14-143951-3", "title": "Pride and Prejudice", "price": "9.99",
            "authorNames": ["Jane Austen"], "categorySlugs": ["romance", "classics"],
            "publishedYear": 1813, "pageCount": 432, "keywords": ["Marriage", "england"]
        }),
    )
    .await;
    for form in [
        "9780141439518",
        "978-0-14-143951-8",
        "0141439513",
        "0 14 143951 3",
    ] {
        let body = app
            .gql(
                "query($i: String!) { bookByIsbn(isbn: $i) { id isbn } }",
                json!({"i": form}),
            )
            .await;
        assert_eq!(
            body["data"]["bookByIsbn"]["id"],
            id.as_str(),
            "{form}: {body}"
        );
        assert_eq!(body["data"]["bookByIsbn"]["isbn"], "9780141439518");
    }
    let detail = app
        .gql(
            "query($id: ID!) { book(id: $id) { title publishedYear pageCount keywords available stockStatus
               averageRating reviewCount authors { name } categories { slug } price { amount currency } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        detail["data"]["book"],
        json!({"title": "Pride and Prejudice", "publishedYear": 1813, "pageCount": 432,
               "keywords": ["marriage", "england"], "available": 0, "stockStatus": "OUT_OF_STOCK",
               "averageRating": null, "reviewCount": 0, "authors": [{"name": "Jane Austen"}],
               "categories": [{"slug": "classics"}, {"slug": "romance"}],
               "price": {"amount": "9.99", "currency": "USD"}})
    );
    let missing = app.gql("{ book(id: \"999999\") { id } }", json!({})).await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
}

async fn an_author_lists_their_books(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    for (n, title) in ["Emma", "Persuasion", "Sanditon"].iter().enumerate() {
        let mut input = book(n as u64 + 1, title, "5.00");
        input["authorNames"] = json!(["Jane Austen"]);
        create_book(&app, &admin, input).await;
    }
    let browse = app.gql(BROWSE, json!({"first": 1})).await;
    let author_id = browse["data"]["books"]["edges"][0]["node"]["authors"][0]["id"].clone();
    let body = app
        .gql(
            "query($id: ID!, $first: Int!) { author(id: $id) { name bio books(first: $first) { totalCount edges { node { title } } } } }",
            json!({"id": author_id, "first": 2}),
        )
        .await;
    let author = &body["data"]["author"];
    assert_eq!(author["name"], "Jane Austen");
    assert_eq!(author["books"]["totalCount"], 3);
    assert_eq!(author["books"]["edges"].as_array().unwrap().len(), 2);
}

async fn filters_narrow_the_list_and_its_total(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let poem = create_book(
        &app,
        &admin,
        json!({"isbn": isbn(1), "title": "Odes", "price": "4.00",
        "authorNames": ["Keats"], "categorySlugs": ["poetry"]}),
    )
    .await;
    create_book(
        &app,
        &admin,
        json!({"isbn": isbn(2), "title": "Emma", "price": "8.00",
        "authorNames": ["Jane Austen"], "categorySlugs": ["romance"]}),
    )
    .await;
    let persuasion = create_book(
        &app,
        &admin,
        json!({"isbn": isbn(3), "title": "Persuasion", "price": "12.00",
        "authorNames": ["jane austen"], "categorySlugs": ["romance"]}),
    )
    .await;
    let warehouse = app
        .gql_as(
            Some(&admin),
            "mutation { createWarehouse(input: {name: \"Main\", region: \"eu\"}) { id } }",
            json!({}),
        )
        .await["data"]["createWarehouse"]["id"]
        .clone();
    app.gql_as(
        Some(&admin),
        "mutation($b: ID!, $w: ID!) { setStock(input: {bookId: $b, warehouseId: $w, onHand: 3}) { available } }",
        json!({"b": persuasion, "w": warehouse}),
    )
    .await;
    let categories = app
        .gql("{ categories { id slug bookCount } }", json!({}))
        .await;
    let romance = categories["data"]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "romance")
        .unwrap()
        .clone();
    assert_eq!(romance["bookCount"], 2);
    let author = app
        .gql(
            BROWSE,
            json!({"first": 10, "filter": {"categoryId": romance["id"]}}),
        )
        .await;
    let austen_id = author["data"]["books"]["edges"][0]["node"]["authors"][0]["id"].clone();

    let cases = [
        (
            json!({"categoryId": romance["id"]}),
            vec!["Emma", "Persuasion"],
        ),
        (json!({"authorId": austen_id}), vec!["Emma", "Persuasion"]),
        (json!({"minPrice": "5", "maxPrice": "10.00"}), vec!["Emma"]),
        (json!({"inStock": true}), vec!["Persuasion"]),
        (
            json!({"categoryId": romance["id"], "maxPrice": "9"}),
            vec!["Emma"],
        ),
    ];
    for (filter, expected) in cases {
        let body = app
            .gql(BROWSE, json!({"first": 10, "filter": filter}))
            .await;
        let titles: Vec<&str> = body["data"]["books"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles, expected, "{filter}");
        assert_eq!(
            body["data"]["books"]["totalCount"],
            expected.len(),
            "{filter}"
        );
    }
    let bad = app
        .gql(
            BROWSE,
            json!({"first": 10, "filter": {"minPrice": "cheap"}}),
        )
        .await;
    assert_eq!(bad["errors"][0]["extensions"]["field"], "filter.minPrice");
    let _ = poem;
}

crate::on_every_backend!(
    a_book_is_found_by_id_and_by_isbn_in_any_form,
    an_author_lists_their_books,
    filters_narrow_the_list_and_its_total,
);
