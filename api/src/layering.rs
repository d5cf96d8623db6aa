//! What the crate graph cannot say about the layers, checked on the source itself.
//!
//! The layers are crates (`orgdesign-domain` below `orgdesign-graphql` below this one),
//! so the compiler refuses a service that names async-graphql or actix, or a resolver
//! that names the server: the domain's manifest does not list them. The tests here
//! keep what the compiler then guarantees, and check what it cannot:
//!
//! - the crate graph stays as it is: no crate below the server reaches, even through
//!   another crate, for GraphQL or HTTP (read from `Cargo.lock`, so a dependency added
//!   to a manifest shows here before anything is built on it);
//! - rows are written, and transactions opened, only in the domain: the GraphQL schema
//!   and the server call services; inside the domain a transaction begins only in
//!   the write protocol (`write.rs`, through the gate of `db.rs` and `db/write.rs`),
//!   so no service can skip its turn, its lock or its audit entry;
//! - within each crate, modules do not depend on each other in a circle, so each can be
//!   read, tested and moved from the bottom up;
//! - each crate's `lib.rs` opens with a "# Layout" that names every one of its
//!   modules, so the map a reader starts from is never missing a place.
//!
//! The source checks read the non-test code of the three crates as text: they are
//! cheap, need no database, and fail with the file and line to fix.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

/// The workspace's root folder.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The source files of one crate of the workspace (`domain`, `graphql`, `api`):
/// (path relative to its `src/`, non-test code).
fn sources(krate: &str) -> Vec<(String, String)> {
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
    let root = workspace().join(krate).join("src");
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

/// Ways to write a row: only the domain does. (An active model's
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
    BEGIN_WRITE,
    concat!(".be", "gin()"),
    ".transaction(",
    "begin_with_config(",
];

/// The write gate's door, which only the write protocol opens.
const BEGIN_WRITE: &str = concat!("begin", "_write(");

/// The packages `Cargo.lock` records, each with the names of those it depends on.
fn locked_packages(lock: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut packages: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for block in lock.split("[[package]]").skip(1) {
        let Some(name) = block
            .lines()
            .find_map(|line| line.strip_prefix("name = "))
            .map(|name| name.trim_matches('"').to_owned())
        else {
            continue;
        };
        let dependencies = block
            .split_once("dependencies = [")
            .and_then(|(_, rest)| rest.split_once(']'))
            .map(|(list, _)| list)
            .unwrap_or_default()
            .split(',')
            .filter_map(|entry| {
                // `"name"` or `"name version"` where several versions are locked.
                let entry = entry.trim().trim_matches('"');
                entry.split_whitespace().next().map(str::to_owned)
            });
        packages.entry(name).or_default().extend(dependencies);
    }
    packages
}

/// Every package `root` depends on, directly or not.
fn reaches(packages: &BTreeMap<String, BTreeSet<String>>, root: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![root.to_owned()];
    while let Some(name) = todo.pop() {
        for dependency in packages.get(&name).into_iter().flatten() {
            if seen.insert(dependency.clone()) {
                todo.push(dependency.clone());
            }
        }
    }
    seen
}

/// What each layer must not reach, and why.
const FORBIDDEN: &[(&str, &[&str], &str)] = &[
    (
        "orgdesign-domain",
        &[
            "async-graphql",
            "actix-web",
            "actix-http",
            "http",
            "hyper",
            "reqwest",
            "utoipa",
            "orgdesign-graphql",
            "orgdesign-api",
        ],
        "the domain knows nothing of GraphQL or HTTP",
    ),
    (
        "orgdesign-graphql",
        &[
            "actix-web",
            "actix-http",
            "actix-ws",
            "hyper",
            "reqwest",
            "utoipa",
            "orgdesign-api",
        ],
        "the schema knows nothing of the HTTP server",
    ),
    (
        "entity",
        &[
            "orgdesign-domain",
            "orgdesign-graphql",
            "orgdesign-api",
            "async-graphql",
        ],
        "entities are persistence only",
    ),
];

/// The dependencies that break [`FORBIDDEN`], as `crate reaches dependency: why`.
fn graph_violations(packages: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut found = Vec::new();
    for (krate, forbidden, why) in FORBIDDEN {
        let reached = reaches(packages, krate);
        for name in *forbidden {
            if reached.contains(*name) {
                found.push(format!("{krate} reaches {name}: {why}"));
            }
        }
    }
    found
}

