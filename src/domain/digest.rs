//! The one digest Folio computes: SHA-256 in lower-case hex, for persisted queries' hashes and the
//! stored form of refresh tokens.
use sha2::{Digest, Sha256};

/// The lower-case hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn it_is_the_well_known_digest() {
        assert_eq!(
            super::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
