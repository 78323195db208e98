//! A title the store sells.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "books")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// ISBN-13 digits.
    #[sea_orm(unique)]
    pub isbn: String,
    pub title: String,
    /// Lower-cased title: the TITLE sort key.
    pub title_key: String,
    pub subtitle: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub publisher: Option<String>,
    pub published_year: Option<i32>,
    pub page_count: Option<i32>,
    /// JSON array of strings.
    #[sea_orm(column_type = "Text")]
    pub keywords: String,
    pub price_minor: i64,
    pub currency: String,
    pub rating_count: i32,
    pub rating_sum: i32,
    /// Average rating × 1000, rounded; 0 without reviews. The RATING sort key.
    pub rating_key: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    /// Set when deleted: the book leaves browse and search, its orders and reviews stay.
    pub deleted_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The keywords as a list.
    pub fn keyword_list(&self) -> Vec<String> {
        serde_json::from_str(&self.keywords).unwrap_or_default()
    }

    /// The average rating, or `None` without reviews.
    pub fn average_rating(&self) -> Option<f64> {
        (self.rating_count > 0).then(|| f64::from(self.rating_sum) / f64::from(self.rating_count))
    }
}

/// The RATING sort key for a rating sum and count.
pub fn rating_key(sum: i32, count: i32) -> i32 {
    if count == 0 {
        0
    } else {
        ((f64::from(sum) * 1000.0) / f64::from(count)).round() as i32
    }
}
