//! orgdesign's admission benchmark: what deciding whether a GraphQL document may run
//! costs (`orgdesign_graphql::schema::admit`: length, bracket nesting, parse, the
//! anonymous check, the one memoized walk), for honest documents and for the hostile
//! ones of `tests/api/hostile_documents.rs`, beside the standard introspection query of
//! graphql-js 16 (the ceiling: the longest document a real tool sends unasked).
//!
//! ```sh
//! cargo bench --bench admission
//! ```
//!
//! No database: admission runs before anything reads one. Results are printed as
//! Markdown rows for BENCHMARKS.md: the median and the 99th percentile of one
//! admission, and the median's ratio to the ceiling's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use async_graphql::Request;
use common::percentile;
use orgdesign_domain::settings::Limits;
use orgdesign_graphql::{limits::Access, schema::admit};

/// `levels` fragments, each spreading the one before `width` times.
fn bomb(root: &str, leaf: &str, levels: usize, width: usize) -> String {
    let mut text = format!("{{ {root} }} fragment F0 on Query {{ {leaf} }}");
    for level in 1..=levels {
        let spreads = format!("...F{} ", level - 1).repeat(width);
        text.push_str(&format!(" fragment F{level} on Query {{ {spreads}}}"));
    }
    text
}

/// Admissions of `document` for about `budget`, at least 20: the sorted times.
fn measure(document: &str, access: Access, budget: Duration) -> (Vec<Duration>, String) {
    let limits = Limits::default();
    let mut times = Vec::new();
    let mut verdict = String::new();
    let started = Instant::now();
    while times.len() < 20 || started.elapsed() < budget {
        let mut request = Request::new(document);
        let begun = Instant::now();
        let result = admit(&mut request, &limits, access);
        times.push(begun.elapsed());
        if verdict.is_empty() {
            verdict = match result {
                Ok(_) => "admitted".to_owned(),
                Err(error) => {
                    let code = error
                        .extensions
                        .as_ref()
                        .and_then(|e| e.get("code"))
                        .map(|c| c.to_string())
                        .unwrap_or_default();
                    format!("refused {}", code.trim_matches('"'))
                }
            };
        }
        if times.len() >= 100_000 {
            break;
        }
    }
    times.sort();
    (times, verdict)
}

fn main() {
    let mut cases: Vec<(&str, String, bool)> = vec![
        (
            "standard introspection query (ceiling)",
            include_str!("../tests/fixtures/introspection-graphql-js-16.graphql").to_owned(),
            true,
        ),
        ("{ __typename }", "{ __typename }".to_owned(), true),
    ];
    // (name, levels, spreads a level, authenticated)
    let bombs = [
        ("fragment bomb 2^40 (doubling)", 40, 2, true),
        ("fragment bomb 2^40, no token", 40, 2, false),
        ("fragment bomb 2^24 (within recursion depth)", 24, 2, true),
        ("wide bomb, 1,000 spreads a level", 3, 1_000, true),
    ];
    for (name, levels, width, authenticated) in bombs {
        let root = format!("...F{levels}");
        cases.push((
            name,
            bomb(&root, "__typename", levels, width),
            authenticated,
        ));
    }
    cases.extend([
        (
            "10,000 aliases",
            format!(
                "{{ {}}}",
                (0..10_000)
                    .map(|n| format!("a{n}: __typename "))
                    .collect::<String>()
            ),
            true,
        ),
        (
            "5,000-deep selection",
            format!(
                "{{{} __typename {}}}",
                " a {".repeat(5_000),
                "}".repeat(5_000)
            ),
            true,
        ),
        (
            "the introspection cycle",
            format!(
                "{{ __schema {{ types {{ {} name {} }} }} }}",
                "fields { type { ".repeat(12),
                "} }".repeat(12)
            ),
            true,
        ),
        (
            "a 1 MB string literal",
            format!("{{ node(id: \"{}\") {{ id }} }}", "x".repeat(1_000_000)),
            true,
        ),
    ]);
    let budget = Duration::from_millis(300);
    println!("| document | bytes | verdict | median | p99 | median ÷ ceiling |");
    println!("|---|---|---|---|---|---|");
    let mut ceiling = None;
    for (name, document, authenticated) in &cases {
        let access = Access {
            authenticated: *authenticated,
            may_introspect: true,
        };
        let (times, verdict) = measure(document, access, budget);
        let median = percentile(&times, 0.5);
        let ceiling = *ceiling.get_or_insert(median);
        println!(
            "| {name} | {} | {verdict} | {:.1} µs | {:.1} µs | {:.2} |",
            document.len(),
            median.as_secs_f64() * 1e6,
            percentile(&times, 0.99).as_secs_f64() * 1e6,
            median.as_secs_f64() / ceiling.as_secs_f64()
        );
    }
}
