use std::sync::atomic::{AtomicU64, Ordering};

use async_graphql::parser::parse_query;
use proptest::prelude::*;

use super::*;

fn bounds() -> Bounds {
    Bounds::of(&Limits::default())
}

fn code(error: &ServerError) -> String {
    match error.extensions.as_ref().and_then(|e| e.get("code")) {
        Some(async_graphql::Value::String(code)) => code.clone(),
        other => panic!("no code: {other:?}"),
    }
}

/// The walk's verdict on `query` and how many selections it visited.
fn walk(query: &str) -> (Result<usize, ServerError>, usize) {
    let document = parse_query(query).unwrap();
    measure_document(&document, bounds())
}

/// Selections written in the text (fields, spreads and inline fragments).
fn written(document: &ExecutableDocument) -> usize {
    fn set(s: &SelectionSet) -> usize {
        s.items
            .iter()
            .map(|item| {
                1 + match &item.node {
                    Selection::Field(f) => set(&f.node.selection_set.node),
                    Selection::InlineFragment(f) => set(&f.node.selection_set.node),
                    Selection::FragmentSpread(_) => 0,
                }
            })
            .sum()
    }
    document
        .operations
        .iter()
        .map(|(_, op)| set(&op.node.selection_set.node))
        .chain(
            document
                .fragments
                .values()
                .map(|f| set(&f.node.selection_set.node)),
        )
        .sum()
}

/// `levels` fragments on `on`, each spreading the one before `width` times: the
/// document expands to `width^levels` copies of `leaf`.
fn bomb(root: &str, on: &str, leaf: &str, levels: usize, width: usize) -> String {
    let mut text = format!("{{ {root} }} fragment F0 on {on} {{ {leaf} }}");
    for level in 1..=levels {
        let spreads = format!("...F{} ", level - 1).repeat(width);
        text.push_str(&format!(" fragment F{level} on {on} {{ {spreads}}}"));
    }
    text
}

#[test]
fn a_doubling_fragment_bomb_is_refused_after_a_walk_of_its_text() {
    let query = bomb(
        "__type(name: \"Query\") { ...F40 }",
        "__Type",
        "name",
        40,
        2,
    );
    let (verdict, visited) = walk(&query);
    let error = verdict.unwrap_err();
    assert_eq!(code(&error), "LIMIT_EXCEEDED");
    // Forty levels of spreads are deeper than recursion allows; twenty are not, and
    // expand to 2^20 selections.
    assert!(error.message.contains("32 deep"), "{}", error.message);
    let twenty = bomb("...F20", "Query", "__typename", 20, 2);
    let error = walk(&twenty).0.unwrap_err();
    assert!(
        error.message.contains("2000 selections"),
        "{}",
        error.message
    );
    let document = parse_query(&query).unwrap();
    assert!(
        visited <= 2 * written(&document),
        "visited {visited} for {} written",
        written(&document)
    );
}

#[test]
fn a_wide_fragment_bomb_is_refused_after_a_walk_of_its_text() {
    let query = bomb("...F3", "Query", "__typename", 3, 1_000);
    let (verdict, visited) = walk(&query);
    assert_eq!(code(&verdict.unwrap_err()), "LIMIT_EXCEEDED");
    assert!(visited <= 2 * 3_002, "visited {visited}");
}

#[test]
fn fragments_are_counted_each_time_they_are_spread() {
    // 2^10 = 1,024 selections: within the default 2,000.
    let (verdict, _) = walk(&bomb("...F10", "Query", "__typename", 10, 2));
    assert_eq!(verdict.unwrap(), 1_024);
    // 2^11 = 2,048: over it.
    let (verdict, _) = walk(&bomb("...F11", "Query", "__typename", 11, 2));
    assert_eq!(code(&verdict.unwrap_err()), "LIMIT_EXCEEDED");
}

#[test]
fn aliases_are_counted_as_the_fragments_expand() {
    // Three aliases written, 3 × 2^4 = 48 once expanded: over the default 30.
    let (verdict, _) = walk(&bomb(
        "...F4",
        "Query",
        "a: __typename b: __typename c: __typename",
        4,
        2,
    ));
    let error = verdict.unwrap_err();
    assert_eq!(code(&error), "LIMIT_EXCEEDED");
    assert!(error.message.contains("aliases"), "{}", error.message);
}

