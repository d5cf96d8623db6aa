//! The examples of `README.md` and `docs/*.md`, run against a demo-loaded server, so a
//! document that drifts from the server fails here.
//!
//! Every fenced code block of those files is read at test time, in document order, and
//! is one of three things:
//!
//! - **an example, run**: a ` ```graphql ` document is posted to `/graphql` with an
//!   admin token; a ` ```sh ` block runs in `bash -e -o pipefail` (its `curl` against
//!   the test server, its `orgdesign` commands as the built binary, on the server's
//!   database). It fails when the command fails, or when the answer (GraphQL's, or a
//!   command's standard output that is JSON) holds `errors` its expected response does
//!   not show.
//! - **attached to the example before it**, as the HTML comment right before its fence
//!   says: `<!-- example: variables -->` (a ` ```json ` block: the GraphQL variables),
//!   `<!-- example: response -->` (a ` ```json ` block: the answer, compared key by key
//!   for the keys it shows, arrays element by element, an array ending in `"…"` for
//!   those first elements and any after them; `<!-- example: response exact -->`
//!   allows no other keys), `<!-- example: output -->` (a ` ```text ` block: standard
//!   output, line by line). In an expected value `…` stands for any text (an id, a time).
//! - **not run**, with its reason beside it: `<!-- example: not run — <reason> -->`
//!   (the reason is the rest of the comment)
//!   (a schema excerpt, a configuration file, a command that needs Docker or starts a
//!   server of its own). A block of another language without such a mark fails.
//!
//! Placeholders, substituted before a block runs:
//!
//! - `http://127.0.0.1:8080` is the test server's address; `$TOKEN` (and `eyJ...` where a
//!   token is written out) an admin token;
//! - `cargo run --release --`, `cargo run -q --` and `cargo run --` run the built
//!   `orgdesign` binary, with `DATABASE_URL` set to the server's database and the
//!   server's JWT secret in `ORGDESIGN_JWT_SECRET`;
//! - `<name>` (lower-case words joined by dashes) is a value an earlier example of
//!   the same file captured: `<!-- example: capture org-id = data.createOrganization.id -->`
//!   before a fence stores that value of its answer (a path of keys, `[2]` indexes and
//!   `[name=Pumps sales]` finds). Several directives in one comment are separated by `;`.
//!
//! Each file starts with no captures and a working directory of its own (files a
//! block writes, such as `northwind.csv`, are there for the blocks after it). The test
//! prints `docs examples: N found, R run, P passed, A attached, S not run` and each
//! reason. `docs/getting-started.md` is a walk of such examples from an empty
//! organization to a promoted scenario.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    path::{Path, PathBuf},
    process::Command,
};

use serde_json::{Value, json};

use crate::helpers::{Backend, TEST_SECRET, TestApp, require_postgres, spawn_app};

/// The documents whose examples are run: the README, then `docs/*.md` by name.
fn documents() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    let mut all = vec![root.join("README.md")];
    all.extend(docs);
    all
}

/// What the comment before a fence says about its block.
#[derive(Debug, Clone, PartialEq)]
enum Directive {
    NotRun(String),
    Variables,
    Response { exact: bool },
    Output,
    Capture { name: String, path: String },
}

/// One fenced code block of a document.
#[derive(Debug)]
struct Block {
    /// `file:line` of its opening fence.
    place: String,
    language: String,
    body: String,
    directives: Vec<Directive>,
}

/// Parses the directives of `<!-- example: … -->`, or says why it cannot.
fn directives(comment: &str) -> Result<Vec<Directive>, String> {
    let inner = comment
        .trim()
        .strip_prefix("<!-- example:")
        .and_then(|rest| rest.strip_suffix("-->"))
        .ok_or_else(|| format!("not an example comment: {comment}"))?;
    // A reason is free text, `;` included: `not run` takes the rest of the comment.
    if let Some(reason) = inner.trim().strip_prefix("not run") {
        let reason = reason.trim_start_matches([' ', '—', '-', ':']).trim();
        if reason.is_empty() {
            return Err(format!("`not run` without a reason: {comment}"));
        }
        return Ok(vec![Directive::NotRun(reason.to_owned())]);
    }
    inner
        .split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|directive| {
            if let Some(capture) = directive.strip_prefix("capture ") {
                let (name, path) = capture
                    .split_once('=')
                    .ok_or_else(|| format!("`capture NAME = PATH` expected: {directive}"))?;
                return Ok(Directive::Capture {
                    name: name.trim().to_owned(),
                    path: path.trim().to_owned(),
                });
            }
            match directive {
                "variables" => Ok(Directive::Variables),
                "response" => Ok(Directive::Response { exact: false }),
                "response exact" => Ok(Directive::Response { exact: true }),
                "output" => Ok(Directive::Output),
                other => Err(format!("unknown example directive `{other}` in {comment}")),
            }
        })
        .collect()
}

