//! `folio-bench hot-book`: many buyers adding one book to their carts and checking out, against a
//! running server over HTTP, then a count from the database of what was sold and held, so that an
//! oversold unit cannot go unnoticed.
//!
//! The run: an admin (created in the database the server uses) adds a book with `units` on hand in
//! one warehouse; `buyers` accounts sign up; then each buyer, concurrently, adds one unit to its cart
//! and checks out (a new idempotency key each time), over and over, until the stock runs out or the
//! time is up. Before that, one buyer alone does the same a few dozen times while the server's
//! `/metrics` counts the SQL statements of each request.
mod client;

use std::sync::Arc;
use std::time::{Duration, Instant};

use folio::config::StoreArgs;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::samples::{Samples, TABLE_HEADER};
use crate::store;
use client::{ADD, CHECKOUT, Client};

/// The flags of `folio-bench hot-book`.
#[derive(Clone, Debug, clap::Args)]
pub struct HotBook {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The server's database (the admin is created there, and the result read from it).
    #[command(flatten)]
    pub store: StoreArgs,
    /// Concurrent buyers.
    #[arg(long, default_value_t = 256)]
    pub buyers: usize,
    /// Units of the book on hand at the start.
    #[arg(long, default_value_t = 10_000)]
    pub units: i32,
    /// Longest the race may last, in seconds (it ends sooner when the book sells out).
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Only add to carts, never check out: the hold path alone.
    // Each buyer then adds one unit at a time until sold out: the path closest to the bare guarded
    // UPDATE it is compared with.
    #[arg(long)]
    pub holds_only: bool,
}

