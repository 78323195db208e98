//! Reading what Elasticsearch answers: a reply's status and JSON body, search hits and facets,
//! the authors and titles of a suggestion reply, and why a bulk item failed.
use anyhow::{Context, anyhow, bail};
use elasticsearch::http::StatusCode;
use elasticsearch::http::response::Response;
use serde_json::Value;

use crate::search::SearchResults;
use crate::search::suggestion::SuggestionRanking;

/// The hits of a search reply, with their scores, the total and the category facets.
pub(super) fn search_results(reply: &Value) -> anyhow::Result<SearchResults> {
    let total = reply["hits"]["total"]["value"].as_u64().ok_or_else(|| {
        anyhow!(
            "Elasticsearch search: no hits.total in {}",
            excerpt(&reply.to_string())
        )
    })?;
    let hits = hits(reply)
        .filter_map(|hit| Some((hit_id(hit)?, hit["_score"].as_f64().unwrap_or(0.0) as f32)))
        .collect();
    let buckets = reply["aggregations"]["categories"]["buckets"].as_array();
    let mut facets: Vec<(i64, u64)> = buckets
        .into_iter()
        .flatten()
        .filter_map(|b| Some((b["key"].as_i64()?, b["doc_count"].as_u64()?)))
        .collect();
    facets.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(SearchResults {
        hits,
        total,
        facets,
    })
}

/// Offers the authors and titles of a suggestion reply's books to `ranking`, best book first.
pub(super) fn offer_suggestions(reply: &Value, ranking: &mut SuggestionRanking) {
    for hit in hits(reply) {
        let source = &hit["_source"];
        let names = source["author_names"].as_array().into_iter().flatten();
        let ids = source["author_ids"].as_array().into_iter().flatten();
        for (name, id) in names.zip(ids) {
            if let (Some(name), Some(id)) = (name.as_str(), id.as_i64()) {
                ranking.offer_author(name, id);
            }
        }
        // The hit may have matched on its authors only: keep the title if it matches itself.
        if let (Some(title), Some(id)) = (source["title"].as_str(), hit_id(hit))
            && ranking.title_matches(title)
        {
            ranking.offer_title(title, id);
        }
    }
}

/// The hits of a search reply, best first; none if it has none.
fn hits(reply: &Value) -> impl Iterator<Item = &Value> {
    reply["hits"]["hits"].as_array().into_iter().flatten()
}

/// The book a hit is: books are indexed under their id.
fn hit_id(hit: &Value) -> Option<i64> {
    hit["_id"].as_str()?.parse().ok()
}

/// Why a bulk item failed, or `None` if it did not. Deleting a book that is not there is no
/// failure (no `error` then); a 404 with an `error`, a missing index, is one.
pub(super) fn item_failure(item: &Value) -> Option<String> {
    let (action, result) = item.as_object()?.iter().next()?;
    let status = result["status"].as_u64().unwrap_or(0);
    let ok = (200..300).contains(&status)
        || action == "delete" && status == 404 && result.get("error").is_none();
    let reason = &result["error"]["reason"];
    (!ok).then(|| {
        format!(
            "{action} {}: {status} {}",
            result["_id"],
            reason.as_str().unwrap_or("")
        )
    })
}

/// The status and body of what Elasticsearch answered to `what`.
pub(super) async fn read(
    what: &str,
    sent: std::result::Result<Response, elasticsearch::Error>,
) -> anyhow::Result<(StatusCode, String)> {
    let response = sent.with_context(|| format!("Elasticsearch {what}"))?;
    let status = response.status_code();
    let text = response
        .text()
        .await
        .with_context(|| format!("Elasticsearch {what}"))?;
    Ok((status, text))
}

/// The JSON body of a successful answer (`Null` when empty); `None` for a 404 when `missing_ok`.
/// Any other status is an error naming it with the start of the body, for the log.
pub(super) async fn answer(
    what: &str,
    sent: std::result::Result<Response, elasticsearch::Error>,
    missing_ok: bool,
) -> anyhow::Result<Option<Value>> {
    let (status, text) = read(what, sent).await?;
    if missing_ok && status == StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !status.is_success() {
        bail!("Elasticsearch {what}: {status}: {}", excerpt(&text));
    }
    if text.trim().is_empty() {
        return Ok(Some(Value::Null));
    }
    let body = serde_json::from_str(&text)
        .with_context(|| format!("Elasticsearch {what}: not JSON: {}", excerpt(&text)))?;
    Ok(Some(body))
}

/// The start of a long body, enough to tell in the log what went wrong.
pub(super) fn excerpt(text: &str) -> String {
    const MAX: usize = 300;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}
