//! ISBNs: books are stored under their ISBN-13; ISBN-10 input is converted. Hyphens and spaces are
//! ignored and checksums are checked, so a typo never creates or finds the wrong book.

/// An ISBN-13 whose checksum is valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Isbn13(String);

impl Isbn13 {
    /// The 13 digits, without separators.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a string is not an ISBN.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum IsbnError {
    /// Not 10 or 13 digits (an ISBN-10 may end in X).
    Length,
    /// The check digit does not match.
    Checksum,
    /// An ISBN-13 must start with 978 or 979.
    Prefix,
}

impl std::fmt::Display for IsbnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IsbnError::Length => "must have 10 or 13 digits (hyphens and spaces are ignored)",
            IsbnError::Checksum => "has a wrong check digit",
            IsbnError::Prefix => "must start with 978 or 979",
        })
    }
}

/// Parses an ISBN-10 or ISBN-13, with or without hyphens and spaces, into its ISBN-13.
pub(crate) fn parse(input: &str) -> Result<Isbn13, IsbnError> {
    let compact: String = input
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\u{2010}'..='\u{2015}'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    match compact.len() {
        10 => from_isbn10(&compact),
        13 => {
            if !compact.bytes().all(|b| b.is_ascii_digit()) {
                return Err(IsbnError::Length);
            }
            if !(compact.starts_with("978") || compact.starts_with("979")) {
                return Err(IsbnError::Prefix);
            }
            let expected = isbn13_check_digit(&compact[..12]);
            if compact.as_bytes()[12] != expected {
                return Err(IsbnError::Checksum);
            }
            Ok(Isbn13(compact))
        }
        _ => Err(IsbnError::Length),
    }
}

fn from_isbn10(compact: &str) -> Result<Isbn13, IsbnError> {
    let bytes = compact.as_bytes();
    if !bytes[..9].iter().all(u8::is_ascii_digit)
        || !(bytes[9].is_ascii_digit() || bytes[9] == b'X')
    {
        return Err(IsbnError::Length);
    }
    let sum: u32 = bytes
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let value = if *b == b'X' { 10 } else { u32::from(b - b'0') };
            value * (10 - i as u32)
        })
        .sum();
    if !sum.is_multiple_of(11) {
        return Err(IsbnError::Checksum);
    }
    let body = format!("978{}", &compact[..9]);
    let check = isbn13_check_digit(&body) as char;
    Ok(Isbn13(format!("{body}{check}")))
}

/// The ASCII check digit for the first 12 digits of an ISBN-13.
pub(crate) fn isbn13_check_digit(first12: &str) -> u8 {
    let sum: u32 = first12
        .bytes()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    b'0' + ((10 - sum % 10) % 10) as u8
}

/// A valid ISBN-13 built from a number, for demo and synthetic catalogs (the 979-8 range, which is
/// used for self-published titles, so they never collide with a real trade edition's 978).
pub fn synthetic(n: u64) -> Isbn13 {
    let body = format!("9798{:08}", n % 100_000_000);
    let check = isbn13_check_digit(&body) as char;
    Isbn13(format!("{body}{check}"))
}

/// Whether a search query looks like an ISBN (so search can look it up exactly).
pub(crate) fn looks_like_isbn(query: &str) -> Option<Isbn13> {
    parse(query.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_isbn13_with_hyphens_is_accepted_as_its_digits() {
        assert_eq!(
            parse("978-0-14-143951-8").unwrap().as_str(),
            "9780141439518"
        );
    }

    #[test]
    fn an_isbn10_is_converted_to_its_isbn13() {
        assert_eq!(parse("0-14-143951-3").unwrap().as_str(), "9780141439518");
        assert_eq!(parse("080442957X").unwrap().as_str(), "9780804429573");
    }

    #[test]
    fn a_wrong_check_digit_is_refused() {
        assert_eq!(parse("9780141439519"), Err(IsbnError::Checksum));
        assert_eq!(parse("0141439514"), Err(IsbnError::Checksum));
    }

    #[test]
    fn other_lengths_letters_and_prefixes_are_refused() {
        assert_eq!(parse("12345"), Err(IsbnError::Length));
        assert_eq!(parse("97801414395AB"), Err(IsbnError::Length));
        assert_eq!(parse("1230141439518"), Err(IsbnError::Prefix));
    }

    #[test]
    fn synthetic_isbns_are_valid_and_distinct() {
        let a = synthetic(1);
        let b = synthetic(2);
        assert_ne!(a, b);
        assert_eq!(parse(a.as_str()).unwrap(), a);
    }
}
