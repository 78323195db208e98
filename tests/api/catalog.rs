//! Browsing and managing the catalog over HTTP: books, pages and cursors, filters, the admin
//! mutations and their validation, stock, reviews, and the cost of a page in SQL statements.
use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, error_code, spawn_app};

const CREATE: &str = "mutation($input: CreateBookInput!) { createBook(input: $input) { id isbn title price { amount currency } } }";
const BROWSE: &str = "query($first: Int!, $after: String, $filter: BookFilter, $sort: BookSort) {
  books(first: $first, after: $after, filter: $filter, sort: $sort) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id isbn title price { amount currency } authors { id name } categories { id name slug }
      stockStatus averageRating reviewCount } } } }";

/// A valid ISBN-13 for `n`.
fn isbn(n: u64) -> String {
    folio::domain::isbn::synthetic(n).as_str().to_owned()
}

/// Creates a book as `admin`; returns its id.
async fn create_book(app: &TestApp, admin: &str, input: Value) -> String {
    let body = app
        .gql_as(Some(admin), CREATE, json!({ "input": input }))
        .await;
    body["data"]["createBook"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("createBook failed: {body}"))
        .to_owned()
}

fn book(n: u64, title: &str, price: &str) -> Value {
    json!({
        "isbn": isbn(n), "title": title, "price": price, "authorNames": ["Author"],
        "categorySlugs": ["fiction"], "description": "A book."
    })
}

