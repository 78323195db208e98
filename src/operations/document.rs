//! GraphQL documents as text: their SHA-256 (what a persisted query's hash is), a normal form to
//! compare two spellings of one document, and a `.graphql` file of named operations split into one
//! document per operation, each with the fragments it uses.
use std::collections::BTreeSet;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use async_graphql::parser::{Pos, parse_query};

/// The lower-case hex SHA-256 of `text`: an automatic persisted query's `sha256Hash`, and the `id`
/// of an operation in a manifest.
pub use crate::domain::digest::sha256_hex;

/// `text` with everything insignificant dropped (whitespace, commas, comments), its tokens joined
/// by single spaces. Two documents with the same normal form are the same document however they
/// are laid out; any change in a name, an argument or a string makes them different.
pub fn normal_form(text: &str) -> String {
    const PUNCTUATORS: &str = "!$&():=@[]{|}";
    let mut tokens: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let token_len = if c.is_whitespace() || c == ',' || c == '\u{feff}' {
            rest = &rest[c.len_utf8()..];
            continue;
        } else if c == '#' {
            rest = rest.find(['\n', '\r']).map_or("", |end| &rest[end..]);
            continue;
        } else if rest.starts_with("\"\"\"") {
            string_len(rest, "\"\"\"")
        } else if c == '"' {
            string_len(rest, "\"")
        } else if rest.starts_with("...") {
            3
        } else if PUNCTUATORS.contains(c) {
            1
        } else {
            rest.find(|c: char| {
                c.is_whitespace() || c == ',' || c == '#' || c == '"' || PUNCTUATORS.contains(c)
            })
            .unwrap_or(rest.len())
            .max(c.len_utf8())
        };
        tokens.push(&rest[..token_len]);
        rest = &rest[token_len..];
    }
    tokens.join(" ")
}

/// The length of the string literal at the start of `text`, delimited by `quote`, escapes and all
/// (an unterminated one runs to the end).
fn string_len(text: &str, quote: &str) -> usize {
    let mut at = quote.len();
    while at < text.len() {
        if text[at..].starts_with('\\') {
            at += 1 + text[at + 1..].chars().next().map_or(0, char::len_utf8);
        } else if text[at..].starts_with(quote) {
            return at + quote.len();
        } else {
            at += text[at..].chars().next().map_or(1, char::len_utf8);
        }
    }
    text.len()
}

/// Whether every operation of the document selects only introspection fields (`__schema`,
/// `__type`, `__typename`) at its root: it reads the schema and no data.
pub fn reads_only_the_schema(doc: &ExecutableDocument) -> bool {
    let root_is_introspection = |set: &SelectionSet| {
        set.items.iter().all(|item| match &item.node {
            Selection::Field(field) => field.node.name.node.starts_with("__"),
            _ => false,
        })
    };
    match &doc.operations {
        DocumentOperations::Single(op) => root_is_introspection(&op.node.selection_set.node),
        DocumentOperations::Multiple(ops) => ops
            .values()
            .all(|op| root_is_introspection(&op.node.selection_set.node)),
    }
}

/// One named operation of a `.graphql` file, as a document of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedDocument {
    /// The operation's name.
    pub name: String,
    /// `query`, `mutation` or `subscription`.
    pub kind: &'static str,
    /// The operation's text as written, followed by the fragments it uses (in the file's order),
    /// separated by blank lines.
    pub body: String,
}

/// Splits a file of named operations (and fragments) into one document per operation, in the
/// file's order. Fails when the file does not parse or has an anonymous operation (a document
/// on a safelist needs a name, for the logs and for the manifest).
pub fn split_operations(source: &str) -> anyhow::Result<Vec<NamedDocument>> {
    let doc = parse_query(source).map_err(|err| anyhow::anyhow!("{err}"))?;
    let DocumentOperations::Multiple(operations) = &doc.operations else {
        anyhow::bail!("every operation must be named");
    };
    // Every definition's text runs from its start to the next definition's.
    let mut starts: Vec<usize> = operations
        .values()
        .map(|op| op.pos)
        .chain(doc.fragments.values().map(|f| f.pos))
        .map(|pos| offset_of(source, pos))
        .collect();
    starts.sort_unstable();
    let text_at = |pos: Pos| {
        let start = offset_of(source, pos);
        let end = starts
            .iter()
            .copied()
            .find(|s| *s > start)
            .unwrap_or(source.len());
        definition_text(&source[start..end])
    };
    let mut documents: Vec<(usize, NamedDocument)> = Vec::new();
    for (name, op) in operations {
        let mut used = BTreeSet::new();
        collect_fragments(&doc, &op.node.selection_set.node, &mut used);
        let mut fragments: Vec<(usize, &str)> = used
            .iter()
            .filter_map(|name| doc.fragments.get(name.as_str()))
            .map(|f| (offset_of(source, f.pos), text_at(f.pos)))
            .collect();
        fragments.sort_unstable();
        let mut body = text_at(op.pos).to_owned();
        for (_, fragment) in fragments {
            body.push_str("\n\n");
            body.push_str(fragment);
        }
        let kind = match op.node.ty {
            OperationType::Query => "query",
            OperationType::Mutation => "mutation",
            OperationType::Subscription => "subscription",
        };
        let name = name.to_string();
        documents.push((
            offset_of(source, op.pos),
            NamedDocument { name, kind, body },
        ));
    }
    documents.sort_by_key(|(at, _)| *at);
    Ok(documents.into_iter().map(|(_, d)| d).collect())
}

