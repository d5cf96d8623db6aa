//! Headless Chromium, driven over the DevTools protocol: just enough to open a page,
//! run JavaScript in it, read what it requested and logged, and answer its requests to
//! another origin (a CDN) with [`StandIn`]s instead of the network.
//!
//! Tests that need a browser carry `#[cfg_attr(not(test_browser), ignore = ...)]`:
//! where `build.rs` finds no Chromium they are compiled as ignored, and nextest reports
//! them as skipped (`.ci/run` requires none skipped). [`Browser::find`] fails a test
//! that runs without one.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use base64::{Engine as _, engine::general_purpose::STANDARD as BASE64};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::{helpers::wait_for, subscriptions::Socket};

/// How long Chromium may take to start, or to answer one command.
const ANSWER: Duration = Duration::from_secs(30);

/// A Chromium process and the DevTools connection to it. Killed when dropped.
pub struct Browser {
    child: Child,
    profile: PathBuf,
    socket: Socket,
    next_id: u64,
    /// Every event Chromium sent so far (`{"method", "params", "sessionId"}`).
    pub events: Vec<Value>,
    /// The addresses whose requests tabs opened from now on do not send, and what
    /// answers them instead; see [`Browser::stand_in`].
    stand_ins: Option<(String, Vec<StandIn>)>,
}

/// The answer a tab gets for one address instead of the network's.
pub struct StandIn {
    pub url: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Browser {
    /// The Chromium binary to test with: `$TEST_CHROMIUM`, else the first of
    /// `chromium`, `chromium-browser`, `google-chrome` on the `PATH`; fails without
    /// one. Tests that call it are compiled as ignored where `build.rs` found no
    /// browser, so they are reported as skipped there, never as passed.
    pub fn find(needed_for: &str) -> PathBuf {
        let named = std::env::var_os("TEST_CHROMIUM").map(PathBuf::from);
        let on_path = || {
            let path = std::env::var_os("PATH")?;
            ["chromium", "chromium-browser", "google-chrome"]
                .iter()
                .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
                .find(|candidate| candidate.is_file())
        };
        named.or_else(on_path).unwrap_or_else(|| {
            panic!(
                "no chromium on the PATH and TEST_CHROMIUM is not set ({needed_for}); \
                 install it (apt-get install chromium)"
            )
        })
    }

    pub async fn launch(binary: &PathBuf) -> Self {
        let profile =
            std::env::temp_dir().join(format!("orgdesign-chromium-{}", Uuid::now_v7().simple()));
        std::fs::create_dir_all(&profile).unwrap();
        let child = Command::new(binary)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // Chromium's own chatter (D-Bus, GPU) says nothing about the page.
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("{} does not start: {err}", binary.display()));
        // Chromium writes the port it picked, and the browser's path, into the profile.
        let active_port = profile.join("DevToolsActivePort");
        let endpoint = wait_for("Chromium's DevTools port", ANSWER, || {
            let text = std::fs::read_to_string(&active_port).ok();
            std::future::ready(text.and_then(|text| {
                let mut lines = text.lines();
                let (port, path) = (lines.next()?, lines.next()?);
                Some(format!("ws://127.0.0.1:{port}{path}"))
            }))
        })
        .await;
        let (socket, _) = tokio::time::timeout(ANSWER, tokio_tungstenite::connect_async(endpoint))
            .await
            .expect("Chromium accepts the DevTools connection in time")
            .expect("the DevTools handshake succeeds");
        Self {
            child,
            profile,
            socket,
            next_id: 0,
            events: Vec::new(),
            stand_ins: None,
        }
    }

    /// Tabs opened from now on send no request to an address starting with `prefix`
    /// (a CDN, say): one in `answers` gets that answer, as a `200` any origin may read
    /// (`Access-Control-Allow-Origin: *`, as public CDNs send); any other fails as if
    /// the network were down. The page's integrity checks and Content-Security-Policy
    /// apply to these answers as to the network's.
    pub fn stand_in(&mut self, prefix: &str, answers: Vec<StandIn>) {
        self.stand_ins = Some((prefix.to_owned(), answers));
    }

