//! Admission: what a GraphQL document must pass before async-graphql sees it, checked in
//! time linear in the document.
//!
//! async-graphql's own document walks (its recursion-depth and directive checks, and the
//! complexity, depth and cache-control visitors of validation) expand every fragment
//! spread again at every place it is spread. A document of a few kilobytes whose
//! fragments each spread the one before twice (`F1 { ...F0 ...F0 } F2 { ...F1 ...F1 }`)
//! expands to 2^n selections, and those walks take 2^n steps before they can say "too
//! complex". So nothing of a document reaches them until this module has shown, in one
//! pass that computes each fragment's contribution once, that the document expands to a
//! bounded number of selections; every later walk then costs at most that bound.
//!
//! The checks, cheapest first (each stops as soon as its limit is known to be passed):
//!
//! 0. [`check_length`]: the documents' length against `max_document_bytes`.
//! 1. [`check_text`], on the raw text before it is parsed: brackets nested deeper than
//!    [`MAX_NESTING`] (the parser recurses once per level, so a 10,000-deep literal or
//!    selection would take its stack).
//! 2. [`check_access`], on the parsed document, for a caller without a token: only
//!    `__typename`, and introspection where the policy allows it, may be asked for at
//!    the root. Anything else is refused before any walk that grows with the document.
//! 3. [`check_shape`]: one memoized walk measuring depth (introspection held to its own
//!    bound), recursion depth, selections and aliases as the document expands,
//!    directives per field, and fragment cycles.
//!
//! Every refusal is `LIMIT_EXCEEDED` with a message naming the limit, except a fragment
//! cycle (`GRAPHQL_VALIDATION_FAILED`, as validation would call it) and an anonymous
//! caller asking for data (`UNAUTHENTICATED`).

use std::collections::{HashMap, HashSet};

use async_graphql::{
    ErrorExtensionValues, ServerError,
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};
use orgdesign_domain::settings::Limits;

/// How deep an introspection selection (`__schema`, `__type`) may nest. Introspection
/// only walks the schema's finite type graph, and the standard introspection queries
/// nest deeper than any real query should: graphql-js 16's `getIntrospectionQuery()`
/// reaches 13 levels through its `TypeRef` fragment.
pub const MAX_INTROSPECTION_DEPTH: usize = 32;

/// How many list fields of introspection (`types`, `fields`, `args` ...) may nest in
/// one another. Introspection is not bounded by complexity (every field counts one),
/// but each such list multiplies what it answers: `__schema { types { fields { type {
/// fields { type { fields ...` answers (types × fields^n) objects and never ends. The
/// standard introspection queries nest three (`types { fields { args } }`).
pub const MAX_INTROSPECTION_LISTS: usize = 3;

/// Introspection fields that answer lists.
const INTROSPECTION_LISTS: [&str; 8] = [
    "types",
    "fields",
    "args",
    "inputFields",
    "interfaces",
    "possibleTypes",
    "enumValues",
    "directives",
];

/// How deep brackets (`{`, `[`, `(`) may nest in a document's text. The parser recurses
/// once per level (and async-graphql's parser gives up at 64 selection levels anyway);
/// the deepest standard introspection query nests about 25.
pub const MAX_NESTING: usize = 128;

/// How many times one document may expand to more selections than one operation may
/// select: fragment definitions are measured on their own as well (validation walks
/// each one), so a document using fragments legitimately measures a few times its
/// operation.
const DOCUMENT_FACTOR: usize = 8;

/// The bounds a document is held to, from the `[limits]` settings.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Deepest nesting of fields outside introspection.
    pub max_depth: usize,
    /// Deepest nesting of fields under `__schema` / `__type`.
    pub max_introspection_depth: usize,
    /// Deepest nesting of selection sets and fragment spreads together, as
    /// async-graphql's recursion check counts it (`Schema::limit_recursive_depth`).
    pub max_recursion: usize,
    /// Most selections one operation may expand to (each field, with its fragments
    /// expanded, counts one): `max_complexity`, whose default scoring is the same count.
    pub max_selections: usize,
    /// Most selections the whole document may expand to, every fragment definition
    /// measured on its own as well.
    pub max_document_selections: usize,
    /// Most aliases one operation may use, fragments expanded.
    pub max_aliases: usize,
    /// Most directives on one field, spread or fragment.
    pub max_directives: usize,
}