/// The fenced blocks of `text` (from `file`), each with the directives of the example
/// comment on the last non-blank line before its fence.
fn blocks(file: &str, text: &str) -> Result<Vec<Block>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut previous: Option<&str> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            let indent = line.len() - trimmed.len();
            let start = i;
            let mut body = Vec::new();
            i += 1;
            while i < lines.len() && lines[i].trim() != "```" {
                let content = lines[i];
                let cut = content.len() - content.trim_start().len();
                body.push(&content[cut.min(indent)..]);
                i += 1;
            }
            if i == lines.len() {
                return Err(format!(
                    "{file}:{}: a fence that is never closed",
                    start + 1
                ));
            }
            let directives = match previous.map(str::trim) {
                Some(comment) if comment.starts_with("<!-- example:") => {
                    directives(comment).map_err(|err| format!("{file}:{}: {err}", start + 1))?
                }
                _ => Vec::new(),
            };
            found.push(Block {
                place: format!("{file}:{}", start + 1),
                language: info.trim().to_owned(),
                body: body.join("\n") + "\n",
                directives,
            });
            previous = None;
        } else if !line.trim().is_empty() {
            previous = Some(line);
        }
        i += 1;
    }
    Ok(found)
}

/// The value at `path` in `value`: keys separated by `.`, `[2]` for an index and
/// `[name=Pumps sales]` for the first element whose `name` is that string.
fn at_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let mut current = value;
    let mut rest = path;
    while !rest.is_empty() {
        rest = rest.strip_prefix('.').unwrap_or(rest);
        if let Some(inner) = rest.strip_prefix('[') {
            let (selector, after) = inner.split_once(']')?;
            current = match selector.split_once('=') {
                Some((key, wanted)) => current
                    .as_array()?
                    .iter()
                    .find(|item| item[key].as_str() == Some(wanted))?,
                None => current.get(selector.parse::<usize>().ok()?)?,
            };
            rest = after;
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            current = current.get(&rest[..end])?;
            rest = &rest[end..];
        }
    }
    Some(current)
}

/// Whether `actual` is what `expected` shows: every key shown (all keys when `exact`),
/// arrays of the same length element by element, `…` in a string for any text.
fn matches(expected: &Value, actual: &Value, exact: bool) -> bool {
    match (expected, actual) {
        (Value::Object(want), Value::Object(have)) => {
            (!exact || want.len() == have.len())
                && want
                    .iter()
                    .all(|(k, v)| have.get(k).is_some_and(|a| matches(v, a, exact)))
        }
        (Value::Array(want), Value::Array(have)) => match want.split_last() {
            // `[first, "…"]`: these first elements, and any number after them.
            Some((Value::String(last), shown)) if last == "…" => {
                have.len() >= shown.len()
                    && shown.iter().zip(have).all(|(w, h)| matches(w, h, exact))
            }
            _ => {
                want.len() == have.len() && want.iter().zip(have).all(|(w, h)| matches(w, h, exact))
            }
        },
        (Value::String(want), Value::String(have)) => text_matches(want, have),
        _ => expected == actual,
    }
}

