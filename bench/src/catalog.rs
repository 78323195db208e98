//! `folio-bench catalog`: Browse and Search against a running server over HTTP, with concurrent
//! clients, on whatever catalog it serves (`folio-bench seed --books 1000000` for the published figures).
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::rng::Rng;
use crate::samples::{Samples, TABLE_HEADER};

/// The fields of the contract's BookCard fragment.
const BOOK_CARD: &str =
    "fragment BookCard on Book { id isbn title price { amount currency } authors { id name }
  categories { id name slug } stockStatus averageRating reviewCount }";

/// The words the seeder builds titles from, so every search finds something.
const ADJECTIVES: &[&str] = &[
    "silent", "crimson", "hidden", "golden", "broken", "distant", "secret", "winter", "quiet",
    "iron",
];
const NOUNS: &[&str] = &[
    "river", "kingdom", "garden", "harbor", "empire", "letter", "mountain", "orchard", "voyage",
    "archive",
];
const SORTS: &[&str] = &["TITLE", "PRICE_ASC", "PRICE_DESC", "NEWEST", "RATING"];

/// What one run exercises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Browse pages of 20 with every BookCard field: all sorts, half of them in a category, and
    /// about half following the previous page's cursor.
    Browse,
    /// Search for one word.
    SearchOne,
    /// Search for two words.
    SearchTwo,
    /// Search for a word with one typo.
    SearchTypo,
    /// Search for one word within a category.
    SearchFilter,
}

impl Scenario {
    /// Every scenario, in report order.
    pub const ALL: [Scenario; 5] = [
        Scenario::Browse,
        Scenario::SearchOne,
        Scenario::SearchTwo,
        Scenario::SearchTypo,
        Scenario::SearchFilter,
    ];

    fn name(self) -> &'static str {
        match self {
            Scenario::Browse => "Browse (first 20, BookCard)",
            Scenario::SearchOne => "Search, one word",
            Scenario::SearchTwo => "Search, two words",
            Scenario::SearchTypo => "Search, one typo",
            Scenario::SearchFilter => "Search, with a category filter",
        }
    }
}

/// The flags of `folio-bench catalog`.
#[derive(Clone, Debug, clap::Args)]
pub struct Catalog {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Scenarios to run (all by default).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub scenario: Vec<Scenario>,
    /// Numbers of concurrent clients to run each scenario with.
    #[arg(long, value_delimiter = ',', default_value = "1,8")]
    pub clients: Vec<usize>,
    /// Seconds per measured run.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
}

/// Runs each scenario against the server with each number of clients, after a warm-up, and prints
/// a Markdown table.
pub async fn run(options: Catalog) -> anyhow::Result<()> {
    let scenarios = if options.scenario.is_empty() {
        Scenario::ALL.to_vec()
    } else {
        options.scenario
    };
    let duration = Duration::from_secs(options.seconds);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let endpoint = format!("{}/graphql", options.url.trim_end_matches('/'));
    let categories = post(&http, &endpoint, "{ categories { id } }", json!({})).await?;
    let category_ids: Vec<String> = categories["data"]["categories"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|c| c["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let total = post(
        &http,
        &endpoint,
        "{ books(first: 1) { totalCount } }",
        json!({}),
    )
    .await?;
    println!(
        "catalog: {} books, {} categories; {} s per run\n",
        total["data"]["books"]["totalCount"],
        category_ids.len(),
        duration.as_secs()
    );
    println!("{TABLE_HEADER}");
    let category_ids = Arc::new(category_ids);
    for scenario in scenarios {
        for &n in &options.clients {
            // Warm caches and connections, then measure.
            let _ = load(
                &http,
                &endpoint,
                scenario,
                n,
                Duration::from_secs(2),
                &category_ids,
            )
            .await;
            let mut samples = load(&http, &endpoint, scenario, n, duration, &category_ids).await;
            println!("{}", samples.row(scenario.name(), n));
            if let Some(error) = &samples.first_error {
                println!("<!-- first error: {error} -->");
            }
        }
    }
    Ok(())
}

async fn load(
    http: &reqwest::Client,
    endpoint: &str,
    scenario: Scenario,
    clients: usize,
    duration: Duration,
    category_ids: &Arc<Vec<String>>,
) -> Samples {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (http, endpoint, categories) =
            (http.clone(), endpoint.to_owned(), category_ids.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(0xF0110 + client as u64);
            let mut samples = Samples::default();
            let mut cursor: Option<String> = None;
            while Instant::now() < deadline {
                let (query, variables) = request(scenario, &mut rng, &categories, cursor.take());
                let variables_sent = variables.clone();
                let sent = Instant::now();
                let outcome = post(&http, &endpoint, &query, variables).await;
                samples.record(sent, &outcome);
                if let Ok(body) = outcome
                    && continues(&variables_sent)
                    && rng.below(2) == 0
                {
                    cursor = body["data"]["books"]["pageInfo"]["endCursor"]
                        .as_str()
                        .map(str::to_owned);
                }
            }
            samples
        }));
    }
    Samples::gather(started, tasks).await
}

