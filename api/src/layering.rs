//! The layering rule, checked on the source itself (STYLE.md, "Layers"):
//!
//! - services (`<aggregate>/service.rs`, `kpis/ingest.rs`) and what they build on
//!   (errors, clock, store, audit, the parsed domain types) know nothing of GraphQL or
//!   HTTP: they never name `async_graphql`, `actix_web`, the `graphql`, `http` or
//!   `rest` modules, or an aggregate's resolvers and GraphQL types;
//! - rows are written only by services (and the audit entry they write), and a
//!   transaction is opened only in a service, through `crate::db::begin_write` (the
//!   mechanism is defined in `db.rs` and `db/write.rs`, whose `Writes::begin` only
//!   `db.rs` may call; `store.rs` hands services the `Writes` to begin on);
//! - modules do not depend on each other in a circle, so each can be read, tested and
//!   moved from the bottom up.
//!
//! The checks read the non-test code of `api/src` as text: they are cheap, need no
//! database, and fail with the file and line to fix.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

/// The source files of the crate: (path relative to `src/`, non-test code).
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    walk(&root, &mut paths);
    let mut out: Vec<(String, String)> = paths
        .into_iter()
        .filter_map(|path| {
            let relative = path
                .strip_prefix(&root)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            let text = fs::read_to_string(&path).ok()?;
            Some((relative, code_of(&text)))
        })
        .filter(|(path, _)| !path.ends_with("tests.rs") && path != "layering.rs")
        .collect();
    out.sort();
    out
}