impl Bounds {
    /// The bounds the settings give.
    pub fn of(limits: &Limits) -> Self {
        Self {
            max_depth: limits.max_depth,
            max_introspection_depth: MAX_INTROSPECTION_DEPTH.max(limits.max_depth),
            max_recursion: recursion_limit(limits),
            max_selections: limits.max_complexity,
            max_document_selections: limits.max_complexity.saturating_mul(DOCUMENT_FACTOR),
            max_aliases: limits.max_aliases,
            max_directives: limits.max_directives,
        }
    }
}

/// The recursion depth async-graphql is told to allow (`Schema::limit_recursive_depth`),
/// and that [`check_shape`] enforces before it.
pub fn recursion_limit(limits: &Limits) -> usize {
    limits.max_depth.max(MAX_INTROSPECTION_DEPTH)
}

/// What the caller may ask for at the root, as far as admission needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// The request carried a valid token.
    pub authenticated: bool,
    /// The introspection policy lets this caller introspect.
    pub may_introspect: bool,
}

fn refusal(code: &str, message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}

fn limit_exceeded(message: String) -> ServerError {
    refusal("LIMIT_EXCEEDED", message)
}

/// Refuses documents longer than `max` bytes together (one request's, a batch's
/// documents together), before any of them is parsed.
pub fn check_length(length: usize, max: usize) -> Result<(), ServerError> {
    if length > max {
        return Err(limit_exceeded(format!(
            "the request's GraphQL documents come to {length} bytes; at most {max} are allowed"
        )));
    }
    Ok(())
}

/// Refuses a document whose brackets nest deeper than [`MAX_NESTING`], reading its text
/// once, before it is parsed. Strings (block strings included) and comments are
/// skipped, so brackets inside them do not count.
pub fn check_text(query: &str) -> Result<(), ServerError> {
    let bytes = query.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    // `\"""` is an escaped triple quote inside a block string.
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(limit_exceeded(format!(
                        "the document nests brackets more than {MAX_NESTING} deep"
                    )));
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Root fields any caller may ask for: `__typename` answers without data.
fn open_to_anyone(name: &str, may_introspect: bool) -> bool {
    name == "__typename" || (may_introspect && (name == "__schema" || name == "__type"))
}

/// Refuses, before anything that grows with the document, a request without a token
/// that asks at the root of any operation for more than `__typename` (and introspection,
/// where the policy lets this caller introspect): every such field would answer
/// `UNAUTHENTICATED`, so nothing of it needs to run. Fragments spread at the root are
/// read once each.
pub fn check_access(document: &ExecutableDocument, access: Access) -> Result<(), ServerError> {
    if access.authenticated {
        return Ok(());
    }
    let mut seen = HashSet::new();
    let mut pending: Vec<&SelectionSet> = document
        .operations
        .iter()
        .map(|(_, operation)| &operation.node.selection_set.node)
        .collect();
    while let Some(set) = pending.pop() {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    if !open_to_anyone(name, access.may_introspect) {
                        return Err(refusal(
                            "UNAUTHENTICATED",
                            format!("`{name}` needs a token: send `Authorization: Bearer <token>`"),
                        ));
                    }
                }
                Selection::InlineFragment(fragment) => {
                    pending.push(&fragment.node.selection_set.node);
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if seen.insert(name.as_str())
                        && let Some(fragment) = document.fragments.get(name)
                    {
                        pending.push(&fragment.node.selection_set.node);
                    }
                }
            }
        }
    }
    Ok(())
}

/// What one selection set (or fragment) contributes, measured from where it stands.
#[derive(Debug, Clone, Copy, Default)]
struct Measure {
    /// Fields, fragments expanded (saturating).
    selections: usize,
    /// Aliases, fragments expanded (saturating).
    aliases: usize,
    /// Deepest field nesting outside introspection, relative.
    depth: usize,
    /// Deepest field nesting under introspection, relative.
    introspection_depth: usize,
    /// Deepest nesting of sets and spreads, relative, as async-graphql counts recursion.
    recursion: usize,
    /// Most introspection list fields nested in one another, relative.
    introspection_lists: usize,
}

impl Measure {
    fn add(&mut self, other: Measure) {
        self.selections = self.selections.saturating_add(other.selections);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.depth = self.depth.max(other.depth);
        self.introspection_depth = self.introspection_depth.max(other.introspection_depth);
        self.recursion = self.recursion.max(other.recursion);
        self.introspection_lists = self.introspection_lists.max(other.introspection_lists);
    }
}

