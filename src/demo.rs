//! What a first start of the embedded mode loads so there is something to try: demo accounts, and a
//! catalog of public-domain classics (`demo/catalog.json`: real books and authors, descriptions
//! written for Folio) with stock in two warehouses and a few reviews.
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use serde::Deserialize;

use crate::count_cache::CountCache;
use crate::domain::isbn;
use crate::domain::viewer::Role;
use crate::entities::book;
use crate::error::Result;
use crate::services::accounts::user::{self, NewUser};
use crate::services::catalog::author::find_or_create_author;
use crate::services::catalog::book::create_book;
use crate::services::catalog::book_input::BookInput;
use crate::services::catalog::category::find_or_create_category;
use crate::services::catalog::review::{ReviewInput, add_review};
use crate::services::inventory::{stock, warehouse};

/// The demo admin's credentials, printed by the startup banner and the README.
pub const ADMIN: (&str, &str) = ("admin@folio.demo", "folio-admin");
/// The demo customer's credentials.
pub const CUSTOMER: (&str, &str) = ("reader@folio.demo", "folio-reader");

/// The demo catalog, compiled into the binary.
const CATALOG: &str = include_str!("demo/catalog.json");

#[derive(Deserialize)]
struct Catalog {
    categories: Vec<CategoryEntry>,
    authors: Vec<AuthorEntry>,
    books: Vec<BookEntry>,
}

#[derive(Deserialize)]
struct CategoryEntry {
    slug: String,
    name: String,
}

#[derive(Deserialize)]
struct AuthorEntry {
    name: String,
    bio: Option<String>,
}

#[derive(Deserialize)]
struct BookEntry {
    title: String,
    subtitle: Option<String>,
    authors: Vec<String>,
    year: Option<i32>,
    categories: Vec<String>,
    pages: Option<i32>,
    price: String,
    keywords: Vec<String>,
    description: String,
}

/// What a first start loaded.
#[derive(Debug, Default)]
pub struct Loaded {
    pub accounts: bool,
    pub books: usize,
}

/// Loads the demo accounts into a database without accounts, and the demo catalog into one without
/// books; an instance that already has either keeps it as it is.
pub async fn load_if_empty(db: &DatabaseConnection) -> Result<Loaded> {
    let mut loaded = Loaded::default();
    if user::count_users(db).await? == 0 {
        for (email, password, name, role) in [
            (ADMIN.0, ADMIN.1, "Demo Admin", Role::Admin),
            (CUSTOMER.0, CUSTOMER.1, "Demo Reader", Role::Customer),
        ] {
            let new = NewUser {
                email: email.into(),
                password: password.into(),
                name: name.into(),
                role,
            };
            user::create_user(db, new).await?;
        }
        loaded.accounts = true;
    }
    if book::Entity::find().count(db).await? == 0 {
        loaded.books = load_catalog(db).await?;
    }
    Ok(loaded)
}

async fn load_catalog(db: &DatabaseConnection) -> Result<usize> {
    let catalog: Catalog = serde_json::from_str(CATALOG).map_err(crate::error::Error::internal)?;
    for category in &catalog.categories {
        find_or_create_category(db, &category.slug, &category.name).await?;
    }
    for author in &catalog.authors {
        find_or_create_author(db, &author.name, author.bio.as_deref()).await?;
    }
    // The server's own count cache forgets its counts as the search follower sees these books.
    let counts = CountCache::default();
    let leipzig = warehouse::create_warehouse(db, "Leipzig", "eu-central").await?;
    let portland = warehouse::create_warehouse(db, "Portland", "us-west").await?;
    let reader = user::authenticate(db, CUSTOMER.0, CUSTOMER.1).await.ok();
    let admin = user::authenticate(db, ADMIN.0, ADMIN.1).await.ok();
    for (i, entry) in catalog.books.iter().enumerate() {
        let n = i as u64 + 1;
        let input = BookInput {
            isbn: Some(isbn::synthetic(90_000_000 + n).as_str().to_owned()),
            title: Some(entry.title.clone()),
            subtitle: entry.subtitle.clone(),
            description: Some(entry.description.clone()),
            price: Some(entry.price.clone()),
            currency: Some("USD".into()),
            author_names: Some(entry.authors.clone()),
            category_slugs: Some(entry.categories.clone()),
            publisher: Some("Folio Classics".into()),
            published_year: entry.year,
            page_count: entry.pages,
            keywords: Some(entry.keywords.clone()),
        };
        let book = create_book(db, &counts, input).await?;
        // Varied stock: mostly plenty, some low, a few sold out, so every stock status shows.
        let (a, b) = ((n * 7) % 23, (n * 11) % 17);
        let (a, b) = if n.is_multiple_of(13) {
            (0, 0)
        } else {
            (a as i32, b as i32)
        };
        stock::set_stock(db, &counts, book.id, leipzig.id, a).await?;
        stock::set_stock(db, &counts, book.id, portland.id, b).await?;
        // A handful of reviews from the demo accounts.
        for (user, every, rating) in [
            (&reader, 9, 4 + (n % 2) as i32),
            (&admin, 14, 3 + (n % 3) as i32),
        ] {
            if let Some(user) = user
                && n % every == 1
            {
                let review = ReviewInput {
                    book_id: book.id,
                    rating,
                    title: Some(
                        if rating >= 4 {
                            "A keeper"
                        } else {
                            "Worth a try"
                        }
                        .into(),
                    ),
                    body: Some(format!(
                        "Read {} again this year; it holds up.",
                        entry.title
                    )),
                };
                add_review(db, user.id, review).await?;
            }
        }
    }
    Ok(catalog.books.len())
}

/// Whether the compiled-in catalog parses (a test guards it).
pub fn catalog_size() -> usize {
    serde_json::from_str::<Catalog>(CATALOG).map_or(0, |c| c.books.len())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_catalog_is_a_few_hundred_books() {
        assert!((250..=400).contains(&super::catalog_size()));
    }
}