/// The fragments a selection set spreads, and those they spread in turn.
fn collect_fragments(doc: &ExecutableDocument, set: &SelectionSet, used: &mut BTreeSet<String>) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => collect_fragments(doc, &field.node.selection_set.node, used),
            Selection::InlineFragment(inline) => {
                collect_fragments(doc, &inline.node.selection_set.node, used)
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.to_string();
                if used.insert(name.clone())
                    && let Some(fragment) = doc.fragments.get(name.as_str())
                {
                    collect_fragments(doc, &fragment.node.selection_set.node, used);
                }
            }
        }
    }
}

/// A definition's text without what trails it before the next one: blank lines and the comments
/// that introduce the next definition.
fn definition_text(text: &str) -> &str {
    let mut end = text.trim_end().len();
    loop {
        let kept = &text[..end];
        let last_line_start = kept.rfind('\n').map_or(0, |at| at + 1);
        if last_line_start > 0 && kept[last_line_start..].trim_start().starts_with('#') {
            end = kept[..last_line_start].trim_end().len();
        } else {
            return kept;
        }
    }
}

/// The byte offset of a parser position (one-based line and column, columns counted in
/// characters, as the parser counts them).
fn offset_of(source: &str, pos: Pos) -> usize {
    let (mut line, mut column) = (1, 1);
    for (at, c) in source.char_indices() {
        if line == pos.line && column == pos.column {
            return at;
        }
        match c {
            '\n' => {
                line += 1;
                column = 1;
            }
            '\r' => column = 1,
            _ => column += 1,
        }
    }
    source.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_comments_do_not_change_the_normal_form_but_tokens_do() {
        let a = "query Q($id: ID!) {\n  book(id: $id) { title, price { amount } } # why\n}";
        let b = "query Q($id:ID!){book(id:$id){title price{amount}}}";
        assert_eq!(normal_form(a), normal_form(b));
        assert_ne!(
            normal_form(b),
            normal_form("query Q($id:ID!){book(id:$id){title}}")
        );
        let s1 = r#"{ search(query: "a  b, # c") { id } }"#;
        let s2 = r#"{ search(query: "a b, # c") { id } }"#;
        assert_ne!(normal_form(s1), normal_form(s2));
        assert_eq!(
            normal_form(r#"{ a(x: "q\"r") }"#),
            r#"{ a ( x : "q\"r" ) }"#
        );
    }

    #[test]
    fn a_file_splits_into_operations_with_the_fragments_they_use() {
        let source = "# Books\nquery Books { books { ...Card } }\n\n# Me\nquery Me { me { id } }\n\nfragment Card on Book { id ...Inner }\nfragment Inner on Book { title }\nmutation Out { signOut }\n";
        let docs = split_operations(source).unwrap();
        let names: Vec<_> = docs.iter().map(|d| (d.name.as_str(), d.kind)).collect();
        assert_eq!(
            names,
            [("Books", "query"), ("Me", "query"), ("Out", "mutation")]
        );
        assert_eq!(
            docs[0].body,
            "query Books { books { ...Card } }\n\nfragment Card on Book { id ...Inner }\n\nfragment Inner on Book { title }"
        );
        assert_eq!(docs[1].body, "query Me { me { id } }");
        assert!(split_operations("{ me { id } }").is_err());
    }

    #[test]
    fn the_hash_is_lower_case_hex_sha256() {
        assert_eq!(
            sha256_hex("{ __typename }"),
            "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
        );
    }
}
