//! GraphiQL at `/graphiql`: by default the page loads the files the manifest pins from
//! the CDN, each with its integrity value, under a Content-Security-Policy that names
//! those addresses and no other; in offline mode the server serves them itself from a
//! folder `refresh.sh` filled, refusing to start on a missing or altered file, and the
//! page names this origin only. Never a token in the page. In headless Chromium, both
//! ways: the page renders, loads the schema once a token is pasted, and runs a query
//! (and, offline, a subscription) through GraphiQL's own fetcher.
//!
//! Offline mode needs the real files: `TEST_GRAPHIQL_ASSETS_DIR` names the folder
//! (`.ci/run` fills it with `api/assets/graphiql/refresh.sh`). Without it those tests
//! are compiled as ignored (see `build.rs`) and reported as skipped.
//!
//! The page and its fetcher do not depend on the database, so these tests run on
//! SQLite only; subscriptions on PostgreSQL are `subscriptions.rs`'s.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};

use base64::{Engine as _, engine::general_purpose::STANDARD as BASE64};
use orgdesign_api::{
    http::graphiql::{self, Pinned},
    startup::Application,
};
use orgdesign_domain::settings::Settings;
use reqwest::{
    StatusCode,
    header::{
        CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
        X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
    },
};
use serde_json::json;
use sha2::{Digest, Sha256, Sha384};
use uuid::Uuid;

use crate::{
    browser::{Browser, StandIn},
    helpers::{Backend, ServerProcess, TestApp, fresh_database, spawn_app, spawn_app_with},
};

/// The folder of GraphiQL's files for offline mode (`TEST_GRAPHIQL_ASSETS_DIR`); fails
/// without it. Tests that need it are compiled as ignored where `build.rs` found no such
/// folder (`cfg(test_graphiql_assets)`), so they are reported as skipped there.
pub fn assets_folder(needed_for: &str) -> PathBuf {
    std::env::var_os("TEST_GRAPHIQL_ASSETS_DIR")
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .filter(|folder| folder.is_dir())
        .unwrap_or_else(|| {
            panic!(
                "TEST_GRAPHIQL_ASSETS_DIR names no folder of GraphiQL's files ({needed_for}); \
                 fill one with api/assets/graphiql/refresh.sh and export it"
            )
        })
}

/// The application in GraphiQL's offline mode, serving the files of `folder`.
async fn spawn_offline(folder: &Path) -> TestApp {
    spawn_app_with(Backend::Sqlite, |settings| {
        settings.graphiql.assets_dir = Some(folder.to_owned());
    })
    .await
}

fn pins() -> Vec<Pinned> {
    graphiql::manifest().unwrap()
}

