//! Reviews over HTTP: one per reader and book, the ratings that follow them, and what a deleted
//! book leaves behind.
use serde_json::json;

use crate::catalog::{all_pages, book, create_book};
use crate::helpers::{Backend, error_code, spawn_app};

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

crate::on_every_backend!(
    a_second_review_replaces_the_first_and_ratings_follow,
    a_deleted_book_leaves_browse_but_keeps_its_reviews,
);
