//! Limits async-graphql does not have built in, checked on the parsed document before
//! it runs (not as schema extensions: an extension makes async-graphql run its hook
//! chain for every resolved field).

use async_graphql::{
    ServerError,
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some())
                    + count_aliases(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => count_aliases(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// Aliases in every operation and fragment of the document: an upper bound of what
/// any one operation can use.
pub fn aliases_in(document: &ExecutableDocument) -> usize {
    let in_operations: usize = document
        .operations
        .iter()
        .map(|(_, op)| count_aliases(&op.node.selection_set.node))
        .sum();
    let in_fragments: usize = document
        .fragments
        .values()
        .map(|fragment| count_aliases(&fragment.node.selection_set.node))
        .sum();
    in_operations + in_fragments
}

/// Refuses a document with more than `max` aliases, before anything runs. Aliases let
/// one request ask for the same expensive field many times under different names,
/// which depth and complexity limits only partly catch.
pub fn check_aliases(document: &ExecutableDocument, max: usize) -> Result<(), ServerError> {
    let aliases = aliases_in(document);
    if aliases > max {
        return Err(ServerError::new(
            format!("the query uses {aliases} aliases; at most {max} are allowed"),
            None,
        ));
    }
    Ok(())
}

/// How deep an introspection selection (`__schema`, `__type`) may nest. Introspection
/// only walks the schema's finite type graph, and the standard introspection queries
/// nest deeper than any real query should: graphql-js 16's `getIntrospectionQuery()`
/// reaches 13 levels through its `TypeRef` fragment.
pub const MAX_INTROSPECTION_DEPTH: usize = 32;

/// Depth of a selection: fields nested in fields, fragments inlined (a fragment that
/// spreads itself is cut off here and refused by validation afterwards). Introspection
/// fields are measured separately, against [`MAX_INTROSPECTION_DEPTH`].
struct Depth<'a> {
    document: &'a ExecutableDocument,
    /// Fragments being expanded, innermost last.
    expanding: Vec<&'a str>,
    /// Deepest field outside introspection, deepest inside.
    deepest: usize,
    deepest_introspection: usize,
}

impl<'a> Depth<'a> {
    fn walk(&mut self, set: &'a SelectionSet, depth: usize, introspection: bool) {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let inside = introspection || field.node.name.node.starts_with("__");
                    let depth = depth + 1;
                    if inside {
                        self.deepest_introspection = self.deepest_introspection.max(depth);
                    } else {
                        self.deepest = self.deepest.max(depth);
                    }
                    self.walk(&field.node.selection_set.node, depth, inside);
                }
                Selection::InlineFragment(fragment) => {
                    self.walk(&fragment.node.selection_set.node, depth, introspection);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if self.expanding.contains(&name) {
                        continue;
                    }
                    if let Some(fragment) =
                        self.document.fragments.get(&spread.node.fragment_name.node)
                    {
                        self.expanding.push(name);
                        self.walk(&fragment.node.selection_set.node, depth, introspection);
                        self.expanding.pop();
                    }
                }
            }
        }
    }
}

/// Refuses a document nested deeper than `max` in any operation, before anything
/// runs, with `LIMIT_EXCEEDED`. Selections under `__schema` and `__type` are held to
/// [`MAX_INTROSPECTION_DEPTH`] instead, so every tool's standard introspection query
/// runs while a deep query of real fields is still refused. (Whether the caller may
/// introspect at all is decided elsewhere.)
pub fn check_depth(document: &ExecutableDocument, max: usize) -> Result<(), ServerError> {
    let mut depth = Depth {
        document,
        expanding: Vec::new(),
        deepest: 0,
        deepest_introspection: 0,
    };
    for (_, operation) in document.operations.iter() {
        depth.walk(&operation.node.selection_set.node, 0, false);
    }
    if depth.deepest > max || depth.deepest_introspection > MAX_INTROSPECTION_DEPTH.max(max) {
        let mut error = ServerError::new("Query is nested too deep.", None);
        error.extensions = Some({
            let mut extensions = async_graphql::ErrorExtensionValues::default();
            extensions.set("code", "LIMIT_EXCEEDED");
            extensions
        });
        return Err(error);
    }
    Ok(())
}