/// A fresh, empty temporary folder.
fn temp_folder(what: &str) -> PathBuf {
    let folder = std::env::temp_dir().join(format!("orgdesign-{what}-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

/// The directives of a Content-Security-Policy, each with its sources.
fn directives(policy: &str) -> BTreeMap<String, Vec<String>> {
    policy
        .split(';')
        .filter_map(|directive| {
            let mut words = directive.split_whitespace();
            let name = words.next()?.to_owned();
            Some((name, words.map(str::to_owned).collect()))
        })
        .collect()
}

/// Every `src` and `href` of a page.
fn addresses(html: &str) -> Vec<String> {
    ["src=\"", "href=\""]
        .iter()
        .flat_map(|attribute| {
            html.split(attribute)
                .skip(1)
                .filter_map(|rest| rest.split('"').next())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The tag of `html` whose `src` or `href` is `address`.
fn tag_of<'a>(html: &'a str, address: &str) -> &'a str {
    html.split('<')
        .find(|tag| tag.contains(&format!("=\"{address}\"")))
        .unwrap_or_else(|| panic!("no tag names {address} in\n{html}"))
}

/// The page, its Content-Security-Policy parsed, and the nonce in it.
async fn fetch_page(app: &TestApp) -> (String, BTreeMap<String, Vec<String>>, String) {
    let response = app.get_anonymous("/graphiql").await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers[CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(headers[CACHE_CONTROL], "no-store");
    assert_eq!(headers[X_FRAME_OPTIONS], "DENY");
    assert_eq!(headers[X_CONTENT_TYPE_OPTIONS], "nosniff");
    let page = response.text().await.unwrap();
    let policy = directives(headers[CONTENT_SECURITY_POLICY].to_str().unwrap());
    let nonce = page
        .split("nonce=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the bootstrap script carries the style nonce")
        .to_owned();
    (page, policy, nonce)
}

/// What both modes' policies share: nothing but this origin for connections, no
/// framing, nothing unsafe, and a fresh nonce for styles.
fn assert_common_policy(app: &TestApp, policy: &BTreeMap<String, Vec<String>>) {
    let host = app.address.trim_start_matches("http://");
    assert_eq!(policy["default-src"], ["'none'"]);
    assert_eq!(policy["img-src"], ["'self'", "data:"]);
    assert_eq!(policy["font-src"], ["'self'", "data:"]);
    assert_eq!(
        policy["connect-src"],
        ["'self'", &format!("ws://{host}"), &format!("wss://{host}")]
    );
    assert_eq!(policy["frame-ancestors"], ["'none'"]);
    assert_eq!(policy["base-uri"], ["'none'"]);
    assert!(
        policy
            .values()
            .flatten()
            .all(|source| !source.contains("unsafe") && source != "*"),
        "{policy:?}"
    );
}

#[tokio::test]
async fn by_default_the_page_loads_the_pinned_files_from_the_cdn_with_integrity() {
    let app = spawn_app(Backend::Sqlite).await;
    let (page, policy, nonce) = fetch_page(&app).await;

    // Each pinned file at its exact-version address, with its integrity value.
    let pins = pins();
    assert!(
        page.contains(
            "src=\"https://cdn.jsdelivr.net/npm/graphiql@4.1.2/graphiql.min.js\" \
             integrity=\"sha384-"
        ),
        "{page}"
    );
    for pin in &pins {
        let tag = tag_of(&page, &pin.cdn_url());
        assert!(
            tag.contains(&format!("integrity=\"{}\"", pin.integrity))
                && tag.contains("crossorigin=\"anonymous\""),
            "{tag}"
        );
    }
    // Everything else is orgdesign's own, from this origin.
    let own: Vec<String> = addresses(&page)
        .into_iter()
        .filter(|address| {
            !address.starts_with("https://cdn.jsdelivr.net/npm/") && address != "data:,"
        })
        .collect();
    assert_eq!(own.len(), 2, "start.js and page.css: {own:?}");
    assert!(
        own.iter()
            .all(|address| address.starts_with("graphiql/assets/"))
    );
    assert!(!page.contains("<script>"), "no inline script:\n{page}");

    // The policy names those addresses on the CDN and no other origin besides 'self'.
    assert_common_policy(&app, &policy);
    let on_cdn = |kind: &str| -> Vec<String> {
        pins.iter()
            .filter(|pin| pin.file.ends_with(kind))
            .map(Pinned::cdn_url)
            .collect()
    };
    let mut script_src = vec!["'self'".to_owned()];
    script_src.extend(on_cdn(".js"));
    assert_eq!(policy["script-src"], script_src);
    let mut style_src = vec!["'self'".to_owned(), format!("'nonce-{nonce}'")];
    style_src.extend(on_cdn(".css"));
    assert_eq!(policy["style-src"], style_src);
    for (directive, sources) in &policy {
        for source in sources.iter().filter(|source| source.contains("://")) {
            assert!(
                source.starts_with("https://cdn.jsdelivr.net/") || directive == "connect-src",
                "{directive} names another origin: {source}"
            );
        }
    }

    // The server serves its own two files, not the pinned ones.
    for address in &own {
        let response = app
            .anonymous
            .get(format!("{}/{address}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{address}");
    }
    for pin in &pins {
        let address = format!("graphiql/assets/{}/{}", &pin.sha256[..16], pin.file);
        let response = app
            .anonymous
            .get(format!("{}/{address}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{address}");
    }
}

#[cfg_attr(
    not(test_graphiql_assets),
    ignore = "needs GraphiQL's files: api/assets/graphiql/refresh.sh, then TEST_GRAPHIQL_ASSETS_DIR"
)]
#[tokio::test]
async fn offline_the_page_names_only_this_origin_under_a_strict_policy() {
    let folder = assets_folder("offline mode is not tried");
    let app = spawn_offline(&folder).await;
    let (page, policy, nonce) = fetch_page(&app).await;

    assert_common_policy(&app, &policy);
    assert_eq!(
        policy["script-src"],
        ["'self'"],
        "no inline or foreign script"
    );
    assert_eq!(policy["style-src"], ["'self'", &format!("'nonce-{nonce}'")]);
    let (again, _, _) = fetch_page(&app).await;
    assert!(!again.contains(&nonce), "a fresh nonce per response");

    assert!(!page.contains("<script>"), "no inline script:\n{page}");
    let files: Vec<String> = addresses(&page)
        .into_iter()
        .filter(|address| address != "data:,")
        .collect();
    assert_eq!(files.len(), 6, "{files:?}");
    for file in &files {
        assert!(
            file.starts_with("graphiql/assets/") && !file.contains("//"),
            "{file} is not served by orgdesign"
        );
    }
    for pin in pins() {
        let address = format!("graphiql/assets/{}/{}", &pin.sha256[..16], pin.file);
        let tag = tag_of(&page, &address);
        assert!(
            tag.contains(&format!("integrity=\"{}\"", pin.integrity)),
            "{tag}"
        );
    }
}

#[cfg_attr(
    not(test_graphiql_assets),
    ignore = "needs GraphiQL's files: api/assets/graphiql/refresh.sh, then TEST_GRAPHIQL_ASSETS_DIR"
)]
#[tokio::test]
async fn offline_the_files_are_cached_for_a_year_by_their_hash_and_revalidate_with_etags() {
    let folder = assets_folder("offline mode is not tried");
    let app = spawn_offline(&folder).await;
    let (page, _, _) = fetch_page(&app).await;
    for file in addresses(&page)
        .into_iter()
        .filter(|address| address.starts_with("graphiql/"))
    {
        let url = format!("{}/{file}", app.address);
        let response = app.anonymous.get(&url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{file}");
        let headers = response.headers().clone();
        let expected_type = match file.rsplit('.').next() {
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            other => panic!("{file}: an unexpected kind of file {other:?}"),
        };
        assert_eq!(headers[CONTENT_TYPE], expected_type, "{file}");
        assert_eq!(
            headers[CACHE_CONTROL], "public, max-age=31536000, immutable",
            "{file}"
        );
        assert_eq!(headers[X_CONTENT_TYPE_OPTIONS], "nosniff");
        let hash = file.split('/').nth(2).unwrap();
        assert_eq!(headers[ETAG], format!("\"{hash}\""), "{file}");
        let body = response.bytes().await.unwrap();
        let name = file.rsplit('/').next().unwrap();
        match std::fs::read(folder.join(name)) {
            Ok(original) => assert!(body == original, "{file}: the folder's bytes, unchanged"),
            Err(_) => assert!(!body.is_empty(), "{file}"),
        }

        let revalidated = app
            .anonymous
            .get(&url)
            .header(IF_NONE_MATCH, headers[ETAG].clone())
            .send()
            .await
            .unwrap();
        assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED, "{file}");
        assert!(revalidated.bytes().await.unwrap().is_empty());

        let stale = url.replace(hash, "0123456789abcdef");
        let response = app.anonymous.get(&stale).send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::NOT_FOUND,
            "an old hash is not served new content"
        );
    }
}

#[cfg_attr(
    not(test_graphiql_assets),
    ignore = "needs GraphiQL's files: api/assets/graphiql/refresh.sh, then TEST_GRAPHIQL_ASSETS_DIR"
)]
#[tokio::test]
async fn the_manifest_pins_the_hashes_of_the_files_refresh_sh_fetched() {
    let folder = assets_folder("the manifest's hashes are not checked");
    for pin in pins() {
        let bytes = std::fs::read(folder.join(&pin.file)).unwrap();
        let sha256: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(sha256, pin.sha256, "{}", pin.file);
        let integrity = format!("sha384-{}", BASE64.encode(Sha384::digest(&bytes)));
        assert_eq!(integrity, pin.integrity, "{}", pin.file);
    }
}

