//! The limits on what one operation may ask for, on every transport: depth, complexity and alias
//! count, each failing with QUERY_TOO_COMPLEX before any resolver runs. Introspection is held to
//! them too (its list fields fan out like any other), except that a document reading only the
//! schema gets its own depth limit: GraphiQL's introspection query is about 15 levels deep.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};
use async_graphql::{ErrorExtensions, ServerError, ServerResult, ValidationResult, Variables};

use crate::config::Limits;
use crate::error::Error;
use crate::operations::document::reads_only_the_schema;

/// Rejects operations that are too deep, too costly or use too many aliases, before any resolver runs.
pub(crate) struct QueryLimits {
    max_depth: usize,
    max_introspection_depth: usize,
    max_complexity: usize,
    max_aliases: usize,
    /// Set while parsing when every root field of the document is introspection (`__schema`,
    /// `__type`, `__typename`). One extension instance serves one request, so this is per request.
    introspection_only: AtomicBool,
}

impl QueryLimits {
    /// The limits from the configuration.
    pub(crate) fn new(limits: &Limits) -> Self {
        QueryLimits {
            max_depth: limits.max_depth,
            max_introspection_depth: limits.max_introspection_depth,
            max_complexity: limits.max_complexity,
            max_aliases: limits.max_aliases,
            introspection_only: AtomicBool::new(false),
        }
    }
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(QueryLimits {
            max_depth: self.max_depth,
            max_introspection_depth: self.max_introspection_depth,
            max_complexity: self.max_complexity,
            max_aliases: self.max_aliases,
            introspection_only: AtomicBool::new(false),
        })
    }
}

fn too_complex(message: String) -> ServerError {
    Error::QueryTooComplex(message)
        .extend()
        .into_server_error(Default::default())
}

#[async_trait::async_trait]
impl Extension for QueryLimits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let aliases = count_aliases(&doc);
        if aliases > self.max_aliases {
            return Err(too_complex(format!(
                "the operation uses {aliases} aliases; at most {} are allowed",
                self.max_aliases
            )));
        }
        self.introspection_only
            .store(reads_only_the_schema(&doc), Ordering::Relaxed);
        Ok(doc)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let max_depth = if self.introspection_only.load(Ordering::Relaxed) {
            self.max_introspection_depth
        } else {
            self.max_depth
        };
        if result.depth > max_depth {
            return Err(vec![too_complex(format!(
                "the operation is nested {} levels deep; at most {max_depth} are allowed",
                result.depth
            ))]);
        }
        if result.complexity > self.max_complexity {
            return Err(vec![too_complex(format!(
                "the operation's complexity is {}; at most {} is allowed",
                result.complexity, self.max_complexity
            ))]);
        }
        Ok(result)
    }
}

/// Counts aliased fields in every operation and fragment of the document.
fn count_aliases(doc: &ExecutableDocument) -> usize {
    fn in_set(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => {
                    usize::from(field.node.alias.is_some()) + in_set(&field.node.selection_set.node)
                }
                Selection::InlineFragment(fragment) => in_set(&fragment.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let operations: usize = match &doc.operations {
        DocumentOperations::Single(op) => in_set(&op.node.selection_set.node),
        DocumentOperations::Multiple(ops) => ops
            .values()
            .map(|op| in_set(&op.node.selection_set.node))
            .sum(),
    };
    let fragments: usize = doc
        .fragments
        .values()
        .map(|f| in_set(&f.node.selection_set.node))
        .sum();
    operations + fragments
}