/// A fragment's state in the walk: being measured (met again, it is a cycle) or done.
#[derive(Clone, Copy)]
enum Memo {
    Measuring,
    Done(Measure),
}

/// What [`check_shape`] found in an admitted document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// The most selections one operation expands to.
    pub selections: usize,
    /// Selections the walk visited: each selection of the text at most twice (once in
    /// and once outside introspection), whatever the document expands to.
    pub visited: usize,
}

struct Walk<'a> {
    document: &'a ExecutableDocument,
    bounds: Bounds,
    /// Each fragment measured once per context (inside introspection or not).
    memo: HashMap<(&'a str, bool), Memo>,
    visited: usize,
}

impl<'a> Walk<'a> {
    /// Measures `set`, which stands at recursion depth `at` from its operation's root
    /// (`inside`: under an introspection field). Stops with an error as soon as a
    /// bound is passed; the recursion depth bound also bounds this function's own
    /// recursion, however long a chain of fragments the document holds.
    fn set(
        &mut self,
        set: &'a SelectionSet,
        at: usize,
        inside: bool,
    ) -> Result<Measure, ServerError> {
        if at > self.bounds.max_recursion {
            return Err(limit_exceeded(format!(
                "the document nests selections and fragments more than {} deep",
                self.bounds.max_recursion
            )));
        }
        let mut measure = Measure::default();
        for item in &set.items {
            self.visited += 1;
            self.directives(item.node.directives().len())?;
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let inside_now = inside || field.name.node.starts_with("__");
                    let children = &field.selection_set.node;
                    let mut below = if children.items.is_empty() {
                        Measure::default()
                    } else {
                        let mut below = self.set(children, at + 1, inside_now)?;
                        below.recursion += 1;
                        below
                    };
                    below.selections = below.selections.saturating_add(1);
                    below.aliases = below
                        .aliases
                        .saturating_add(usize::from(field.alias.is_some()));
                    if inside_now {
                        below.introspection_depth = below.introspection_depth.max(below.depth) + 1;
                        below.depth = 0;
                        if INTROSPECTION_LISTS.contains(&field.name.node.as_str()) {
                            below.introspection_lists += 1;
                        }
                    } else {
                        // Introspection below a field is measured from the root.
                        below.depth += 1;
                        if below.introspection_depth > 0 {
                            below.introspection_depth += 1;
                        }
                    }
                    measure.add(below);
                }
                Selection::InlineFragment(fragment) => {
                    let mut inner = self.set(&fragment.node.selection_set.node, at + 1, inside)?;
                    inner.recursion += 1;
                    measure.add(inner);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    let Some(mut inner) = self.fragment(name, at + 1, inside)? else {
                        // An unknown fragment: validation names it.
                        continue;
                    };
                    inner.recursion += 1;
                    if at + inner.recursion > self.bounds.max_recursion {
                        return Err(limit_exceeded(format!(
                            "the document nests selections and fragments more than {} deep",
                            self.bounds.max_recursion
                        )));
                    }
                    measure.add(inner);
                }
            }
            self.bounded(measure)?;
        }
        Ok(measure)
    }

    /// The measure of fragment `name` spread at recursion depth `at`: computed the
    /// first time, remembered after. `None` for a fragment the document does not define.
    fn fragment(
        &mut self,
        name: &'a str,
        at: usize,
        inside: bool,
    ) -> Result<Option<Measure>, ServerError> {
        match self.memo.get(&(name, inside)) {
            Some(Memo::Done(measure)) => return Ok(Some(*measure)),
            Some(Memo::Measuring) => {
                return Err(refusal(
                    "GRAPHQL_VALIDATION_FAILED",
                    format!(
                        "fragment `{name}` spreads itself (directly or through other fragments)"
                    ),
                ));
            }
            None => {}
        }
        let Some((key, fragment)) = self.document.fragments.get_key_value(name) else {
            return Ok(None);
        };
        self.directives(fragment.node.directives.len())?;
        self.memo.insert((key.as_str(), inside), Memo::Measuring);
        let measure = self.set(&fragment.node.selection_set.node, at, inside)?;
        self.memo
            .insert((key.as_str(), inside), Memo::Done(measure));
        Ok(Some(measure))
    }

    fn directives(&self, count: usize) -> Result<(), ServerError> {
        if count > self.bounds.max_directives {
            return Err(limit_exceeded(format!(
                "a selection carries {count} directives; at most {} are allowed",
                self.bounds.max_directives
            )));
        }
        Ok(())
    }

    /// Refuses as soon as what one operation expands to passes a bound: measures only
    /// grow, so a part already over a bound is enough to know.
    fn bounded(&self, measure: Measure) -> Result<(), ServerError> {
        let bounds = &self.bounds;
        if measure.selections > bounds.max_selections {
            return Err(limit_exceeded(format!(
                "Query is too complex: it expands to more than {} selections (fragments counted each time they are spread)",
                bounds.max_selections
            )));
        }
        if measure.aliases > bounds.max_aliases {
            return Err(limit_exceeded(format!(
                "the query uses more than {} aliases (fragments counted each time they are spread); at most {} are allowed",
                bounds.max_aliases, bounds.max_aliases
            )));
        }
        if measure.depth > bounds.max_depth
            || measure.introspection_depth > bounds.max_introspection_depth
        {
            return Err(limit_exceeded(format!(
                "Query is nested too deep: at most {} levels of fields ({} under __schema and __type)",
                bounds.max_depth, bounds.max_introspection_depth
            )));
        }
        if measure.introspection_lists > MAX_INTROSPECTION_LISTS {
            return Err(limit_exceeded(format!(
                "introspection lists (types, fields, args ...) may nest at most {MAX_INTROSPECTION_LISTS} deep"
            )));
        }
        Ok(())
    }
}