#[tokio::test]
async fn offline_mode_refuses_to_start_without_a_file_and_names_it() {
    let (url, dir) = fresh_database(Backend::Sqlite).await;
    let empty = temp_folder("graphiql-empty");
    let mut child = Command::new(env!("CARGO_BIN_EXE_orgdesign"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", &url)
        .env("ORGDESIGN_GRAPHIQL__ASSETS_DIR", &empty)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().ok();
            panic!("the server started without GraphiQL's files");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "{stderr}");
    let missing = empty.join("react.production.min.js");
    assert!(
        stderr.contains(&format!(
            "{} ([graphiql] assets_dir) cannot be read",
            missing.display()
        )) && stderr.contains("refresh.sh"),
        "{stderr}"
    );
    std::fs::remove_dir_all(empty).ok();
    if let Some(dir) = dir {
        std::fs::remove_dir_all(dir).ok();
    }
}

#[cfg_attr(
    not(test_graphiql_assets),
    ignore = "needs GraphiQL's files: api/assets/graphiql/refresh.sh, then TEST_GRAPHIQL_ASSETS_DIR"
)]
#[tokio::test]
async fn offline_mode_refuses_to_start_with_a_file_other_than_the_pinned_one() {
    let folder = assets_folder("offline mode's checks are not tried");
    let copy = temp_folder("graphiql-tampered");
    for pin in pins() {
        std::fs::copy(folder.join(&pin.file), copy.join(&pin.file)).unwrap();
    }
    let start = |folder: &Path| {
        let folder = folder.to_owned();
        async move {
            let (url, dir) = fresh_database(Backend::Sqlite).await;
            let mut settings = Settings::for_database(&url);
            settings.graphiql.assets_dir = Some(folder);
            let started = Application::build(settings).await;
            if let Some(dir) = dir {
                std::fs::remove_dir_all(dir).ok();
            }
            started
        }
    };

    // One byte more in the stylesheet.
    let stylesheet = copy.join("graphiql.min.css");
    let mut bytes = std::fs::read(&stylesheet).unwrap();
    bytes.push(b'\n');
    std::fs::write(&stylesheet, bytes).unwrap();
    let Err(error) = start(&copy).await else {
        panic!("the server started with an altered graphiql.min.css");
    };
    let message = format!("{error:#}");
    assert!(
        message.contains(&format!(
            "{} ([graphiql] assets_dir) is not graphiql@4.1.2's graphiql.min.css",
            stylesheet.display()
        )) && message.contains("the manifest pins 30487e07")
            && message.contains("refresh.sh"),
        "{message}"
    );

    // The stylesheet restored, and one script gone.
    std::fs::copy(folder.join("graphiql.min.css"), &stylesheet).unwrap();
    let script = copy.join("react-dom.production.min.js");
    std::fs::remove_file(&script).unwrap();
    let Err(error) = start(&copy).await else {
        panic!("the server started without react-dom.production.min.js");
    };
    let message = format!("{error:#}");
    assert!(
        message.contains(&format!(
            "{} ([graphiql] assets_dir) cannot be read",
            script.display()
        )),
        "{message}"
    );

    // All four as pinned: it starts.
    std::fs::copy(folder.join("react-dom.production.min.js"), &script).unwrap();
    let started = start(&copy).await;
    assert!(started.is_ok(), "{:#}", started.err().unwrap());
    std::fs::remove_dir_all(copy).ok();
}

