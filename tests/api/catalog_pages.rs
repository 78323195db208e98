//! Paging through the catalog: every sort in order, cursors that neither skip nor repeat while
//! books come and go, the two ways of reading a shelf, and the cost of a page in SQL statements.
use std::collections::HashSet;

use serde_json::json;

use crate::catalog::{BROWSE, all_pages, book, create_book};
use crate::helpers::{Backend, TestApp, error_code, spawn_app};

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

crate::on_every_backend!(
    every_sort_pages_through_all_books_in_order,
    pages_never_skip_or_repeat_a_book_while_others_are_added_and_removed,
    both_ways_of_reading_a_shelf_give_the_same_pages,
    a_page_of_fifty_books_costs_the_same_few_statements_as_a_page_of_five,
);