/// Every page of `books` in `sort` order with `filter`, as (id, title) pairs.
async fn all_pages(app: &TestApp, first: i32, sort: &str, filter: Value) -> Vec<(String, String)> {
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

async fn every_sort_pages_through_all_books_in_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let prices = [
        "7.50", "3.00", "12.00", "3.00", "9.99", "1.25", "20.00", "7.50", "4.00", "15.00", "3.00",
    ];
    let mut ids = Vec::new();
    for (n, price) in prices.iter().enumerate() {
        let title = format!("Book {:02}", (n * 7) % 11);
        ids.push(create_book(&app, &admin, book(100 + n as u64, &title, price)).await);
    }
    let by_title = all_pages(&app, 3, "TITLE", json!(null)).await;
    let titles: Vec<&str> = by_title.iter().map(|(_, t)| t.as_str()).collect();
    let mut sorted = titles.clone();
    sorted.sort();
    assert_eq!(titles, sorted);

    let newest = all_pages(&app, 4, "NEWEST", json!(null)).await;
    let newest_ids: Vec<String> = newest.into_iter().map(|(id, _)| id).collect();
    assert_eq!(newest_ids, ids.iter().rev().cloned().collect::<Vec<_>>());

    for sort in ["PRICE_ASC", "PRICE_DESC", "RATING"] {
        let pages = all_pages(&app, 2, sort, json!(null)).await;
        let unique: HashSet<&String> = pages.iter().map(|(id, _)| id).collect();
        assert_eq!(pages.len(), prices.len(), "{sort}");
        assert_eq!(unique.len(), prices.len(), "{sort} repeated a book");
    }
    // Prices come out in order, ties broken the same way every time.
    let body = app
        .gql(BROWSE, json!({"first": 20, "sort": "PRICE_ASC"}))
        .await;
    let amounts: Vec<f64> = body["data"]["books"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e["node"]["price"]["amount"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(amounts.windows(2).all(|w| w[0] <= w[1]), "{amounts:?}");

    let wrong_cursor = app
        .gql(BROWSE, json!({"first": 2, "sort": "TITLE", "after": body["data"]["books"]["pageInfo"]["endCursor"]}))
        .await;
    assert_eq!(error_code(&wrong_cursor), "BAD_USER_INPUT");
    let too_big = app.gql(BROWSE, json!({"first": 101})).await;
    assert_eq!(too_big["errors"][0]["extensions"]["field"], "first");
}

async fn pages_never_skip_or_repeat_a_book_while_others_are_added_and_removed(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let mut original = Vec::new();
    for n in 0..20u64 {
        original.push(create_book(&app, &admin, book(200 + n, &format!("M {n:02}"), "5.00")).await);
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut round = 0u64;
    loop {
        let body = app
            .gql(BROWSE, json!({"first": 3, "after": after, "sort": "TITLE"}))
            .await;
        let books = &body["data"]["books"];
        for edge in books["edges"].as_array().unwrap() {
            seen.push(edge["node"]["id"].as_str().unwrap().to_owned());
        }
        // Between pages: add books before and after the cursor, and delete one not yet seen.
        round += 1;
        create_book(
            &app,
            &admin,
            book(300 + round, &format!("A {round:02}"), "5.00"),
        )
        .await;
        create_book(
            &app,
            &admin,
            book(400 + round, &format!("Z {round:02}"), "5.00"),
        )
        .await;
        if round == 2 {
            let victim = original.last().unwrap().clone();
            app.gql_as(
                Some(&admin),
                "mutation($id: ID!) { deleteBook(id: $id) }",
                json!({"id": victim}),
            )
            .await;
            original.pop();
        }
        if !books["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = books["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a book was repeated");
    for id in &original {
        assert!(seen.contains(id), "book {id} was skipped");
    }
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

async fn a_second_review_replaces_the_first_and_ratings_follow(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let id = create_book(&app, &admin, book(1, "Reviewed", "5.00")).await;
    let (alice, ..) = app.sign_up("Alice").await;
    let (bob, ..) = app.sign_up("Bob").await;
    let review = "mutation($b: ID!, $r: Int!, $t: String) { addReview(input: {bookId: $b, rating: $r, title: $t}) { id rating title } }";
    let first = app
        .gql_as(Some(&alice), review, json!({"b": id, "r": 2, "t": "Meh"}))
        .await;
    let again = app
        .gql_as(
            Some(&alice),
            review,
            json!({"b": id, "r": 5, "t": "Grew on me"}),
        )
        .await;
    assert_eq!(
        first["data"]["addReview"]["id"],
        again["data"]["addReview"]["id"]
    );
    app.gql_as(Some(&bob), review, json!({"b": id, "r": 4}))
        .await;

    let detail = app
        .gql(
            "query($id: ID!) { book(id: $id) { averageRating reviewCount
               reviews(first: 10) { totalCount edges { node { rating title author { name } } } } } }",
            json!({"id": id}),
        )
        .await;
    let book = &detail["data"]["book"];
    assert_eq!(book["averageRating"], 4.5);
    assert_eq!(book["reviewCount"], 2);
    assert_eq!(book["reviews"]["totalCount"], 2);
    assert_eq!(book["reviews"]["edges"][1]["node"]["title"], "Grew on me");
    assert_eq!(book["reviews"]["edges"][0]["node"]["author"]["name"], "Bob");

    let bad = app
        .gql_as(Some(&alice), review, json!({"b": id, "r": 6}))
        .await;
    assert_eq!(bad["errors"][0]["extensions"]["field"], "rating");
    let anonymous = app.gql(review, json!({"b": id, "r": 3})).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");

    let by_rating = all_pages(&app, 5, "RATING", json!(null)).await;
    assert_eq!(by_rating[0].0, id);
}

async fn a_deleted_book_leaves_browse_but_keeps_its_reviews(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let id = create_book(&app, &admin, book(1, "Doomed", "5.00")).await;
    let (alice, ..) = app.sign_up("Alice").await;
    app.gql_as(
        Some(&alice),
        "mutation($b: ID!) { addReview(input: {bookId: $b, rating: 3}) { id } }",
        json!({"b": id}),
    )
    .await;
    let deleted = app
        .gql_as(
            Some(&admin),
            "mutation($id: ID!) { deleteBook(id: $id) }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(deleted["data"]["deleteBook"], true);
    let gone = app
        .gql(
            "query($id: ID!) { book(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
    assert!(all_pages(&app, 5, "TITLE", json!(null)).await.is_empty());
    let again = app
        .gql_as(
            Some(&admin),
            "mutation($id: ID!) { deleteBook(id: $id) }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(error_code(&again), "NOT_FOUND");
    use sea_orm::{EntityTrait, PaginatorTrait};
    let db = &app.app.as_ref().unwrap().state.db;
    assert_eq!(
        folio::entities::review::Entity::find()
            .count(db)
            .await
            .unwrap(),
        1
    );
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

/// The statements one Browse request costs, all BookCard fields included.
async fn statements_for_a_page(app: &TestApp, first: i32) -> u64 {
    let counter = app.app.as_ref().unwrap().state.sql_statements.clone();
    let before = counter.get();
    let body = app.gql(BROWSE, json!({"first": first})).await;
    assert_eq!(
        body["data"]["books"]["edges"].as_array().unwrap().len(),
        first as usize,
        "{body}"
    );
    counter.get() - before
}

async fn a_page_of_fifty_books_costs_the_same_few_statements_as_a_page_of_five(backend: Backend) {
    // The outbox relays and the workers share the pool; keep them asleep so that only the page's
    // statements count.
    let app =
        crate::helpers::spawn_app_with(backend, crate::helpers::without_background_work).await;
    let admin = app.admin_token().await;
    for n in 0..50u64 {
        let mut input = book(n + 1, &format!("Book {n:02}"), "5.00");
        input["authorNames"] = json!([format!("Author {}", n % 7), "Co Author"]);
        input["categorySlugs"] = json!([format!("shelf-{}", n % 4)]);
        create_book(&app, &admin, input).await;
    }
    // Let the search index catch up with the new books first: its follower shares the pool.
    let state = &app.app.as_ref().unwrap().state;
    let last = folio::services::updates::outbox::last_id(&state.db)
        .await
        .unwrap();
    while state.search.cursor().await.unwrap() < last {
        folio::services::updates::relay::catch_up_once(&state.db, &state.search)
            .await
            .unwrap();
    }
    // The first page also counts the books; the count is then cached (see CountCache).
    assert!(statements_for_a_page(&app, 5).await <= 7);
    let five = statements_for_a_page(&app, 5).await;
    let fifty = statements_for_a_page(&app, 50).await;
    assert_eq!(five, fifty, "the cost of a page grew with its size");
    // The page, two for authors, two for categories, one for stock.
    assert!(fifty <= 6, "a page cost {fifty} statements");
}

async fn both_ways_of_reading_a_shelf_give_the_same_pages(backend: Backend) {
    use folio::domain::book::{BookFilter, BookSort};
    use folio::entities::book::ShelfPlan;
    use folio::services::catalog::browse::page_with_plan;
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    for n in 0..12u64 {
        let mut input = book(n + 1, &format!("Shelf {n:02}"), &format!("{}.00", 20 - n));
        input["categorySlugs"] = json!([if n % 3 == 0 { "poetry" } else { "drama" }]);
        create_book(&app, &admin, input).await;
    }
    let db = &app.app.as_ref().unwrap().state.db;
    let categories = app.gql("{ categories { id slug } }", json!({})).await;
    for category in categories["data"]["categories"].as_array().unwrap() {
        let filter = BookFilter {
            category_id: Some(category["id"].as_str().unwrap().parse().unwrap()),
            ..Default::default()
        };
        for sort in [
            BookSort::Title,
            BookSort::PriceAsc,
            BookSort::PriceDesc,
            BookSort::Newest,
            BookSort::Rating,
        ] {
            let mut pages = Vec::new();
            for plan in [ShelfPlan::FromShelf, ShelfPlan::WalkSortOrder] {
                let mut ids = Vec::new();
                let mut after: Option<String> = None;
                loop {
                    let page = page_with_plan(db, &filter, plan, sort, 3, after.as_deref())
                        .await
                        .unwrap();
                    ids.extend(page.items.iter().map(|(_, b)| b.id));
                    if !page.has_next_page {
                        break;
                    }
                    after = page.items.last().map(|(c, _)| c.clone());
                }
                pages.push(ids);
            }
            assert_eq!(pages[0], pages[1], "{sort:?} in {}", category["slug"]);
            assert!(!pages[0].is_empty());
        }
    }
}

crate::on_every_backend!(
    a_book_is_found_by_id_and_by_isbn_in_any_form,
    only_admins_manage_the_catalog,
    each_invalid_book_field_is_named_and_nothing_is_created,
    every_sort_pages_through_all_books_in_order,
    pages_never_skip_or_repeat_a_book_while_others_are_added_and_removed,
    filters_narrow_the_list_and_its_total,
    stock_adds_up_over_warehouses_and_never_drops_under_what_is_held,
    a_second_review_replaces_the_first_and_ratings_follow,
    a_deleted_book_leaves_browse_but_keeps_its_reviews,
    an_author_lists_their_books,
    a_page_of_fifty_books_costs_the_same_few_statements_as_a_page_of_five,
    both_ways_of_reading_a_shelf_give_the_same_pages,
);

mod demo {
    use serde_json::json;

    use crate::helpers::{Backend, spawn_app};

    /// A first start loads a few hundred classics with authors, shelves, stock and reviews, and only once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_demo_catalog_loads_once_and_is_browsable_and_searchable() {
        let app = spawn_app(Backend::Sqlite).await;
        let db = &app.app.as_ref().unwrap().state.db;
        let loaded = folio::demo::load_if_empty(db).await.unwrap();
        assert!(loaded.accounts);
        assert_eq!(loaded.books, folio::demo::catalog_size());
        let again = folio::demo::load_if_empty(db).await.unwrap();
        assert!(
            !again.accounts && again.books == 0,
            "a second start loads nothing"
        );

        let body = app
            .gql(
                "{ books(first: 50) { totalCount edges { node { stockStatus reviewCount authors { bio } } } }
                   categories { bookCount } }",
                json!({}),
            )
            .await;
        assert_eq!(
            body["data"]["books"]["totalCount"],
            folio::demo::catalog_size()
        );
        let edges = body["data"]["books"]["edges"].as_array().unwrap();
        for status in ["IN_STOCK", "LOW_STOCK", "OUT_OF_STOCK"] {
            assert!(
                edges.iter().any(|e| e["node"]["stockStatus"] == status),
                "no {status} among the first 50"
            );
        }
        assert!(
            edges
                .iter()
                .any(|e| e["node"]["reviewCount"].as_i64() > Some(0))
        );
        assert!(
            edges
                .iter()
                .all(|e| e["node"]["authors"][0]["bio"].is_string())
        );
        assert!(
            body["data"]["categories"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["bookCount"].as_i64() >= Some(8))
        );

        let started = std::time::Instant::now();
        loop {
            let found = app
                .gql(
                    "{ searchBooks(query: \"moby dick\", first: 1) { edges { node { title } } } }",
                    json!({}),
                )
                .await;
            if found["data"]["searchBooks"]["edges"][0]["node"]["title"] == "Moby-Dick" {
                break;
            }
            assert!(
                started.elapsed().as_secs() < 10,
                "the demo catalog was not indexed: {found}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}