/// Runs the benchmark and prints its tables.
pub async fn run(options: HotBook) -> anyhow::Result<()> {
    let db = &store::connect(&options.store).await?;
    let base = options.url.trim_end_matches('/');
    let client = Arc::new(Client {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(options.buyers)
            .build()?,
        endpoint: format!("{base}/graphql"),
        metrics: format!("{base}/metrics"),
    });
    let run_id = format!("{}", chrono::Utc::now().timestamp_millis());

    // The admin, the book and its stock.
    let email = format!("bench-admin-{run_id}@folio.bench");
    folio::services::accounts::user::create_user(
        db,
        folio::services::accounts::user::NewUser {
            email: email.clone(),
            password: "bench-password".into(),
            name: "Bench admin".into(),
            role: folio::domain::viewer::Role::Admin,
        },
    )
    .await?;
    let signed_in = client
        .ok(None, "mutation($e: String!) { signIn(input: {email: $e, password: \"bench-password\"}) { token } }",
            json!({ "e": email }), "signIn")
        .await?;
    let admin = signed_in["token"].as_str().unwrap_or_default().to_owned();
    let isbn_seed = 900_000_000 + (chrono::Utc::now().timestamp_millis() % 90_000_000) as u64;
    let book = client
        .ok(Some(&admin), "mutation($i: CreateBookInput!) { createBook(input: $i) { id } }",
            json!({ "i": { "isbn": folio::domain::isbn::synthetic(isbn_seed).as_str(),
                "title": format!("The Hot Book {run_id}"), "price": "10.00", "authorNames": ["Bench"],
                "categorySlugs": ["bench"], "description": "Everyone wants it." } }), "createBook")
        .await?["id"].as_str().unwrap_or_default().to_owned();
    let warehouse = client
        .ok(Some(&admin), "mutation($n: String!) { createWarehouse(input: {name: $n, region: \"bench\"}) { id } }",
            json!({ "n": format!("bench-{run_id}") }), "createWarehouse")
        .await?["id"].as_str().unwrap_or_default().to_owned();
    client
        .ok(Some(&admin), "mutation($b: ID!, $w: ID!, $n: Int!) { setStock(input: {bookId: $b, warehouseId: $w, onHand: $n}) { available } }",
            json!({ "b": book, "w": warehouse, "n": options.units }), "setStock")
        .await?;

    // The buyers, eight sign-ups at a time (each hashes a password).
    let mut tokens = Vec::with_capacity(options.buyers);
    for chunk in (0..options.buyers).collect::<Vec<_>>().chunks(8) {
        let signups = chunk.iter().map(|n| {
            let client = client.clone();
            let email = format!("bench-{run_id}-{n}@folio.bench");
            async move {
                client.ok(None, "mutation($e: String!) { signUp(input: {email: $e, password: \"bench-password\", name: \"Buyer\"}) { token } }",
                    json!({ "e": email }), "signUp").await
            }
        });
        for signed_up in futures_util::future::join_all(signups).await {
            tokens.push(signed_up?["token"].as_str().unwrap_or_default().to_owned());
        }
    }

    // Statements per request: one buyer alone, background statements (relays, sweeper) subtracted.
    let idle_start = client.statements().await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rate = (client.statements().await? - idle_start) / 2.0;
    let (mut add_statements, mut checkout_statements) = (0.0, 0.0);
    const ALONE: usize = 30;
    for n in 0..ALONE {
        let (before, sent) = (client.statements().await?, Instant::now());
        client
            .ok(Some(&tokens[0]), ADD, json!({ "b": book }), "addToCart")
            .await?;
        let add_took = sent.elapsed();
        let (middle, sent) = (client.statements().await?, Instant::now());
        client
            .ok(
                Some(&tokens[0]),
                CHECKOUT,
                json!({ "k": format!("alone-{n}") }),
                "checkout",
            )
            .await?;
        let checkout_took = sent.elapsed();
        let after = client.statements().await?;
        add_statements += middle - before - idle_rate * add_took.as_secs_f64();
        checkout_statements += after - middle - idle_rate * checkout_took.as_secs_f64();
    }

    // The race.
    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    let holds_only = options.holds_only;
    let started = Instant::now();
    let tasks: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(n, token)| {
            let (client, token, book) = (client.clone(), token.clone(), book.clone());
            tokio::spawn(async move {
                let (mut holds, mut checkouts) = (Samples::default(), Samples::default());
                let mut sold_out = false;
                let mut round = 0;
                while !sold_out && Instant::now() < deadline {
                    let sent = Instant::now();
                    let added = client.post(Some(&token), ADD, json!({ "b": book })).await;
                    let added = match added {
                        Ok(body) if body["data"]["addToCart"].is_object() => Ok(()),
                        Ok(body) if body["errors"][0]["extensions"]["code"] == "OUT_OF_STOCK" => {
                            sold_out = true;
                            continue;
                        }
                        Ok(body) => Err(anyhow::anyhow!("addToCart: {body}")),
                        Err(err) => Err(err),
                    };
                    holds.record(sent, &added);
                    if added.is_err() || holds_only {
                        continue;
                    }
                    let sent = Instant::now();
                    let key = format!("race-{n}-{round}");
                    round += 1;
                    let paid = match client
                        .post(Some(&token), CHECKOUT, json!({ "k": key }))
                        .await
                    {
                        Ok(body) if body["data"]["checkout"]["status"] == "PAID" => Ok(()),
                        Ok(body) => Err(anyhow::anyhow!("checkout: {body}")),
                        Err(err) => Err(err),
                    };
                    checkouts.record(sent, &paid);
                }
                (holds, checkouts)
            })
        })
        .collect();
    let (mut holds, mut checkouts) = (Samples::default(), Samples::default());
    for task in tasks {
        if let Ok((h, c)) = task.await {
            holds.merge(h);
            checkouts.merge(c);
        }
    }
    holds.elapsed = started.elapsed();
    checkouts.elapsed = holds.elapsed;

    // What the database says, once the server has deducted the paid sales from the stock row (its
    // background pass does, a moment after each payment).
    let book_id: i64 = book.parse()?;
    let waiting = Statement::from_string(
        db.get_database_backend(),
        "SELECT COUNT(*) AS n FROM orders WHERE holds_stock AND status = 'PAID'",
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let row = db.query_one_raw(waiting.clone()).await?;
        let left: i64 = row.map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0);
        if left == 0 {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{left} paid orders were still not deducted from stock after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT on_hand, held FROM stock WHERE book_id = {book_id}"),
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("the hot book has no stock row"))?;
    let (on_hand, held): (i32, i32) = (row.try_get("", "on_hand")?, row.try_get("", "held")?);
    let sold = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT CAST(COALESCE(SUM(i.quantity), 0) AS BIGINT) AS sold FROM order_items i
                     JOIN orders o ON o.id = i.order_id WHERE i.book_id = {book_id} AND o.status = 'PAID'"),
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "sold"))
        .transpose()?
        .unwrap_or(0);
    let oversold = (sold + i64::from(held) - i64::from(options.units)).max(0);

    println!("{TABLE_HEADER}");
    println!("{}", holds.row("addToCart (hold 1 unit)", options.buyers));
    if !holds_only {
        println!("{}", checkouts.row("checkout (tok_visa)", options.buyers));
    }
    if let Some(err) = holds
        .first_error
        .as_ref()
        .or(checkouts.first_error.as_ref())
    {
        println!("\nfirst error: {err}");
    }
    println!();
    println!("| measure | value |\n| --- | --- |");
    println!("| run time | {:.1} s |", holds.elapsed.as_secs_f64());
    println!(
        "| SQL statements per addToCart (alone, {ALONE} requests) | {:.1} |",
        add_statements / ALONE as f64
    );
    println!(
        "| SQL statements per checkout (alone, {ALONE} requests) | {:.1} |",
        checkout_statements / ALONE as f64
    );
    println!("| units on hand at start | {} |", options.units);
    println!("| units sold (PAID orders) | {sold} |");
    println!("| units still held | {held} |");
    println!("| units on hand now | {on_hand} |");
    println!("| oversold units | {oversold} |");
    anyhow::ensure!(oversold == 0, "OVERSOLD by {oversold} units");
    anyhow::ensure!(
        i64::from(on_hand) == i64::from(options.units) - sold,
        "on hand ({on_hand}) is not the start ({}) less what was sold ({sold})",
        options.units
    );
    Ok(())
}
