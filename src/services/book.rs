//! Managing books (admins): create, update, delete. Every change validates its input field by field,
//! writes in one transaction, and records an outbox row so search and subscribers follow.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

use crate::db::begin_write;
use crate::entities::{author, book, book_author, book_category, category};
use crate::error::{Error, Result, is_unique_violation};
use crate::services::outbox::{self, Change};
use crate::services::{isbn, money};

/// What a book is made of, as an admin enters it. `None` in an update leaves the field as it is.
#[derive(Clone, Debug, Default)]
pub struct BookInput {
    pub isbn: Option<String>,
    pub title: Option<String>,
    pub subtitle: Option<String>,
    pub description: Option<String>,
    pub price: Option<String>,
    pub currency: Option<String>,
    pub author_names: Option<Vec<String>>,
    pub category_slugs: Option<Vec<String>>,
    pub publisher: Option<String>,
    pub published_year: Option<i32>,
    pub page_count: Option<i32>,
    pub keywords: Option<Vec<String>>,
}

/// Oldest publication year accepted (clay tablets aside).
pub const MIN_YEAR: i32 = -3000;

fn text(field: &str, value: &str, max: usize, required: bool) -> Result<String> {
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

fn optional_text(field: &str, value: Option<String>, max: usize) -> Result<Option<String>> {
    value
        .map(|v| text(field, &v, max, false))
        .transpose()
        .map(|v| v.filter(|s| !s.is_empty()))
}

fn year(value: i32) -> Result<i32> {
    let next_year = chrono::Datelike::year(&chrono::Utc::now()) + 1;
    if !(MIN_YEAR..=next_year).contains(&value) {
        return Err(Error::bad_input(
            "publishedYear",
            format!("must be between {MIN_YEAR} and {next_year}"),
        ));
    }
    Ok(value)
}

fn pages(value: i32) -> Result<i32> {
    if !(1..=100_000).contains(&value) {
        return Err(Error::bad_input(
            "pageCount",
            "must be between 1 and 100000",
        ));
    }
    Ok(value)
}

fn keywords(values: Vec<String>) -> Result<String> {
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

fn author_names(values: Vec<String>) -> Result<Vec<String>> {
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

fn category_slugs(values: Vec<String>) -> Result<Vec<String>> {
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

/// "science-fiction" → "Science fiction": the name a category gets when a book creates it.
pub fn name_from_slug(slug: &str) -> String {
    let words = slug.replace('-', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Parses and validates a price and currency pair.
fn price(price: &str, currency: &str) -> Result<(i64, String)> {
    let currency =
        money::parse_currency(currency).map_err(|e| Error::bad_input("currency", e.to_string()))?;
    let minor = money::parse_amount(price, &currency)
        .map_err(|e| Error::bad_input("price", e.to_string()))?;
    Ok((minor, currency))
}

/// Creates a book; authors and categories named for the first time are created with it.
pub async fn create_book(db: &DatabaseConnection, input: BookInput) -> Result<book::Model> {
    let isbn = isbn::parse(input.isbn.as_deref().unwrap_or(""))
        .map_err(|e| Error::bad_input("isbn", e.to_string()))?;
    let title = text("title", input.title.as_deref().unwrap_or(""), 300, true)?;
    let subtitle = optional_text("subtitle", input.subtitle, 300)?;
    let description = text(
        "description",
        input.description.as_deref().unwrap_or(""),
        20_000,
        false,
    )?;
    let (price_minor, currency) = price(
        input.price.as_deref().unwrap_or(""),
        input.currency.as_deref().unwrap_or("USD"),
    )?;
    let authors = author_names(input.author_names.unwrap_or_default())?;
    let categories = category_slugs(input.category_slugs.unwrap_or_default())?;
    let publisher = optional_text("publisher", input.publisher, 200)?;
    let published_year = input.published_year.map(year).transpose()?;
    let page_count = input.page_count.map(pages).transpose()?;
    let keywords = keywords(input.keywords.unwrap_or_default())?;

    let now = chrono::Utc::now();
    let txn = begin_write(db).await?;
    let created = book::ActiveModel {
        isbn: Set(isbn.as_str().to_owned()),
        title_key: Set(title.to_lowercase()),
        title: Set(title),
        subtitle: Set(subtitle),
        description: Set(description),
        publisher: Set(publisher),
        published_year: Set(published_year),
        page_count: Set(page_count),
        keywords: Set(keywords),
        price_minor: Set(price_minor),
        currency: Set(currency),
        rating_count: Set(0),
        rating_sum: Set(0),
        rating_key: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|err| {
        if is_unique_violation(&err) {
            Error::Conflict(format!("a book with ISBN {} already exists", isbn.as_str()))
        } else {
            err.into()
        }
    })?;
    link_authors(&txn, created.id, &authors).await?;
    link_categories(&txn, created.id, &categories).await?;
    outbox::record(
        &txn,
        &Change::BookChanged {
            book_id: created.id,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Updates the given fields of a book. A real price change also records a `PriceChanged`.
pub async fn update_book(
    db: &DatabaseConnection,
    id: i64,
    input: BookInput,
) -> Result<book::Model> {
    let txn = begin_write(db).await?;
    let current = book::Entity::find_by_id(id)
        .filter(book::Column::DeletedAt.is_null())
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("book"))?;
    let mut row: book::ActiveModel = current.clone().into();
    if let Some(value) = input.isbn {
        let parsed = isbn::parse(&value).map_err(|e| Error::bad_input("isbn", e.to_string()))?;
        row.isbn = Set(parsed.as_str().to_owned());
    }
    if let Some(value) = input.title {
        let title = text("title", &value, 300, true)?;
        row.title_key = Set(title.to_lowercase());
        row.title = Set(title);
    }
    if input.subtitle.is_some() {
        row.subtitle = Set(optional_text("subtitle", input.subtitle, 300)?);
    }
    if let Some(value) = input.description {
        row.description = Set(text("description", &value, 20_000, false)?);
    }
    if input.price.is_some() || input.currency.is_some() {
        let old_price = money::format_amount(current.price_minor, &current.currency);
        let (minor, currency) = price(
            input.price.as_deref().unwrap_or(&old_price),
            input.currency.as_deref().unwrap_or(&current.currency),
        )?;
        row.price_minor = Set(minor);
        row.currency = Set(currency);
    }
    if input.publisher.is_some() {
        row.publisher = Set(optional_text("publisher", input.publisher, 200)?);
    }
    if let Some(value) = input.published_year {
        row.published_year = Set(Some(year(value)?));
    }
    if let Some(value) = input.page_count {
        row.page_count = Set(Some(pages(value)?));
    }
    if let Some(values) = input.keywords {
        row.keywords = Set(keywords(values)?);
    }
    let authors = input.author_names.map(author_names).transpose()?;
    let categories = input.category_slugs.map(category_slugs).transpose()?;
    row.updated_at = Set(chrono::Utc::now());
    let updated = row.update(&txn).await.map_err(|err| {
        if is_unique_violation(&err) {
            Error::Conflict("another book has this ISBN".into())
        } else {
            err.into()
        }
    })?;
    if let Some(authors) = authors {
        book_author::Entity::delete_many()
            .filter(book_author::Column::BookId.eq(id))
            .exec(&txn)
            .await?;
        link_authors(&txn, id, &authors).await?;
    }
    if let Some(categories) = categories {
        book_category::Entity::delete_many()
            .filter(book_category::Column::BookId.eq(id))
            .exec(&txn)
            .await?;
        link_categories(&txn, id, &categories).await?;
    }
    outbox::record(&txn, &Change::BookChanged { book_id: id }).await?;
    if (updated.price_minor, &updated.currency) != (current.price_minor, &current.currency) {
        outbox::record(
            &txn,
            &Change::PriceChanged {
                book_id: id,
                old_minor: current.price_minor,
                new_minor: updated.price_minor,
                currency: updated.currency.clone(),
                changed_at: updated.updated_at,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// Hides a book from browse and search; its orders and reviews stay intact.
pub async fn delete_book(db: &DatabaseConnection, id: i64) -> Result<()> {
    let txn = begin_write(db).await?;
    let current = book::Entity::find_by_id(id)
        .filter(book::Column::DeletedAt.is_null())
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("book"))?;
    let mut row: book::ActiveModel = current.into();
    let now = chrono::Utc::now();
    row.deleted_at = Set(Some(now));
    row.updated_at = Set(now);
    row.update(&txn).await?;
    outbox::record(&txn, &Change::BookDeleted { book_id: id }).await?;
    txn.commit().await?;
    Ok(())
}

/// Finds or creates the authors by name and links them in credit order.
async fn link_authors(txn: &impl ConnectionTrait, book_id: i64, names: &[String]) -> Result<()> {
    for (position, name) in names.iter().enumerate() {
        let author = find_or_create_author(txn, name, None).await?;
        book_author::ActiveModel {
            book_id: Set(book_id),
            author_id: Set(author.id),
            position: Set(position as i32),
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// Finds or creates the categories by slug and links them.
async fn link_categories(txn: &impl ConnectionTrait, book_id: i64, slugs: &[String]) -> Result<()> {
    for slug in slugs {
        let category = find_or_create_category(txn, slug, &name_from_slug(slug)).await?;
        book_category::ActiveModel {
            book_id: Set(book_id),
            category_id: Set(category.id),
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

/// The author with this name (in any letter case), created if new.
pub async fn find_or_create_author(
    db: &impl ConnectionTrait,
    name: &str,
    bio: Option<&str>,
) -> Result<author::Model> {
    let key = name.trim().to_lowercase();
    author::Entity::insert(author::ActiveModel {
        name: Set(name.trim().to_owned()),
        name_key: Set(key.clone()),
        bio: Set(bio.map(str::to_owned)),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([author::Column::NameKey])
    .exec(db)
    .await?;
    author::Entity::find()
        .filter(author::Column::NameKey.eq(key))
        .one(db)
        .await?
        .ok_or_else(|| Error::internal(anyhow::anyhow!("author vanished after upsert")))
}

/// The category with this slug, created with `name` if new.
pub async fn find_or_create_category(
    db: &impl ConnectionTrait,
    slug: &str,
    name: &str,
) -> Result<category::Model> {
    category::Entity::insert(category::ActiveModel {
        slug: Set(slug.to_owned()),
        name: Set(name.to_owned()),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([category::Column::Slug])
    .exec(db)
    .await?;
    category::Entity::find()
        .filter(category::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(|| Error::internal(anyhow::anyhow!("category vanished after upsert")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slug_becomes_a_readable_name() {
        assert_eq!(name_from_slug("science-fiction"), "Science fiction");
    }

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