#[tokio::test]
async fn a_development_server_prints_its_token_and_never_puts_it_in_the_page() {
    let (url, dir) = fresh_database(Backend::Sqlite).await;
    let server = ServerProcess::start_development(&url);
    let token = server
        .printed_token()
        .expect("a development server prints an admin token at start");

    let page = reqwest::get(format!("{}/graphiql", server.address))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains(&token), "the page holds no token");
    assert!(!page.contains("Bearer"), "{page}");
    let start = page
        .split("src=\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|address| address.ends_with("/start.js"))
        .expect("the page loads its bootstrap");
    let script = reqwest::get(format!("{}/{start}", server.address))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!script.contains(&token), "the bootstrap holds no token");

    let me = reqwest::Client::new()
        .post(format!("{}/graphql", server.address))
        .bearer_auth(&token)
        .json(&json!({ "query": "{ me { subject role } }" }))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(me["data"]["me"]["role"], "ADMIN", "{me}");
    drop(server);
    if let Some(dir) = dir {
        std::fs::remove_dir_all(dir).ok();
    }
}

/// The JavaScript for a GraphiQL editor, `query` or `response` (CodeMirror keeps
/// its editor on the element).
fn editor(which: &str) -> String {
    let selector = match which {
        "query" => ".graphiql-query-editor .CodeMirror",
        "response" => ".graphiql-response .CodeMirror",
        other => panic!("no editor {other}"),
    };
    format!("document.querySelector({selector:?}).CodeMirror")
}