/// The lines of `sources` (of the crate `krate`) that write a row or open a
/// transaction where they may not, as `krate/path:line: why`.
fn violations(krate: &str, sources: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (path, code) in sources {
        for (number, line) in code.lines().enumerate() {
            let at = format!("{krate}/{path}:{}", number + 1);
            if let Some(write) = writes_a_row(line).filter(|_| krate != "domain") {
                found.push(format!(
                    "{at}: a row is written outside the domain (`{write}`)"
                ));
            }
            let is_gate = krate == "domain" && (path == "db.rs" || path == "db/write.rs");
            for opener in TRANSACTION_OPENERS {
                let the_protocol =
                    krate == "domain" && path == "write.rs" && *opener == BEGIN_WRITE;
                if !is_gate && !the_protocol && line.contains(opener) {
                    found.push(format!(
                        "{at}: a transaction is opened outside the domain's write path (`{opener}`)"
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

/// The crates whose sources are checked, bottom up.
const CRATES: [&str; 3] = ["domain", "graphql", "api"];

#[test]
fn no_layer_reaches_for_what_sits_above_it() {
    let lock = fs::read_to_string(workspace().join("Cargo.lock")).unwrap_or_default();
    let packages = locked_packages(&lock);
    assert!(
        reaches(&packages, "orgdesign-api").contains("orgdesign-domain"),
        "Cargo.lock was not read; is the workspace where this test looks?"
    );
    let found = graph_violations(&packages);
    assert!(found.is_empty(), "layering broken:\n{}", found.join("\n"));
}

#[test]
fn only_the_domain_writes_rows_and_opens_transactions() {
    let mut found = Vec::new();
    for krate in CRATES {
        let sources = sources(krate);
        assert!(
            sources.len() >= 10,
            "the sources of {krate} were not found; is the tree where this test looks?"
        );
        found.extend(violations(krate, &sources));
    }
    assert!(found.is_empty(), "layering broken:\n{}", found.join("\n"));
}

#[test]
fn modules_do_not_depend_on_each_other_in_a_circle() {
    let domain = dependencies(&sources("domain"));
    assert!(
        domain
            .get("units::service")
            .is_some_and(|d| d.contains("write")),
        "the dependency reader missed a known edge"
    );
    for krate in CRATES {
        let found = cycles(&dependencies(&sources(krate)));
        assert!(
            found.is_empty(),
            "module cycles in {krate}: {}",
            found
                .iter()
                .map(|c| c.join(" <-> "))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
}

#[test]
fn the_checks_catch_what_they_guard_against() {
    let resolver_opening_a_transaction = vec![(
        "units/resolvers.rs".to_owned(),
        concat!("let tx = orgdesign_domain::db::begin", "_write(db).await?;").to_owned(),
    )];
    assert_eq!(
        violations("graphql", &resolver_opening_a_transaction).len(),
        1
    );
    let service_beginning_by_itself = vec![(
        "units/service.rs".to_owned(),
        concat!("let tx = store.db.be", "gin().await?;").to_owned(),
    )];
    assert_eq!(violations("domain", &service_beginning_by_itself).len(), 1);
    let service_skipping_the_protocol = vec![(
        "units/service.rs".to_owned(),
        concat!(
            "let tx = db::begin",
            "_write(&store.writes, Some(org)).await?;"
        )
        .to_owned(),
    )];
    assert_eq!(
        violations("domain", &service_skipping_the_protocol).len(),
        1
    );
    let the_protocol_through_the_gate = vec![(
        "write.rs".to_owned(),
        concat!(
            "let tx = db::begin",
            "_write(&store.writes, Some(org)).await?;"
        )
        .to_owned(),
    )];
    assert!(violations("domain", &the_protocol_through_the_gate).is_empty());
    let handler_writing_a_row = vec![(
        "rest/kpis.rs".to_owned(),
        "entity::kpi_target::ActiveModel { ..Default::default() }.insert(db).await?;".to_owned(),
    )];
    assert_eq!(violations("api", &handler_writing_a_row).len(), 1);
    let handler_filling_a_map = vec![(
        "rest/kpis.rs".to_owned(),
        "keys.insert(row.id, row.key); seen.insert(id);".to_owned(),
    )];
    assert!(violations("api", &handler_filling_a_map).is_empty());

    let lock = r#"
[[package]]
name = "orgdesign-domain"
dependencies = [
 "entity",
 "sea-orm",
]

[[package]]
name = "sea-orm"
dependencies = [
 "hyper 1.0.0",
]
"#;
    assert_eq!(
        graph_violations(&locked_packages(lock)),
        vec!["orgdesign-domain reaches hyper: the domain knows nothing of GraphQL or HTTP"],
        "a forbidden crate reached through another is found"
    );

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

/// The modules `lib` declares (`mod x;`, `pub mod x;`, under any attribute).
fn declared_modules(lib: &str) -> Vec<String> {
    lib.lines()
        .map(str::trim)
        .filter_map(|line| {
            let line = line.strip_prefix("pub ").unwrap_or(line);
            let name = line.strip_prefix("mod ")?.strip_suffix(';')?;
            Some(name.trim().to_owned())
        })
        .collect()
}

/// The "# Layout" section of `lib`'s crate documentation.
fn layout_section(lib: &str) -> String {
    let doc: Vec<&str> = lib
        .lines()
        .take_while(|line| line.starts_with("//!"))
        .map(|line| line.trim_start_matches("//!"))
        .collect();
    doc.iter()
        .skip_while(|line| line.trim() != "# Layout")
        .copied()
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules of `lib` its layout does not name (as `` `x` `` or `` [`x`] ``).
fn unnamed_modules(lib: &str) -> Vec<String> {
    let layout = layout_section(lib);
    declared_modules(lib)
        .into_iter()
        .filter(|module| !layout.contains(&format!("`{module}`")))
        .collect()
}

#[test]
fn every_crates_layout_names_every_module() {
    for krate in ["domain", "graphql", "api", "entity", "migration"] {
        let lib =
            fs::read_to_string(workspace().join(krate).join("src/lib.rs")).unwrap_or_default();
        assert!(
            declared_modules(&lib).len() >= 5,
            "the modules of {krate}/src/lib.rs were not read"
        );
        assert!(
            !layout_section(&lib).is_empty(),
            "{krate}/src/lib.rs has no \"# Layout\" in its crate documentation"
        );
        let missing = unnamed_modules(&lib);
        assert!(
            missing.is_empty(),
            "{krate}/src/lib.rs: the layout does not name {missing:?}"
        );
    }
    let lib = "//! # Layout\n//!\n//! - [`a`]: the first.\npub mod a;\n#[cfg(test)]\nmod b;\n";
    assert_eq!(unnamed_modules(lib), vec!["b".to_owned()]);
}
