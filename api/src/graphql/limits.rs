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