/// JavaScript that puts `query` into GraphiQL's editor and runs it.
fn run(query: &str) -> String {
    format!(
        "{}.setValue({}); setTimeout(() => document.querySelector('.graphiql-execute-button').click(), 100)",
        editor("query"),
        serde_json::to_string(query).unwrap()
    )
}

const WITHIN: Duration = Duration::from_secs(20);

/// What an admin does first in GraphiQL, in `tab`: it renders and asks for a token;
/// with the admin's token pasted into its headers the docs list the root types, and a
/// query runs.
async fn render_paste_a_token_browse_the_docs_and_query(
    browser: &mut Browser,
    tab: &str,
    app: &TestApp,
) {
    browser
        .wait_until(
            tab,
            "GraphiQL to render",
            WITHIN,
            "!!document.querySelector('.graphiql-container .graphiql-execute-button')",
        )
        .await;
    let hint = browser
        .wait_until(
            tab,
            "the hint to paste a token",
            WITHIN,
            &format!("{}.getValue()", editor("response")),
        )
        .await;
    assert!(
        hint.as_str().unwrap().contains("Paste a bearer token"),
        "{hint}"
    );

    // A token pasted into the headers: the schema loads (the docs list the roots).
    let headers = json!({ "Authorization": format!("Bearer {}", app.admin_token) });
    let headers_editor = browser
        .eval(
            tab,
            "[...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')]\
             .findIndex(e => e.CodeMirror.getValue().includes('Authorization'))",
        )
        .await;
    let headers_editor = format!(
        "document.querySelectorAll('.graphiql-editor-tool .CodeMirror')[{headers_editor}].CodeMirror"
    );
    browser
        .eval(
            tab,
            &format!(
                "{headers_editor}.setValue({})",
                serde_json::to_string(&headers.to_string()).unwrap()
            ),
        )
        .await;
    browser
        .eval(
            tab,
            "document.querySelector('[aria-label=\"Show Documentation Explorer\"]').click()",
        )
        .await;
    let docs = browser
        .wait_until(
            tab,
            "the docs to list the root types",
            WITHIN,
            "(t => t.includes('subscription: Subscription') && t)\
             (document.querySelector('.graphiql-doc-explorer')?.innerText ?? '')",
        )
        .await;
    assert!(docs.as_str().unwrap().contains("query: Query"), "{docs}");

    // A query through GraphiQL's fetcher.
    browser.eval(tab, &run("{ me { subject role } }")).await;
    let answer = browser
        .wait_until(
            tab,
            "the query's answer",
            WITHIN,
            &format!(
                "(t => t.includes('\"role\"') && t)({}.getValue())",
                editor("response")
            ),
        )
        .await;
    let answer: serde_json::Value = serde_json::from_str(answer.as_str().unwrap()).unwrap();
    assert_eq!(
        answer["data"]["me"],
        json!({ "subject": "test-admin", "role": "ADMIN" })
    );
}

