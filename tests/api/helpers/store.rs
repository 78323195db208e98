//! The catalog and its stock, set up through the admin's mutations, and read back as the admin
//! sees them.
use serde_json::{Value, json};

use super::{TestApp, data, unique};

impl TestApp {
    /// Creates a book priced `price` with `units` on hand in one new warehouse; returns its id.
    pub async fn stocked_book(&self, admin: &str, price: &str, units: i32) -> String {
        let book_id = self.book(admin, price).await;
        let warehouse = self.warehouse(admin).await;
        self.set_stock(admin, &book_id, &warehouse, units).await;
        book_id
    }

    /// Creates a book priced `price` with no stock; returns its id.
    pub async fn book(&self, admin: &str, price: &str) -> String {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let n = NEXT.fetch_add(1, Ordering::Relaxed) + 7_000_000;
        let body = self
            .gql_as(
                Some(admin),
                "mutation($input: CreateBookInput!) { createBook(input: $input) { id } }",
                json!({ "input": {
                    "isbn": folio::domain::isbn::synthetic(n).as_str(),
                    "title": format!("Book {n}"), "price": price, "authorNames": ["Author"],
                    "categorySlugs": ["fiction"], "description": "A book."
                }}),
            )
            .await;
        data(&body, "createBook")["id"].as_str().unwrap().to_owned()
    }

    /// Creates a warehouse with a unique name; returns its id.
    pub async fn warehouse(&self, admin: &str) -> String {
        let body = self
            .gql_as(
                Some(admin),
                "mutation($n: String!) { createWarehouse(input: {name: $n, region: \"eu\"}) { id } }",
                json!({ "n": unique("wh") }),
            )
            .await;
        data(&body, "createWarehouse")["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Sets the units on hand; returns the `setStock` payload.
    pub async fn set_stock(&self, admin: &str, book: &str, warehouse: &str, units: i32) -> Value {
        let body = self
            .gql_as(
                Some(admin),
                "mutation($b: ID!, $w: ID!, $n: Int!) { setStock(input: {bookId: $b, warehouseId: $w, onHand: $n}) {
                   available stockStatus warehouses { warehouse { id } onHand held } } }",
                json!({ "b": book, "w": warehouse, "n": units }),
            )
            .await;
        data(&body, "setStock").clone()
    }

    /// The book's available units and (on hand, held) per warehouse, as the admin sees them once
    /// paid orders' sales are deducted (the background pass does it within a moment; this does it
    /// now, so that tests need not wait).
    pub async fn stock_of(&self, book: &str) -> (i64, Vec<(i64, i64)>) {
        while folio::services::inventory::sale::deduct_sold_stock(&self.state().db)
            .await
            .unwrap()
            > 0
        {}
        self.stock_as_it_is(book).await
    }

    /// The book's available units and (on hand, held) per warehouse, as they are this moment.
    pub async fn stock_as_it_is(&self, book: &str) -> (i64, Vec<(i64, i64)>) {
        let rows =
            folio::services::inventory::level::stock_of(&self.state().db, book.parse().unwrap())
                .await
                .unwrap();
        (
            folio::services::inventory::level::available(&rows),
            rows.iter()
                .map(|r| (i64::from(r.on_hand), i64::from(r.held)))
                .collect(),
        )
    }
}