#[test]
fn fragment_cycles_are_refused_directly_and_through_other_fragments() {
    for query in [
        "{ ...A } fragment A on Query { ...A }",
        "{ ...A } fragment A on Query { __typename ...B } fragment B on Query { ...C } fragment C on Query { ...A }",
        "{ __type(name: \"Query\") { ...T } } fragment T on __Type { ofType { ...T } }",
    ] {
        let error = walk(query).0.unwrap_err();
        assert_eq!(code(&error), "GRAPHQL_VALIDATION_FAILED", "{query}");
        assert!(
            error.message.contains("spreads itself"),
            "{}",
            error.message
        );
    }
}

#[test]
fn a_long_chain_of_fragments_is_refused_before_the_walk_recurses_down_it() {
    let mut query = String::from("{ ...F0 }");
    for n in 0..20_000 {
        query.push_str(&format!(" fragment F{n} on Query {{ ...F{} }}", n + 1));
    }
    query.push_str(" fragment F20000 on Query { __typename }");
    let error = walk(&query).0.unwrap_err();
    assert_eq!(code(&error), "LIMIT_EXCEEDED");
    assert!(error.message.contains("32 deep"), "{}", error.message);
}

#[test]
fn depth_is_held_to_max_depth_and_introspection_to_its_own_bound() {
    let nested = |levels: usize, leaf: &str| {
        format!("{}{leaf}{}", "{ a ".repeat(levels), " }".repeat(levels))
    };
    // 12 levels of fields (11 `a` and the leaf), then 13.
    assert!(walk(&format!("{{ x {} }}", nested(10, "{ b }"))).0.is_ok());
    let error = walk(&format!("{{ x {} }}", nested(11, "{ b }")))
        .0
        .unwrap_err();
    assert!(
        error.message.contains("nested too deep"),
        "{}",
        error.message
    );
    // Under __type, up to 32.
    let deep_type = format!("{{ __type(name: \"Query\") {} }}", nested(30, "{ name }"));
    assert!(walk(&deep_type).0.is_ok(), "{deep_type}");
    let too_deep = format!("{{ __type(name: \"Query\") {} }}", nested(31, "{ name }"));
    assert_eq!(code(&walk(&too_deep).0.unwrap_err()), "LIMIT_EXCEEDED");
}

#[test]
fn introspection_lists_nested_in_one_another_are_refused_past_three() {
    let cycle =
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
    let error = walk(cycle).0.unwrap_err();
    assert_eq!(code(&error), "LIMIT_EXCEEDED");
    assert!(
        error.message.contains("introspection lists"),
        "{}",
        error.message
    );
    // Through a fragment too, and with __type at the root.
    let through = "{ __type(name: \"Query\") { fields { type { ...T } } } } \
                   fragment T on __Type { interfaces { fields { args { name } } } }";
    assert_eq!(code(&walk(through).0.unwrap_err()), "LIMIT_EXCEEDED");
    assert!(
        walk("{ __schema { types { fields { args { name } } } } }")
            .0
            .is_ok()
    );
}

#[test]
fn the_standard_introspection_queries_are_admitted() {
    for query in [
        include_str!("../../../tests/fixtures/introspection-graphql-js-16.graphql"),
        include_str!("../../../tests/fixtures/introspection-graphql-core-3.2.graphql"),
    ] {
        let (verdict, _) = walk(query);
        assert!(verdict.is_ok(), "{verdict:?}");
        check_text(query).unwrap();
    }
}

#[test]
fn directives_per_selection_are_bounded() {
    let many = "@include(if: true) ".repeat(9);
    for query in [
        format!("{{ __typename {many} }}"),
        format!("{{ ...F {many} }} fragment F on Query {{ __typename }}"),
        format!("{{ ... on Query {many} {{ __typename }} }}"),
        format!("query Q {many} {{ __typename }}"),
    ] {
        let error = walk(&query).0.unwrap_err();
        assert_eq!(code(&error), "LIMIT_EXCEEDED", "{query}");
        assert!(error.message.contains("directives"), "{}", error.message);
    }
}

#[test]
fn a_fragment_no_operation_spreads_is_refused() {
    let error = walk("{ __typename } fragment Lost on Query { __typename }")
        .0
        .unwrap_err();
    assert_eq!(code(&error), "GRAPHQL_VALIDATION_FAILED");
}

#[test]
fn brackets_are_counted_outside_strings_and_comments_only() {
    let deep = |n: usize| format!("{}x{}", "[".repeat(n), "]".repeat(n));
    assert!(check_text(&format!("{{ a(x: {}) }}", deep(126))).is_ok());
    let error = check_text(&format!("{{ a(x: {}) }}", deep(127))).unwrap_err();
    assert_eq!(code(&error), "LIMIT_EXCEEDED");
    let braces = "{".repeat(10_000);
    assert!(check_text(&format!("{{ a(x: \"{braces}\") }}")).is_ok());
    assert!(
        check_text(&format!(
            "{{ a(x: \"\"\"{braces} \\\"\"\" {braces}\"\"\") }}"
        ))
        .is_ok()
    );
    assert!(check_text(&format!("# {braces}\n{{ a }}")).is_ok());
    assert!(check_text(&format!("{{ a(x: \"\\\"{braces}\") }}")).is_ok());
    assert!(check_text(&"{".repeat(10_000)).is_err());
}

