//! What a list of books is asked for: the filter that narrows it and the order it comes in. Browse
//! and search share both.
use serde::{Deserialize, Serialize};

use crate::domain::id::parse_id;
use crate::domain::money;
use crate::error::{Error, Result};

/// Narrows a browse or search. Prices are in minor units of the book's own currency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct BookFilter {
    pub category_id: Option<i64>,
    pub author_id: Option<i64>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub in_stock: bool,
}

impl BookFilter {
    /// Builds a filter from the client's strings, naming the field of any bad value.
    pub(crate) fn parse(
        category_id: Option<&str>,
        author_id: Option<&str>,
        min_price: Option<&str>,
        max_price: Option<&str>,
        in_stock: Option<bool>,
    ) -> Result<BookFilter> {
        let price = |field: &str, value: Option<&str>| -> Result<Option<i64>> {
            value
                .map(|v| {
                    money::parse_amount(v, "USD")
                        .map_err(|e| Error::bad_input(field, e.to_string()))
                })
                .transpose()
        };
        let filter = BookFilter {
            category_id: category_id
                .map(|id| parse_id("filter.categoryId", id))
                .transpose()?,
            author_id: author_id
                .map(|id| parse_id("filter.authorId", id))
                .transpose()?,
            min_price: price("filter.minPrice", min_price)?,
            max_price: price("filter.maxPrice", max_price)?,
            in_stock: in_stock.unwrap_or(false),
        };
        if let (Some(min), Some(max)) = (filter.min_price, filter.max_price)
            && min > max
        {
            return Err(Error::bad_input(
                "filter.maxPrice",
                "must not be below minPrice",
            ));
        }
        Ok(filter)
    }

    /// The books of one category, unfiltered otherwise: the shelf whose size decides how a page of
    /// it is read.
    pub(crate) fn shelf(category_id: i64) -> BookFilter {
        BookFilter {
            category_id: Some(category_id),
            ..Default::default()
        }
    }

    /// The books of one author.
    pub(crate) fn by_author(author_id: i64) -> BookFilter {
        BookFilter {
            author_id: Some(author_id),
            ..Default::default()
        }
    }
}

/// The orders books can be listed in.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum BookSort {
    /// Alphabetical by title (the default).
    #[default]
    Title,
    PriceAsc,
    PriceDesc,
    Newest,
    Rating,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_price_filter_names_its_field() {
        let err = BookFilter::parse(None, None, Some("abc"), None, None).unwrap_err();
        assert!(matches!(err, Error::BadUserInput { ref field, .. } if field == "filter.minPrice"));
        let err = BookFilter::parse(None, None, Some("5"), Some("4"), None).unwrap_err();
        assert!(matches!(err, Error::BadUserInput { ref field, .. } if field == "filter.maxPrice"));
    }
}
