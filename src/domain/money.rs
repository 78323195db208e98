//! Money: amounts are integers in the currency's minor unit (cents) everywhere but at the edge, where
//! they are decimal strings ("12.99"), so no float ever touches a price.

/// The currencies the store sells in, with their number of decimals. A short list on purpose: a price
/// in an unknown currency is a typo more often than a new market.
pub(crate) const CURRENCIES: &[(&str, u32)] = &[
    ("USD", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("CAD", 2),
    ("AUD", 2),
    ("CHF", 2),
    ("SEK", 2),
    ("NOK", 2),
    ("DKK", 2),
    ("JPY", 0),
];

/// The number of decimals of a known currency (upper-case code).
pub(crate) fn decimals(currency: &str) -> Option<u32> {
    CURRENCIES
        .iter()
        .find(|(c, _)| *c == currency)
        .map(|(_, d)| *d)
}

/// Why an amount was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum MoneyError {
    UnknownCurrency,
    NotADecimal,
    Negative,
    TooManyDecimals(u32),
    TooLarge,
}

impl std::fmt::Display for MoneyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MoneyError::UnknownCurrency => write!(
                f,
                "is not a supported currency ({})",
                CURRENCIES
                    .iter()
                    .map(|(c, _)| *c)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            MoneyError::NotADecimal => f.write_str("must be a decimal number such as \"12.99\""),
            MoneyError::Negative => f.write_str("must not be negative"),
            MoneyError::TooManyDecimals(0) => {
                f.write_str("must be a whole number in this currency")
            }
            MoneyError::TooManyDecimals(d) => write!(f, "must have at most {d} decimals"),
            MoneyError::TooLarge => f.write_str("is too large"),
        }
    }
}

/// Normalises a currency code ("usd" → "USD") and checks that it is known.
pub(crate) fn parse_currency(code: &str) -> Result<String, MoneyError> {
    let code = code.trim().to_ascii_uppercase();
    decimals(&code)
        .map(|_| code)
        .ok_or(MoneyError::UnknownCurrency)
}

/// Parses a decimal string into minor units of `currency` (which must be known).
pub(crate) fn parse_amount(amount: &str, currency: &str) -> Result<i64, MoneyError> {
    let places = decimals(currency).ok_or(MoneyError::UnknownCurrency)?;
    let amount = amount.trim();
    if amount.starts_with('-') {
        return Err(MoneyError::Negative);
    }
    let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || (amount.contains('.') && fraction.is_empty())
    {
        return Err(MoneyError::NotADecimal);
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() as u32 > places {
        return Err(MoneyError::TooManyDecimals(places));
    }
    if whole.len() > 12 {
        return Err(MoneyError::TooLarge);
    }
    let whole: i64 = whole.parse().map_err(|_| MoneyError::NotADecimal)?;
    let mut minor = whole * 10_i64.pow(places);
    if !fraction.is_empty() {
        let f: i64 = fraction.parse().map_err(|_| MoneyError::NotADecimal)?;
        minor += f * 10_i64.pow(places - fraction.len() as u32);
    }
    Ok(minor)
}

/// Formats minor units as the decimal string clients see ("1299" USD → "12.99").
pub(crate) fn format_amount(minor: i64, currency: &str) -> String {
    let places = decimals(currency).unwrap_or(2);
    if places == 0 {
        return minor.to_string();
    }
    let scale = 10_i64.pow(places);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        abs / scale as u64,
        abs % scale as u64,
        width = places as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_strings_become_minor_units_and_back() {
        assert_eq!(parse_amount("12.99", "USD"), Ok(1299));
        assert_eq!(parse_amount("12.9", "USD"), Ok(1290));
        assert_eq!(parse_amount("12", "USD"), Ok(1200));
        assert_eq!(parse_amount("0.50", "EUR"), Ok(50));
        assert_eq!(parse_amount("1500", "JPY"), Ok(1500));
        assert_eq!(format_amount(1299, "USD"), "12.99");
        assert_eq!(format_amount(5, "USD"), "0.05");
        assert_eq!(format_amount(1500, "JPY"), "1500");
    }

    #[test]
    fn malformed_negative_or_too_precise_amounts_are_refused() {
        assert_eq!(parse_amount("-1.00", "USD"), Err(MoneyError::Negative));
        assert_eq!(
            parse_amount("1.999", "USD"),
            Err(MoneyError::TooManyDecimals(2))
        );
        assert_eq!(
            parse_amount("1.5", "JPY"),
            Err(MoneyError::TooManyDecimals(0))
        );
        for bad in ["", "abc", "1,00", "1.", ".5", "1e3", " 1 2"] {
            assert_eq!(
                parse_amount(bad, "USD"),
                Err(MoneyError::NotADecimal),
                "{bad:?}"
            );
        }
        assert_eq!(parse_amount("1", "XXX"), Err(MoneyError::UnknownCurrency));
    }

    #[test]
    fn currency_codes_are_normalised() {
        assert_eq!(parse_currency(" usd "), Ok("USD".into()));
        assert_eq!(parse_currency("ZZZ"), Err(MoneyError::UnknownCurrency));
    }
}