/// Fails the test when the page broke its policy or threw.
fn assert_clean_log(browser: &Browser) {
    let log = browser.log();
    assert!(
        !log.iter().any(|line| line.contains("Content Security Policy")
            || line.starts_with("[exception]")),
        "the page broke its policy or threw: {log:#?}"
    );
}

#[cfg_attr(
    not(all(test_browser, test_graphiql_assets)),
    ignore = "needs Chromium on the PATH (or TEST_CHROMIUM) and GraphiQL's files: api/assets/graphiql/refresh.sh, then TEST_GRAPHIQL_ASSETS_DIR"
)]
#[tokio::test]
async fn graphiql_in_chromium_offline_loads_the_schema_and_runs_a_query_and_a_subscription() {
    let chromium = Browser::find("GraphiQL is not tried in a browser");
    let folder = assets_folder("GraphiQL is not tried in a browser offline");
    let app = spawn_offline(&folder).await;
    let org = app.create_org("in-the-browser").await;
    let mut browser = Browser::launch(&chromium).await;
    let tab = browser.open(&format!("{}/graphiql", app.address)).await;

    render_paste_a_token_browse_the_docs_and_query(&mut browser, &tab, &app).await;

    // A subscription over the WebSocket: a unit made elsewhere shows up in the page.
    browser
        .eval(
            &tab,
            &run(&format!(
                "subscription {{ structureChanged(organizationId: \"{org}\") {{ operation }} }}"
            )),
        )
        .await;
    let mut heard = None;
    for attempt in 0..50 {
        // The page does not say when its subscription is registered: trigger until heard.
        app.create_unit(&org, &format!("Unit {attempt}"), "MARKETING")
            .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let response = browser
            .eval(&tab, &format!("{}.getValue()", editor("response")))
            .await;
        if response.as_str().unwrap().contains("createUnit") {
            heard = Some(response);
            break;
        }
    }
    let heard = heard.unwrap_or_else(|| {
        panic!(
            "the subscription heard no event; the page logged: {:#?}",
            browser.log()
        )
    });
    let event: serde_json::Value = serde_json::from_str(heard.as_str().unwrap()).unwrap();
    assert_eq!(event["data"]["structureChanged"]["operation"], "createUnit");

    // A dialog (it adds a <style> with the nonce), then the record of it all.
    browser
        .eval(
            &tab,
            "document.querySelector('[aria-label=\"Open settings dialog\"]').click()",
        )
        .await;
    browser
        .wait_until(
            &tab,
            "the settings dialog",
            WITHIN,
            "!!document.querySelector('[role=dialog]')",
        )
        .await;
    browser.eval(&tab, "1").await;

    let origin = &app.address;
    let socket = format!("{}/graphql", origin.replace("http://", "ws://"));
    for request in browser.events_named("Network.requestWillBeSent") {
        let url = request["request"]["url"].as_str().unwrap();
        assert!(
            url.starts_with(&format!("{origin}/")) || url.starts_with("data:"),
            "the page asked another origin: {url}"
        );
    }
    let sockets: Vec<&str> = browser
        .events_named("Network.webSocketCreated")
        .iter()
        .map(|created| created["url"].as_str().unwrap())
        .collect();
    assert!(
        !sockets.is_empty() && sockets.iter().all(|url| *url == socket),
        "{sockets:?}"
    );
    let init = browser
        .events_named("Network.webSocketFrameSent")
        .iter()
        .filter_map(|frame| {
            serde_json::from_str::<serde_json::Value>(frame["response"]["payloadData"].as_str()?)
                .ok()
        })
        .find(|message| message["type"] == "connection_init")
        .expect("GraphiQL opened the subscription with connection_init");
    assert_eq!(
        init["payload"]["Authorization"],
        format!("Bearer {}", app.admin_token),
        "the token travels in connection_init"
    );
    assert_clean_log(&browser);
}