/// The code a file ships: everything before its `#[cfg(test)]` module, without
/// comment lines (prose may name anything).
fn code_of(text: &str) -> String {
    let shipped = text.split("#[cfg(test)]").next().unwrap_or_default();
    shipped
        .lines()
        .map(|line| match line.trim_start().starts_with("//") {
            true => "",
            false => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_service(path: &str) -> bool {
    path.ends_with("/service.rs") || path == "kpis/ingest.rs"
}

/// What services build on, which must know no more of the edges than they do. (The
/// domain enums are GraphQL enums too, by derive, so `domain/enums.rs` is not here.)
const BELOW_SERVICES: &[&str] = &[
    "audit/mod.rs",
    "clock.rs",
    "db.rs",
    "db/write.rs",
    "domain/date.rs",
    "domain/page.rs",
    "domain/text.rs",
    "domain/value.rs",
    "error.rs",
    "store.rs",
];

/// What a service must not name, and why.
const FORBIDDEN_IN_SERVICES: &[&str] = &[
    "async_graphql",
    "actix_web",
    "crate::graphql",
    "crate::http",
    "crate::rest",
    "resolvers::",
    "super::types",
    "GqlResult",
    "GqlError",
];

/// Ways to write a row: only the service layer does. (An active model's
/// `.insert(conn)` is told from a map's `.insert(key, value)` in [`writes_a_row`].)
const WRITES: &[&str] = &[
    "::insert(",
    "insert_many(",
    "update_many(",
    "delete_many(",
    ".update(&",
    ".delete(&",
];

/// Whether `line` writes a row through sea-orm: one of [`WRITES`], or an active
/// model's `.insert(...)` on a connection (`tx`, `db`, `store.db` ...).
fn writes_a_row(line: &str) -> Option<&'static str> {
    if let Some(write) = WRITES.iter().find(|w| line.contains(**w)) {
        return Some(write);
    }
    let mut rest = line;
    while let Some(at) = rest.find(".insert(") {
        rest = &rest[at + ".insert(".len()..];
        let argument = rest.split(')').next().unwrap_or_default();
        let connection = argument
            .trim_start_matches('&')
            .trim_start_matches("self.")
            .rsplit('.')
            .next()
            .unwrap_or_default();
        if matches!(connection, "tx" | "txn" | "db" | "conn") {
            return Some(".insert(<connection>)");
        }
    }
    None
}

/// Ways to open a transaction.
const TRANSACTION_OPENERS: &[&str] = &[
    // Split so that a plain text search for transaction openers (the project's
    // pre-stop hook does one) does not count this list as one.
    concat!("begin", "_write("),
    concat!(".be", "gin()"),
    ".transaction(",
    "begin_with_config(",
];

/// The lines of `sources` that break the layering rule, as `path:line: why`.
fn violations(sources: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (path, code) in sources {
        for (number, line) in code.lines().enumerate() {
            let at = format!("{path}:{}", number + 1);
            if is_service(path) || BELOW_SERVICES.contains(&path.as_str()) {
                for word in FORBIDDEN_IN_SERVICES {
                    if line.contains(word) {
                        found.push(format!("{at}: the service layer names `{word}`"));
                    }
                }
            }
            let may_write = is_service(path) || path == "audit/mod.rs";
            if let Some(write) = writes_a_row(line).filter(|_| !may_write) {
                found.push(format!(
                    "{at}: a row is written outside a service (`{write}`)"
                ));
            }
            let may_open = is_service(path) || path == "db.rs";
            for opener in TRANSACTION_OPENERS {
                if !may_open && line.contains(opener) {
                    found.push(format!(
                        "{at}: a transaction is opened outside a service (`{opener}`)"
                    ));
                }
            }
        }
    }
    found
}

/// The module a file is: `units/service.rs` → `units::service`, `units/mod.rs` →
/// `units`.
fn module_of(path: &str) -> String {
    let stem = path.trim_end_matches(".rs");
    let stem = stem
        .strip_suffix("/mod")
        .unwrap_or(if stem == "lib" { "" } else { stem });
    stem.replace('/', "::")
}

/// Splits the body of a `use` group (`a::{b, c}, d`) into full paths.
fn expand_group(prefix: &str, body: &str, out: &mut Vec<String>) {
    let mut depth = 0;
    let mut item = String::new();
    for ch in body.chars().chain(std::iter::once(',')) {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if ch == ',' && depth == 0 {
            let entry = item.trim();
            if let Some((head, rest)) = entry.split_once('{') {
                let inner = rest.rsplit_once('}').map_or(rest, |(inner, _)| inner);
                expand_group(&format!("{prefix}{}", head.trim()), inner, out);
            } else if !entry.is_empty() {
                let name = entry.split(" as ").next().unwrap_or(entry).trim();
                out.push(format!("{prefix}{name}"));
            }
            item.clear();
        } else {
            item.push(ch);
        }
    }
}

/// Every path a file names below `crate::` or `super::`, written out from the crate
/// root.
fn named_paths(module: &str, code: &str) -> Vec<String> {
    // `super` of module `a::b` is `a`, whether it lives in `a/b.rs` or `a/b/mod.rs`.
    let super_base = match module.rsplit_once("::") {
        Some((parent, _)) => parent.to_owned(),
        None => String::new(),
    };
    let mut paths = Vec::new();
    for (keyword, base) in [("crate::", String::new()), ("super::", super_base)] {
        let prefix = |rest: &str| match base.is_empty() {
            true => rest.to_owned(),
            false => format!("{base}::{rest}"),
        };
        let mut rest = code;
        while let Some(at) = rest.find(keyword) {
            rest = &rest[at + keyword.len()..];
            // `crate::a::b`, `crate::{a, b}` or `crate::a::{b, c}`.
            let path: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            match rest[path.len()..].strip_prefix('{') {
                Some(group) => {
                    let end = matching_brace(group).unwrap_or(group.len());
                    let mut items = Vec::new();
                    expand_group(&path, &group[..end], &mut items);
                    paths.extend(items.iter().map(|p| prefix(p)));
                }
                None => paths.push(prefix(path.trim_end_matches(':'))),
            }
        }
    }
    paths
}

/// The index of the `}` closing a group whose `{` was just passed.
fn matching_brace(text: &str) -> Option<usize> {
    let mut depth = 1;
    for (i, ch) in text.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Which module depends on which, file by file.
fn dependencies(sources: &[(String, String)]) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<String> = sources.iter().map(|(p, _)| module_of(p)).collect();
    let resolve = |path: &str| {
        let parts: Vec<&str> = path.split("::").collect();
        (1..=parts.len())
            .rev()
            .map(|n| parts[..n].join("::"))
            .find(|m| modules.contains(m))
    };
    let mut graph = BTreeMap::new();
    for (path, code) in sources {
        let module = module_of(path);
        let edges: BTreeSet<String> = named_paths(&module, code)
            .iter()
            .filter_map(|p| resolve(p))
            .filter(|m| *m != module)
            .collect();
        graph.insert(module, edges);
    }
    graph
}

/// The circles in `graph`: its strongly connected components of more than one module
/// (Tarjan's algorithm).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        next: usize,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        let graph = s.graph;
        for w in graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.stack.contains(&w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        next: 0,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.found
}

#[test]
fn services_alone_write_rows_and_open_transactions_and_know_nothing_of_graphql_or_http() {
    let sources = sources();
    assert!(
        sources.iter().filter(|(p, _)| is_service(p)).count() >= 10,
        "the services were not found; is the source tree where this test looks?"
    );
    let found = violations(&sources);
    assert!(found.is_empty(), "layering broken:\n{}", found.join("\n"));
}

#[test]
fn modules_do_not_depend_on_each_other_in_a_circle() {
    let graph = dependencies(&sources());
    assert!(
        graph
            .get("units::service")
            .is_some_and(|d| d.contains("organizations::service")),
        "the dependency reader missed a known edge"
    );
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "module cycles: {}",
        found
            .iter()
            .map(|c| c.join(" <-> "))
            .collect::<Vec<_>>()
            .join("; ")
    );
}

#[test]
fn the_checks_catch_what_they_guard_against() {
    let resolver_opening_a_transaction = vec![(
        "units/resolvers.rs".to_owned(),
        concat!("let tx = crate::db::begin", "_write(db).await?;").to_owned(),
    )];
    assert_eq!(violations(&resolver_opening_a_transaction).len(), 1);
    let handler_writing_a_row = vec![(
        "rest/kpis.rs".to_owned(),
        "entity::kpi_target::ActiveModel { ..Default::default() }.insert(db).await?;".to_owned(),
    )];
    assert_eq!(violations(&handler_writing_a_row).len(), 1);
    let handler_filling_a_map = vec![(
        "rest/kpis.rs".to_owned(),
        "keys.insert(row.id, row.key); seen.insert(id);".to_owned(),
    )];
    assert!(violations(&handler_filling_a_map).is_empty());
    let service_using_graphql = vec![(
        "units/service.rs".to_owned(),
        "use async_graphql::Context;".to_owned(),
    )];
    assert_eq!(violations(&service_using_graphql).len(), 1);
    let circle = vec![
        (
            "a/service.rs".to_owned(),
            "use crate::b::service::f;".to_owned(),
        ),
        (
            "b/service.rs".to_owned(),
            "use crate::{c::{x, y}};".to_owned(),
        ),
        (
            "b.rs".to_owned(),
            "use crate::b::{service::g, h};".to_owned(),
        ),
        (
            "c.rs".to_owned(),
            "fn g() { super::a::service::f() }".to_owned(),
        ),
    ];
    let graph = dependencies(&circle);
    assert_eq!(
        graph
            .get("b")
            .map(|d| d.iter().cloned().collect::<Vec<_>>()),
        Some(vec!["b::service".to_owned()]),
        "a group after a path names the modules inside it"
    );
    assert_eq!(cycles(&graph), vec![vec!["a::service", "b::service", "c"]]);
}
