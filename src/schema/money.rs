//! `Money`: an amount as a decimal string and its currency.
use async_graphql::SimpleObject;

use crate::domain::money;

/// An amount of money. `amount` is a decimal string ("12.99") so that no client rounds it as a float.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Money {
    /// Decimal string with the currency's number of decimals, e.g. "12.99".
    pub(crate) amount: String,
    /// ISO 4217 code, e.g. "USD".
    pub(crate) currency: String,
}

impl Money {
    /// Money from minor units (cents) of `currency`.
    pub(crate) fn from_minor(minor: i64, currency: &str) -> Self {
        Money {
            amount: money::format_amount(minor, currency),
            currency: currency.to_owned(),
        }
    }
}
