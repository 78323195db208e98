//! The HTTP side of `hot-book`: GraphQL requests as a buyer or the admin sends them, and the
//! server's SQL statement counter from `/metrics`.
use serde_json::{Value, json};

pub(super) struct Client {
    pub(super) http: reqwest::Client,
    pub(super) endpoint: String,
    pub(super) metrics: String,
}

impl Client {
    pub(super) async fn post(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .post(&self.endpoint)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let body: Value = request.send().await?.json().await?;
        Ok(body)
    }

    /// The `data.<field>` of a request that must succeed.
    pub(super) async fn ok(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        field: &str,
    ) -> anyhow::Result<Value> {
        let body = self.post(token, query, variables).await?;
        let value = body["data"][field].clone();
        anyhow::ensure!(!value.is_null(), "{field} failed: {body}");
        Ok(value)
    }

    /// The server's SQL statement counter.
    pub(super) async fn statements(&self) -> anyhow::Result<f64> {
        let text = self.http.get(&self.metrics).send().await?.text().await?;
        text.lines()
            .find(|l| l.starts_with("folio_sql_statements_total"))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("/metrics has no folio_sql_statements_total"))
    }
}

pub(super) const ADD: &str =
    "mutation($b: ID!) { addToCart(bookId: $b, quantity: 1) { itemCount } }";
pub(super) const CHECKOUT: &str = "mutation($k: String!) { checkout(input: {idempotencyKey: $k, payment: {token: \"tok_visa\"}}) { id status } }";