fn request(
    scenario: Scenario,
    rng: &mut Rng,
    categories: &[String],
    cursor: Option<String>,
) -> (String, Value) {
    let pick =
        |rng: &mut Rng, words: &[&str]| words[rng.below(words.len() as u64) as usize].to_owned();
    let category = |rng: &mut Rng| {
        (!categories.is_empty())
            .then(|| categories[rng.below(categories.len() as u64) as usize].clone())
    };
    match scenario {
        Scenario::Browse => {
            let query = format!(
                "query Browse($first: Int!, $after: String, $filter: BookFilter, $sort: BookSort) {{
                   books(first: $first, after: $after, filter: $filter, sort: $sort) {{
                     totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ ...BookCard }} }} }} }} {BOOK_CARD}"
            );
            // A cursor belongs to the order and filter it came from: only TITLE pages without a
            // filter are continued (see `continues`), and their cursor is sent with the same.
            let vars = match cursor {
                Some(after) => json!({"first": 20, "after": after, "sort": "TITLE"}),
                None => {
                    let sort = SORTS[rng.below(SORTS.len() as u64) as usize];
                    let filter = if rng.below(2) == 0 {
                        category(rng).map(|id| json!({"categoryId": id}))
                    } else {
                        None
                    };
                    json!({"first": 20, "filter": filter, "sort": sort})
                }
            };
            (query, vars)
        }
        _ => {
            let text = match scenario {
                Scenario::SearchOne | Scenario::SearchFilter => pick(rng, NOUNS),
                Scenario::SearchTwo => format!("{} {}", pick(rng, ADJECTIVES), pick(rng, NOUNS)),
                _ => typo(&pick(rng, NOUNS), rng),
            };
            let filter = (scenario == Scenario::SearchFilter)
                .then(|| category(rng))
                .flatten()
                .map(|id| json!({"categoryId": id}));
            let query = format!(
                "query Search($query: String!, $first: Int!, $filter: BookFilter) {{
                   searchBooks(query: $query, first: $first, filter: $filter) {{
                     totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor score node {{ ...BookCard }} }}
                     facets {{ category {{ id name slug }} count }} }} }} {BOOK_CARD}"
            );
            (query, json!({"query": text, "first": 20, "filter": filter}))
        }
    }
}

/// Whether a Browse page's cursor may be followed: TITLE order and no filter.
fn continues(variables: &Value) -> bool {
    variables["sort"] == "TITLE" && variables["filter"].is_null()
}

/// The word with two neighbouring letters swapped (one typo).
fn typo(word: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    if chars.len() > 3 {
        let i = 1 + rng.below(chars.len() as u64 - 2) as usize;
        chars.swap(i, i + 1);
    }
    chars.into_iter().collect()
}

async fn post(
    http: &reqwest::Client,
    endpoint: &str,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    let response = http
        .post(endpoint)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await?;
    if !status.is_success() || body.get("errors").is_some() || body["data"].is_null() {
        anyhow::bail!(
            "HTTP {status}: {}",
            body.to_string().chars().take(300).collect::<String>()
        );
    }
    Ok(body)
}