#[test]
fn a_caller_without_a_token_may_ask_for_typename_and_introspection_as_allowed() {
    let anonymous = |may_introspect| Access {
        authenticated: false,
        may_introspect,
    };
    let verdict = |query: &str, caller| check_access(&parse_query(query).unwrap(), caller);
    assert!(verdict("{ __typename }", anonymous(false)).is_ok());
    assert!(verdict("{ __schema { queryType { name } } }", anonymous(true)).is_ok());
    for query in [
        "{ __schema { queryType { name } } }",
        "{ me { subject } }",
        "{ __typename ...F } fragment F on Query { ... on Query { organizations { totalCount } } }",
        "query A { __typename } query B { me { subject } }",
    ] {
        let error = verdict(query, anonymous(false)).unwrap_err();
        assert_eq!(code(&error), "UNAUTHENTICATED", "{query}");
    }
    let signed_in = Access {
        authenticated: true,
        may_introspect: false,
    };
    assert!(verdict("{ me { subject } }", signed_in).is_ok());
}

/// The largest visited-to-written ratio any generated document gave, in hundredths.
static LARGEST_RATIO: AtomicU64 = AtomicU64::new(0);

/// One generated selection: a field (maybe aliased, maybe with children), a spread of
/// a fragment by index (any index: cycles and unknown names included), or an inline
/// fragment.
#[derive(Debug, Clone)]
enum Item {
    Field(bool, Vec<Item>),
    Spread(usize),
    Inline(Vec<Item>),
}

fn items() -> impl Strategy<Value = Vec<Item>> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(|alias| Item::Field(alias, Vec::new())),
        (0usize..12).prop_map(Item::Spread),
    ];
    let item = leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            (any::<bool>(), prop::collection::vec(inner.clone(), 1..6))
                .prop_map(|(alias, children)| Item::Field(alias, children)),
            prop::collection::vec(inner, 1..6).prop_map(Item::Inline),
        ]
    });
    prop::collection::vec(item, 1..8)
}

fn write(items: &[Item], out: &mut String, fragments: usize) {
    out.push('{');
    for (n, item) in items.iter().enumerate() {
        match item {
            Item::Field(alias, children) => {
                if *alias {
                    out.push_str(&format!(" a{n}:"));
                }
                if children.is_empty() {
                    out.push_str(" __typename");
                } else {
                    out.push_str(" node(id: \"x\") ");
                    write(children, out, fragments);
                }
            }
            Item::Spread(index) => out.push_str(&format!(" ...F{}", index % fragments)),
            Item::Inline(children) => {
                out.push_str(" ... on Query ");
                write(children, out, fragments);
            }
        }
    }
    out.push_str(" }");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    /// Whatever the document — fragments spreading each other many times over, in
    /// cycles, nested — the walk visits at most twice the selections written in it.
    #[test]
    fn the_walk_visits_at_most_twice_what_the_document_writes(
        operation in items(),
        fragments in prop::collection::vec(items(), 1..12),
    ) {
        let mut query = String::new();
        write(&operation, &mut query, fragments.len());
        for (n, fragment) in fragments.iter().enumerate() {
            query.push_str(&format!(" fragment F{n} on Query "));
            write(fragment, &mut query, fragments.len());
        }
        let document = parse_query(&query).unwrap();
        let (_, visited) = measure_document(&document, bounds());
        let size = written(&document);
        prop_assert!(visited <= 2 * size, "visited {} of {} written: {}", visited, size, query);
        let ratio = (visited * 100 / size.max(1)) as u64;
        let before = LARGEST_RATIO.fetch_max(ratio, Ordering::Relaxed);
        if ratio > before {
            eprintln!("largest visited/written ratio so far: {:.2}", ratio as f64 / 100.0);
        }
    }
}

#[test]
fn documents_past_their_length_are_refused_before_the_parse() {
    assert!(check_length(256 * 1024, 256 * 1024).is_ok());
    let error = check_length(256 * 1024 + 1, 256 * 1024).unwrap_err();
    assert_eq!(code(&error), "LIMIT_EXCEEDED");
    assert!(error.message.contains("262145 bytes"), "{}", error.message);
}
