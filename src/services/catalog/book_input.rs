//! What an admin enters for a book, checked field by field: each invalid field is BAD_USER_INPUT
//! naming it, before anything is written.
use crate::domain::money;
use crate::error::{Error, Result};

/// What a book is made of, as an admin enters it. `None` in an update leaves the field as it is.
#[derive(Clone, Debug, Default)]
pub(crate) struct BookInput {
    pub(crate) isbn: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) subtitle: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) price: Option<String>,
    pub(crate) currency: Option<String>,
    pub(crate) author_names: Option<Vec<String>>,
    pub(crate) category_slugs: Option<Vec<String>>,
    pub(crate) publisher: Option<String>,
    pub(crate) published_year: Option<i32>,
    pub(crate) page_count: Option<i32>,
    pub(crate) keywords: Option<Vec<String>>,
}

/// Oldest publication year accepted (clay tablets aside).
pub(crate) const MIN_YEAR: i32 = -3000;

pub(crate) fn text(field: &str, value: &str, max: usize, required: bool) -> Result<String> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(Error::bad_input(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(Error::bad_input(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

pub(crate) fn optional_text(
    field: &str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>> {
    value
        .map(|v| text(field, &v, max, false))
        .transpose()
        .map(|v| v.filter(|s| !s.is_empty()))
}

pub(crate) fn year(value: i32) -> Result<i32> {
    let next_year = chrono::Datelike::year(&chrono::Utc::now()) + 1;
    if !(MIN_YEAR..=next_year).contains(&value) {
        return Err(Error::bad_input(
            "publishedYear",
            format!("must be between {MIN_YEAR} and {next_year}"),
        ));
    }
    Ok(value)
}

pub(crate) fn pages(value: i32) -> Result<i32> {
    if !(1..=100_000).contains(&value) {
        return Err(Error::bad_input(
            "pageCount",
            "must be between 1 and 100000",
        ));
    }
    Ok(value)
}

pub(crate) fn keywords(values: Vec<String>) -> Result<String> {
    let mut out: Vec<String> = Vec::new();
    for value in values {
        let value = text("keywords", &value, 60, true)?.to_lowercase();
        if !out.contains(&value) {
            out.push(value);
        }
    }
    if out.len() > 30 {
        return Err(Error::bad_input("keywords", "at most 30 keywords"));
    }
    serde_json::to_string(&out).map_err(Error::internal)
}

pub(crate) fn author_names(values: Vec<String>) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for value in values {
        let name = text("authorNames", &value, 200, true)?;
        if !out.iter().any(|n| n.to_lowercase() == name.to_lowercase()) {
            out.push(name);
        }
    }
    if out.is_empty() {
        return Err(Error::bad_input("authorNames", "name at least one author"));
    }
    if out.len() > 20 {
        return Err(Error::bad_input("authorNames", "at most 20 authors"));
    }
    Ok(out)
}

pub(crate) fn category_slugs(values: Vec<String>) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for value in values {
        let slug = value.trim().to_lowercase();
        let valid = !slug.is_empty()
            && slug.len() <= 64
            && slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !slug.starts_with('-')
            && !slug.ends_with('-');
        if !valid {
            return Err(Error::bad_input(
                "categorySlugs",
                format!("{value:?} is not a slug (lower-case letters, digits and hyphens)"),
            ));
        }
        if !out.contains(&slug) {
            out.push(slug);
        }
    }
    Ok(out)
}

/// Parses and validates a price and currency pair.
pub(crate) fn price(price: &str, currency: &str) -> Result<(i64, String)> {
    let currency =
        money::parse_currency(currency).map_err(|e| Error::bad_input("currency", e.to_string()))?;
    let minor = money::parse_amount(price, &currency)
        .map_err(|e| Error::bad_input("price", e.to_string()))?;
    Ok((minor, currency))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implausible_years_and_page_counts_are_refused() {
        assert!(year(1813).is_ok());
        assert!(year(-800).is_ok());
        assert!(year(3000).is_err());
        assert!(pages(0).is_err());
    }

    #[test]
    fn slugs_must_be_slugs() {
        assert_eq!(
            category_slugs(vec![" Poetry ".into()]).unwrap(),
            vec!["poetry"]
        );
        assert!(category_slugs(vec!["no spaces".into()]).is_err());
    }
}