/// Measures every operation of `document`, and the fragments they spread, in one walk
/// that computes each fragment's contribution once per context, and refuses it with
/// `LIMIT_EXCEEDED` when one operation expands past the bounds (selections, aliases,
/// depth, recursion, directives) or the whole document (its operations and each
/// fragment definition on its own) past `max_document_selections`; a fragment cycle,
/// or a fragment no operation spreads, is `GRAPHQL_VALIDATION_FAILED`. The walk's cost is linear in the
/// document: see [`Shape::visited`].
pub fn check_shape(document: &ExecutableDocument, bounds: Bounds) -> Result<Shape, ServerError> {
    let (largest, visited) = measure_document(document, bounds);
    Ok(Shape {
        selections: largest?,
        visited,
    })
}

/// [`check_shape`]'s walk: the most selections one operation expands to (or the
/// refusal), and how many selections the walk visited to find it, refused or not.
fn measure_document(
    document: &ExecutableDocument,
    bounds: Bounds,
) -> (Result<usize, ServerError>, usize) {
    let mut walk = Walk {
        document,
        bounds,
        memo: HashMap::new(),
        visited: 0,
    };
    let largest = walk.document();
    (largest, walk.visited)
}

impl Walk<'_> {
    fn document(&mut self) -> Result<usize, ServerError> {
        let document = self.document;
        let bounds = self.bounds;
        let mut largest = 0usize;
        let mut total = 0usize;
        for (_, operation) in document.operations.iter() {
            self.directives(operation.node.directives.len())?;
            let measure = self.set(&operation.node.selection_set.node, 0, false)?;
            largest = largest.max(measure.selections);
            total = total.saturating_add(measure.selections);
            document_bounded(total, bounds)?;
        }
        // Validation walks every fragment definition on its own. Those the operations
        // spread are measured already; one they do not is refused here, as validation
        // would refuse it, without measuring it.
        for (name, _) in document.fragments.iter() {
            let measured = [false, true].into_iter().find_map(|inside| {
                match self.memo.get(&(name.as_str(), inside)) {
                    Some(Memo::Done(measure)) => Some(*measure),
                    _ => None,
                }
            });
            let Some(measure) = measured else {
                return Err(refusal(
                    "GRAPHQL_VALIDATION_FAILED",
                    format!("fragment `{name}` is never used"),
                ));
            };
            total = total.saturating_add(measure.selections);
            document_bounded(total, bounds)?;
        }
        Ok(largest)
    }
}

fn document_bounded(total: usize, bounds: Bounds) -> Result<(), ServerError> {
    if total > bounds.max_document_selections {
        return Err(limit_exceeded(format!(
            "the document expands to more than {} selections in all (its operations and each fragment definition)",
            bounds.max_document_selections
        )));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly
#[path = "limits/tests.rs"]
mod tests;
