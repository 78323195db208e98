//! Books: finding one (by id or ISBN), and managing them (admins): create, update, delete. Every
//! change validates its input field by field, writes in one transaction, records an outbox row so
//! search and subscribers follow, and empties the count cache once committed.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

use crate::count_cache::CountCache;
use crate::db::begin_write;
use crate::domain::{isbn, money};
use crate::entities::outbox::{self, Change};
use crate::entities::{book, book_author, book_category};
use crate::error::{Error, Result, is_unique_violation};
use crate::services::catalog::author::find_or_create_author;
use crate::services::catalog::book_input::{
    BookInput, author_names, category_slugs, keywords, optional_text, pages, price, text, year,
};
use crate::services::catalog::category::{find_or_create_category, name_from_slug};

/// The book with this id, unless deleted.
pub(crate) async fn find_book(db: &impl ConnectionTrait, id: i64) -> Result<book::Model> {
    book::Entity::find_by_id(id)
        .filter(book::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or(Error::NotFound("book"))
}

/// The book with this ISBN (10 or 13 digits, hyphens and spaces ignored), unless deleted.
pub(crate) async fn find_book_by_isbn(
    db: &impl ConnectionTrait,
    input: &str,
) -> Result<book::Model> {
    let isbn = isbn::parse(input).map_err(|e| Error::bad_input("isbn", e.to_string()))?;
    book::Entity::find()
        .filter(book::Column::Isbn.eq(isbn.as_str()))
        .filter(book::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or(Error::NotFound("book"))
}

/// These books, deleted ones included (orders and carts still show them), by id.
pub(crate) async fn books_by_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, book::Model>> {
    Ok(book::Entity::find()
        .filter(book::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect())
}

/// Creates a book; authors and categories named for the first time are created with it.
pub(crate) async fn create_book(
    db: &DatabaseConnection,
    counts: &CountCache,
    input: BookInput,
) -> Result<book::Model> {
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
    counts.invalidate();
    Ok(created)
}

/// Updates the given fields of a book. A real price change also records a `PriceChanged`.
pub(crate) async fn update_book(
    db: &DatabaseConnection,
    counts: &CountCache,
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
    counts.invalidate();
    Ok(updated)
}

/// Hides a book from browse and search; its orders and reviews stay intact.
pub(crate) async fn delete_book(
    db: &DatabaseConnection,
    counts: &CountCache,
    id: i64,
) -> Result<()> {
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
    counts.invalidate();
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