/// The CDN's answers, from the folder's files; `altered` gets a byte more.
fn cdn_stand_ins(folder: &Path, altered: Option<&str>) -> Vec<StandIn> {
    pins()
        .into_iter()
        .map(|pin| {
            let mut body = std::fs::read(folder.join(&pin.file)).unwrap();
            if altered == Some(pin.file.as_str()) {
                body.extend_from_slice(b"\n;");
            }
            let content_type = match pin.file.ends_with(".css") {
                true => "text/css; charset=utf-8",
                false => "application/javascript; charset=utf-8",
            };
            StandIn {
                url: pin.cdn_url(),
                content_type: content_type.to_owned(),
                body,
            }
        })
        .collect()
}

/// A server in its default (CDN) mode and Chromium on its GraphiQL page, the CDN stood
/// in for by the assets folder's files, `altered` (a file name) with bytes appended; the
/// page's tab.
async fn graphiql_from_the_stand_in_cdn(altered: Option<&str>) -> (TestApp, Browser, String) {
    let chromium = Browser::find("GraphiQL is not tried in a browser");
    let folder = assets_folder("GraphiQL is not tried in a browser from the CDN");
    let app = spawn_app(Backend::Sqlite).await;
    let mut browser = Browser::launch(&chromium).await;
    browser.stand_in("https://cdn.jsdelivr.net/", cdn_stand_ins(&folder, altered));
    let tab = browser.open(&format!("{}/graphiql", app.address)).await;
    (app, browser, tab)
}

#[cfg_attr(
    not(all(test_browser, test_graphiql_assets)),
    ignore = "needs Chromium on the PATH (or TEST_CHROMIUM) and GraphiQL's files: api/assets/graphiql/refresh.sh, then TEST_GRAPHIQL_ASSETS_DIR"
)]
#[tokio::test]
async fn graphiql_in_chromium_from_the_cdn_passes_its_integrity_checks_and_policy() {
    // The CDN is stood in for by the folder's files (the bytes the registry and so
    // the CDN serve): the addresses, integrity values, `crossorigin` and the policy are
    // the page's own, and the browser checks them as it would on the internet.
    let (app, mut browser, tab) = graphiql_from_the_stand_in_cdn(None).await;

    render_paste_a_token_browse_the_docs_and_query(&mut browser, &tab, &app).await;

    let mut asked: Vec<String> = browser
        .events_named("Network.requestWillBeSent")
        .iter()
        .map(|request| request["request"]["url"].as_str().unwrap().to_owned())
        .filter(|url| !url.starts_with(&format!("{}/", app.address)) && !url.starts_with("data:"))
        .collect();
    asked.sort();
    let mut pinned: Vec<String> = pins().iter().map(Pinned::cdn_url).collect();
    pinned.sort();
    assert_eq!(
        asked, pinned,
        "the page asks the CDN for the pinned files only"
    );
    assert_clean_log(&browser);
}

#[cfg_attr(
    not(all(test_browser, test_graphiql_assets)),
    ignore = "needs Chromium on the PATH (or TEST_CHROMIUM) and GraphiQL's files: api/assets/graphiql/refresh.sh, then TEST_GRAPHIQL_ASSETS_DIR"
)]
#[tokio::test]
async fn graphiql_in_chromium_refuses_a_cdn_file_that_fails_its_integrity_check_and_says_so() {
    let (_app, mut browser, tab) = graphiql_from_the_stand_in_cdn(Some("graphiql.min.js")).await;

    let said = browser
        .wait_until(
            &tab,
            "the page to say its files did not load",
            WITHIN,
            "(t => t.includes('did not load') && t)(document.getElementById('graphiql')?.innerText ?? '')",
        )
        .await;
    assert!(said.as_str().unwrap().contains("assets_dir"), "{said}");
    let log = browser.log();
    assert!(
        log.iter()
            .any(|line| line.contains("integrity")
                && line.contains("graphiql@4.1.2/graphiql.min.js")),
        "the browser refused the altered file for its integrity: {log:#?}"
    );
    assert!(
        !log.iter().any(|line| line.starts_with("[exception]")),
        "{log:#?}"
    );
}
