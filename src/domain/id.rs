//! Ids as clients send them: opaque strings that must name a positive number, or the request is
//! BAD_USER_INPUT naming the field that carried them.
use crate::error::{Error, Result};

/// Parses an opaque id; a malformed one is BAD_USER_INPUT naming `field`.
pub(crate) fn parse_id(field: &str, id: &str) -> Result<i64> {
    id.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Error::bad_input(field, "is not a valid id"))
}

/// Parses a list of 1..=`max` ids of `field`, dropping repeats and keeping the order given.
pub(crate) fn parse_ids(field: &str, ids: &[impl AsRef<str>], max: usize) -> Result<Vec<i64>> {
    if ids.is_empty() || ids.len() > max {
        return Err(Error::bad_input(field, format!("must name 1 to {max} ids")));
    }
    let mut out: Vec<i64> = Vec::with_capacity(ids.len());
    for id in ids {
        let id = parse_id(field, id.as_ref())?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_must_be_a_positive_number() {
        assert_eq!(parse_id("bookId", " 42 ").unwrap(), 42);
        for bad in ["0", "-3", "abc", ""] {
            let err = parse_id("bookId", bad).unwrap_err();
            assert!(matches!(err, Error::BadUserInput { ref field, .. } if field == "bookId"));
        }
    }

    #[test]
    fn a_list_of_ids_drops_repeats_and_keeps_its_order() {
        let ids = ["3", "1", "3"];
        assert_eq!(parse_ids("userIds", &ids, 5).unwrap(), vec![3, 1]);
        let none: [&str; 0] = [];
        assert!(parse_ids("userIds", &none, 5).is_err());
        assert!(parse_ids("userIds", &ids, 2).is_err());
    }
}