    /// Answers a request a tab holds back (`Fetch.requestPaused`) from the stand-ins,
    /// without waiting for Chromium to acknowledge it.
    async fn answer_held(&mut self, paused: &Value) {
        let params = &paused["params"];
        let url = params["request"]["url"].as_str().unwrap_or_default();
        let answer = self
            .stand_ins
            .iter()
            .flat_map(|(_, answers)| answers)
            .find(|answer| answer.url == url);
        let (method, params) = match answer {
            Some(answer) => (
                "Fetch.fulfillRequest",
                json!({
                    "requestId": params["requestId"],
                    "responseCode": 200,
                    "responseHeaders": [
                        { "name": "Content-Type", "value": answer.content_type },
                        { "name": "Access-Control-Allow-Origin", "value": "*" },
                    ],
                    "body": BASE64.encode(&answer.body),
                }),
            ),
            None => (
                "Fetch.failRequest",
                json!({ "requestId": params["requestId"], "errorReason": "InternetDisconnected" }),
            ),
        };
        self.next_id += 1;
        let command = json!({
            "id": self.next_id,
            "method": method,
            "params": params,
            "sessionId": paused["sessionId"],
        });
        self.socket
            .send(Message::text(command.to_string()))
            .await
            .unwrap();
    }

    /// Sends a DevTools command (to a page's `session`, or to the browser) and returns
    /// its result, keeping the events that arrive meanwhile.
    pub async fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut command = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            command["sessionId"] = json!(session);
        }
        self.socket
            .send(Message::text(command.to_string()))
            .await
            .unwrap();
        loop {
            let message = tokio::time::timeout(ANSWER, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("Chromium did not answer {method} in {ANSWER:?}"))
                .expect("the DevTools connection stays open")
                .unwrap();
            let Message::Text(text) = message else {
                continue;
            };
            let message: Value = serde_json::from_str(&text).unwrap();
            if message["id"] == json!(id) {
                assert!(message.get("error").is_none(), "{method} failed: {message}");
                return message["result"].clone();
            }
            if message["method"] == "Fetch.requestPaused" {
                self.answer_held(&message).await;
            }
            self.events.push(message);
        }
    }

    /// Opens `url` in a new tab, recording its network requests, WebSocket frames,
    /// console and log (CSP violations among them), and holding back its requests to
    /// the stand-ins' addresses; returns the tab's session.
    pub async fn open(&mut self, url: &str) -> String {
        let target = self
            .call(None, "Target.createTarget", json!({ "url": "about:blank" }))
            .await;
        let attached = self
            .call(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target["targetId"], "flatten": true }),
            )
            .await;
        let session = attached["sessionId"].as_str().unwrap().to_owned();
        for domain in ["Network", "Log", "Runtime", "Page"] {
            self.call(Some(&session), &format!("{domain}.enable"), json!({}))
                .await;
        }
        if let Some((prefix, _)) = &self.stand_ins {
            let patterns = json!({ "patterns": [{ "urlPattern": format!("{prefix}*") }] });
            self.call(Some(&session), "Fetch.enable", patterns).await;
        }
        self.call(Some(&session), "Page.navigate", json!({ "url": url }))
            .await;
        session
    }

    /// Evaluates `expression` in the page (awaiting a promise) and returns its value;
    /// a thrown exception fails the test.
    pub async fn eval(&mut self, session: &str, expression: &str) -> Value {
        let result = self
            .call(
                Some(session),
                "Runtime.evaluate",
                json!({ "expression": expression, "awaitPromise": true, "returnByValue": true }),
            )
            .await;
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression} threw: {result}"
        );
        result["result"]["value"].clone()
    }

    /// Evaluates `expression` until it gives a truthy value (not null, false or ""),
    /// for at most `within`, and returns it.
    pub async fn wait_until(
        &mut self,
        session: &str,
        what: &str,
        within: Duration,
        expression: &str,
    ) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let value = self.eval(session, expression).await;
            if !matches!(&value, Value::Null | Value::Bool(false)) && value.as_str() != Some("") {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "waited {within:?} for {what}, in vain; the page logged: {:#?}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The events of one kind (e.g. `Network.requestWillBeSent`), their `params`.
    pub fn events_named(&self, method: &str) -> Vec<&Value> {
        self.events
            .iter()
            .filter(|event| event["method"] == method)
            .map(|event| &event["params"])
            .collect()
    }

    /// What the page logged: log entries, console calls and uncaught exceptions.
    pub fn log(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for entry in self.events_named("Log.entryAdded") {
            let entry = &entry["entry"];
            lines.push(format!(
                "[{} {}] {}",
                entry["source"], entry["level"], entry["text"]
            ));
        }
        for call in self.events_named("Runtime.consoleAPICalled") {
            lines.push(format!("[console {}] {}", call["type"], call["args"]));
        }
        for thrown in self.events_named("Runtime.exceptionThrown") {
            lines.push(format!("[exception] {}", thrown["exceptionDetails"]));
        }
        lines
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
        std::fs::remove_dir_all(&self.profile).ok();
    }
}
