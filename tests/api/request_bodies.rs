//! Request bodies are read last and bounded: a request is authenticated and counted
//! against its rate limit from its headers alone, so a caller without a token or over
//! its allowance is answered before a byte of its body is read.
//!
//! The requests here are written by hand over TCP, so a test can send a head that
//! announces a large body, a few bytes of it, and then nothing.

use std::time::Duration;

use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::Instant,
};

use crate::helpers::{Backend, TestApp, spawn_app, spawn_app_with};

/// The body a stalled request announces: a little under the default `max_body_bytes`.
const ANNOUNCED: usize = 2_000_000;

/// How long an answer that must not wait for the body may take, at most: well below
/// every body timeout a test here configures and the 10 s default.
const AT_ONCE: Duration = Duration::from_secs(2);

/// A response read off the wire.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub head: String,
    pub body: Value,
}

impl RawResponse {
    /// A header's value (the first of that name), case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }

    /// The `extensions.code` of the one error.
    pub fn code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("<none>")
    }
}

/// `host:port` of a test application.
pub fn host(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

/// Opens a connection and sends the head of a `POST` to `path` announcing
/// `Content-Length: announced` (with `token`, if any), then `sent` bytes of the body.
pub async fn stall(
    host: &str,
    path: &str,
    content_type: &str,
    token: Option<&str>,
    announced: usize,
    sent: &[u8],
) -> TcpStream {
    let mut stream = TcpStream::connect(host).await.expect("connecting");
    let authorization = token
        .map(|token| format!("Authorization: Bearer {token}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\n{authorization}Content-Type: {content_type}\r\nContent-Length: {announced}\r\n\r\n"
    );
    stream
        .write_all(head.as_bytes())
        .await
        .expect("the head is sent");
    // The server may already have answered and closed: that is for the reader to see.
    stream.write_all(sent).await.ok();
    stream
}

/// Reads one response (the server closes the connection after answering a request
/// whose body it did not read); `None` when none came within `within`, or the
/// connection closed without one.
pub async fn response(stream: &mut TcpStream, within: Duration) -> Option<RawResponse> {
    let mut received = Vec::new();
    let deadline = Instant::now() + within;
    loop {
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => received.extend_from_slice(&chunk[..n]),
        }
        if let Some(parsed) = parse(&received) {
            return Some(parsed);
        }
    }
    parse(&received)
}

/// A complete response in `bytes` (its body as long as its `Content-Length` says).
fn parse(bytes: &[u8]) -> Option<RawResponse> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let mut response = RawResponse {
        status,
        head,
        body: Value::Null,
    };
    let length: usize = response.header("content-length")?.parse().ok()?;
    let body = bytes.get(end..end + length)?;
    response.body = serde_json::from_slice(body).unwrap_or(Value::Null);
    Some(response)
}

#[tokio::test]
async fn a_post_without_a_token_or_with_a_bad_one_is_401_without_waiting_for_its_body() {
    let app = spawn_app(Backend::Sqlite).await;
    let host = host(&app);
    for (token, what) in [(None, "no token"), (Some("not-a-token"), "a bad token")] {
        for (path, content_type) in [
            ("/graphql", "application/json"),
            ("/api/v1/organizations/any/kpi-measurements", "text/csv"),
        ] {
            let started = Instant::now();
            let mut stream = stall(&host, path, content_type, token, ANNOUNCED, b"{\"qu").await;
            let answer = response(&mut stream, AT_ONCE)
                .await
                .unwrap_or_else(|| panic!("{path} with {what}: no answer within {AT_ONCE:?}"));
            assert_eq!(answer.status, 401, "{path} with {what}: {answer:?}");
            assert_eq!(answer.code(), "UNAUTHENTICATED", "{path} with {what}");
            assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
            assert!(started.elapsed() < AT_ONCE, "{path} with {what}");
        }
    }
}

#[tokio::test]
async fn a_caller_over_its_rate_is_429_without_waiting_for_its_body() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.limits.requests_per_minute = 1;
        s.limits.request_burst = 1;
    })
    .await;
    let ok = app.ok("{ __typename }", serde_json::json!({})).await;
    assert_eq!(ok["__typename"], "QueryRoot");
    let mut stream = stall(
        &host(&app),
        "/graphql",
        "application/json",
        Some(&app.admin_token),
        ANNOUNCED,
        b"{\"qu",
    )
    .await;
    let answer = response(&mut stream, AT_ONCE)
        .await
        .expect("an answer from the headers alone");
    assert_eq!(answer.status, 429, "{answer:?}");
    assert_eq!(answer.code(), "LIMIT_EXCEEDED");
    assert!(answer.header("retry-after").is_some(), "{answer:?}");
}
