//! Safelist mode: the only documents a server runs, read once at start from `FOLIO_SAFELIST`
//! (a `.graphql` file of named operations, or a manifest; see `manifest`).
//!
//! A document sent as text is on the list when its normal form (`document::normal_form`: tokens
//! only, so layout, commas and comments do not matter) is that of a listed document; a hash is
//! on the list when it is one of the listed hashes.
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use super::document::{normal_form, sha256_hex, split_operations};
use super::manifest::read_manifest;

/// The documents a server in safelist mode runs.
#[derive(Debug, Default)]
pub struct Safelist {
    by_hash: HashMap<String, Arc<str>>,
    normal_forms: HashSet<String>,
}

impl Safelist {
    /// Reads the file: JSON (a manifest) when it starts with `{`, a `.graphql` file otherwise.
    pub fn load(path: &Path) -> anyhow::Result<Safelist> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| anyhow::anyhow!("reading the safelist {}: {err}", path.display()))?;
        let parsed = Safelist::parse(&text)
            .map_err(|err| anyhow::anyhow!("the safelist {}: {err}", path.display()))?;
        anyhow::ensure!(
            !parsed.is_empty(),
            "the safelist {} has no operations",
            path.display()
        );
        Ok(parsed)
    }

    /// The safelist of a manifest's or a `.graphql` file's text.
    pub fn parse(text: &str) -> anyhow::Result<Safelist> {
        let pairs = if text.trim_start().starts_with('{') {
            read_manifest(&serde_json::from_str(text)?)?
        } else {
            split_operations(text)?
                .into_iter()
                .map(|doc| (sha256_hex(&doc.body), doc.body))
                .collect()
        };
        let mut list = Safelist::default();
        for (hash, document) in pairs {
            list.normal_forms.insert(normal_form(&document));
            list.by_hash.insert(hash, document.into());
        }
        Ok(list)
    }

    /// How many documents are listed.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// The listed document of this hash.
    pub(crate) fn document(&self, hash: &str) -> Option<Arc<str>> {
        self.by_hash.get(hash).cloned()
    }

    /// Whether `text` is one of the listed documents, however it is laid out.
    pub(crate) fn allows_text(&self, text: &str) -> bool {
        self.by_hash.contains_key(&sha256_hex(text))
            || self.normal_forms.contains(&normal_form(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_document_is_allowed_by_hash_or_by_text_and_no_other() {
        let list = Safelist::parse("query Me { me { id } }\nquery Books { books { id } }").unwrap();
        assert_eq!(list.len(), 2);
        assert!(
            list.document(&sha256_hex("query Me { me { id } }"))
                .is_some()
        );
        assert!(list.allows_text("query Me {\n  me { id }\n}"));
        assert!(!list.allows_text("query Me { me { id name } }"));
        assert!(list.document(&sha256_hex("{ me { id } }")).is_none());
    }
}