/// Whether `actual` is `expected`, each `…` in it standing for any text.
fn text_matches(expected: &str, actual: &str) -> bool {
    let mut parts = expected.split('…');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = actual.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// Whether standard output `actual` is `expected`, line by line, `…` for any text.
fn output_matches(expected: &str, actual: &str) -> bool {
    let want: Vec<&str> = expected.trim_end().lines().collect();
    let have: Vec<&str> = actual.trim_end().lines().collect();
    want.len() == have.len()
        && want
            .iter()
            .zip(&have)
            .all(|(w, h)| text_matches(w.trim_end(), h.trim_end()))
}

/// Replaces every `<name>` placeholder (lower-case words joined by dashes) of
/// `text` with its captured value, or names the first one nothing captured.
fn substitute(text: &str, captured: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        // Two words at least, so HTML in an answer (`<b>`, `<svg`) is left alone.
        let is_placeholder = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name.contains('-')
            && after[name_len..].starts_with('>');
        if is_placeholder {
            let value = captured.get(name).ok_or_else(|| {
                format!("<{name}> is not captured by an earlier example of this file")
            })?;
            out.push_str(value);
            rest = &after[name_len + 1..];
        } else {
            out.push('<');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// An example with the blocks attached to it.
struct Example<'a> {
    block: &'a Block,
    variables: Option<&'a Block>,
    response: Option<(&'a Block, bool)>,
    output: Option<&'a Block>,
}

/// What running the examples of every document gave.
#[derive(Default)]
struct Tally {
    found: usize,
    run: usize,
    passed: usize,
    attached: usize,
    not_run: Vec<(String, String)>,
    failures: Vec<String>,
}

/// Runs every example of every document against `app` (demo loaded), on `backend`.
async fn run_all(app: &TestApp) -> Tally {
    let mut tally = Tally::default();
    for path in documents() {
        let name = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap()
            .display()
            .to_string()
            .trim_start_matches('/')
            .to_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let blocks = match blocks(&name, &text) {
            Ok(blocks) => blocks,
            Err(err) => {
                tally.failures.push(err);
                continue;
            }
        };
        tally.found += blocks.len();
        let mut examples: Vec<Example> = Vec::new();
        for block in &blocks {
            let not_run = block.directives.iter().find_map(|d| match d {
                Directive::NotRun(reason) => Some(reason.clone()),
                _ => None,
            });
            let role = block.directives.iter().find(|d| {
                matches!(
                    d,
                    Directive::Variables | Directive::Response { .. } | Directive::Output
                )
            });
            if let Some(reason) = not_run {
                tally.not_run.push((block.place.clone(), reason));
                continue;
            }
            if let Some(role) = role {
                tally.attached += 1;
                let Some(example) = examples.last_mut() else {
                    tally
                        .failures
                        .push(format!("{}: attached to no example before it", block.place));
                    continue;
                };
                match role {
                    Directive::Variables => example.variables = Some(block),
                    Directive::Response { exact } => example.response = Some((block, *exact)),
                    _ => example.output = Some(block),
                }
                continue;
            }
            if block.language == "graphql" || block.language == "sh" {
                examples.push(Example {
                    block,
                    variables: None,
                    response: None,
                    output: None,
                });
            } else {
                tally.failures.push(format!(
                    "{}: a ```{} block that is neither run nor marked: mark it \
                     `<!-- example: not run — <reason> -->`, or attach it as variables, \
                     response or output",
                    block.place, block.language
                ));
            }
        }
        let work_dir =
            std::env::temp_dir().join(format!("orgdesign-docs-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&work_dir).unwrap();
        let mut captured = BTreeMap::new();
        for example in &examples {
            tally.run += 1;
            match run_one(app, example, &work_dir, &mut captured).await {
                Ok(()) => tally.passed += 1,
                Err(err) => tally
                    .failures
                    .push(format!("{}: {err}", example.block.place)),
            }
        }
        std::fs::remove_dir_all(&work_dir).ok();
    }
    tally
}

/// Runs one example, checks what is attached to it and stores its captures.
async fn run_one(
    app: &TestApp,
    example: &Example<'_>,
    work_dir: &Path,
    captured: &mut BTreeMap<String, String>,
) -> Result<(), String> {
    let block = example.block;
    let body = substitute(&block.body, captured)?;
    let (answer, stdout) = if block.language == "graphql" {
        let variables = match example.variables {
            Some(vars) => serde_json::from_str::<Value>(&substitute(&vars.body, captured)?)
                .map_err(|err| format!("its variables ({}) are not JSON: {err}", vars.place))?,
            None => Value::Null,
        };
        let answer = app.graphql(&body, variables).await;
        let text = answer.to_string();
        (Some(answer), text)
    } else {
        let stdout = run_shell(app, &body, work_dir).await?;
        (serde_json::from_str::<Value>(stdout.trim()).ok(), stdout)
    };
    let expected = match example.response {
        Some((response, exact)) => {
            let want = serde_json::from_str::<Value>(&substitute(&response.body, captured)?)
                .map_err(|err| format!("its response ({}) is not JSON: {err}", response.place))?;
            Some((want, exact))
        }
        None => None,
    };
    let errors_expected = expected
        .as_ref()
        .is_some_and(|(want, _)| want.get("errors").is_some());
    if let Some(answer) = &answer
        && answer.get("errors").is_some()
        && !errors_expected
    {
        return Err(format!("answered errors: {answer}"));
    }
    if let Some((want, exact)) = &expected {
        let Some(answer) = &answer else {
            return Err(format!("answered no JSON, expected {want}: {stdout}"));
        };
        if !matches(want, answer, *exact) {
            return Err(format!(
                "answered\n{answer:#}\nnot the response the doc shows\n{want:#}"
            ));
        }
    }
    if let Some(output) = example.output {
        let want = substitute(&output.body, captured)?;
        if !output_matches(&want, &stdout) {
            return Err(format!(
                "printed\n{stdout}\nnot the output the doc shows ({})\n{want}",
                output.place
            ));
        }
    }
    for directive in &block.directives {
        if let Directive::Capture { name, path } = directive {
            let value = answer
                .as_ref()
                .and_then(|a| at_path(a, path))
                .ok_or_else(|| format!("nothing at {path} to capture as <{name}>: {stdout}"))?;
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            captured.insert(name.clone(), text);
        }
    }
    Ok(())
}

/// How long one `sh` block may run, in `timeout`'s terms.
const SHELL_DEADLINE: &str = "60";

/// Runs a `sh` block in `bash` with the placeholders of the test server, and returns
/// its standard output, or why it failed.
async fn run_shell(app: &TestApp, script: &str, work_dir: &Path) -> Result<String, String> {
    let binary = Path::new(env!("CARGO_BIN_EXE_orgdesign"));
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = script
        .replace("http://127.0.0.1:8080", &app.address)
        .replace("eyJ...", &app.admin_token)
        .replace("cargo run --release -- ", "orgdesign ")
        .replace("cargo run -q -- ", "orgdesign ")
        .replace("cargo run -- ", "orgdesign ");
    // A block that would not end (a server, say) is a failure, not a hung test.
    let mut command = Command::new("timeout");
    command
        .args([
            SHELL_DEADLINE,
            "bash",
            "-e",
            "-o",
            "pipefail",
            "-c",
            &script,
        ])
        .current_dir(work_dir)
        .env("PATH", path)
        .env("TOKEN", &app.admin_token)
        .env("DATABASE_URL", &app.database_url)
        .env("ORGDESIGN_JWT_SECRET", TEST_SECRET)
        .env("RUST_LOG", "warn");
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .map_err(|err| format!("bash did not start: {err}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(format!(
            "{}; stdout:\n{stdout}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(stdout)
}

/// Starts a server on `backend`, loads the demo, runs every example and reports.
async fn every_example_runs_on(backend: Backend) {
    let app = spawn_app(backend).await;
    app.load_demo().await;
    let tally = run_all(&app).await;
    let mut summary = format!(
        "docs examples on {backend:?}: {} found, {} run, {} passed, {} attached to them, {} not run",
        tally.found,
        tally.run,
        tally.passed,
        tally.attached,
        tally.not_run.len()
    );
    for (place, reason) in &tally.not_run {
        write!(summary, "\n  not run: {place}: {reason}").unwrap();
    }
    println!("{summary}");
    assert!(
        tally.failures.is_empty(),
        "{} of the docs' examples failed:\n\n{}",
        tally.failures.len(),
        tally.failures.join("\n\n")
    );
    assert_eq!(tally.run, tally.passed);
    assert_eq!(
        tally.found,
        tally.run + tally.attached + tally.not_run.len(),
        "every block is run, attached or not run"
    );
}

#[tokio::test]
async fn every_example_in_the_docs_runs_on_sqlite() {
    every_example_runs_on(Backend::Sqlite).await;
}

#[tokio::test]
#[cfg_attr(not(test_postgres), ignore = "needs ORGDESIGN_TEST_POSTGRES_URL")]
async fn every_example_in_the_docs_runs_on_postgresql() {
    require_postgres("the docs' examples run on PostgreSQL too");
    every_example_runs_on(Backend::Postgres).await;
}

#[test]
fn expected_values_match_key_by_key_with_ellipses_for_any_text() {
    let want = json!({ "data": { "id": "…", "n": 3, "list": [{ "a": "x…z" }] } });
    let have =
        json!({ "data": { "id": "01a2", "n": 3, "extra": 1, "list": [{ "a": "xyz", "b": 2 }] } });
    assert!(matches(&want, &have, false));
    assert!(!matches(&want, &have, true));
    assert!(!matches(&json!({ "n": 4 }), &json!({ "n": 3 }), false));
    assert!(text_matches("a…c…e", "abcde"));
    assert!(!text_matches("a…c", "abcd"));
    assert_eq!(
        at_path(
            &json!({ "u": [{ "name": "A", "id": 1 }, { "name": "B c", "id": 2 }] }),
            "u[name=B c].id"
        ),
        Some(&json!(2))
    );
    let captured = BTreeMap::from([("org-id".to_owned(), "42".to_owned())]);
    assert_eq!(
        substitute("<<'CSV' \"<org-id>\" <x y>", &captured).unwrap(),
        "<<'CSV' \"42\" <x y>"
    );
    assert!(substitute("<unit-id>", &captured).is_err());
    assert_eq!(substitute("<b>x</b>", &captured).unwrap(), "<b>x</b>");
}
