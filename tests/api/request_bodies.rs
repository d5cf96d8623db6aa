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

use crate::helpers::{Backend, SendJson, TestApp, spawn_app, spawn_app_with, wait_for};

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
    assert_eq!(ok["__typename"], "Query");
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

/// Resident memory of this process (the server runs in it), in KiB.
fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .expect("/proc/self/status (the test needs Linux)")
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

#[tokio::test]
async fn a_hundred_stalled_bodies_are_refused_at_once_or_timed_out_and_pin_little_memory() {
    const STALLED: usize = 100;
    const TIMEOUT: Duration = Duration::from_secs(1);
    // What a request answered 408 may take beyond the timeout (the server under the
    // load of the others, on a busy machine).
    const SLACK: Duration = Duration::from_millis(1_500);
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.bodies.timeout_ms = TIMEOUT.as_millis() as u64;
    })
    .await;
    let host = host(&app);
    // Each announces 2,000,000 bytes and sends half of them: without the caps the
    // server held all it was sent (141 MiB more resident for these hundred).
    let half = std::sync::Arc::new(vec![b' '; ANNOUNCED / 2]);
    let before = resident_kib();
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(before));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(resident_kib(), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let mut clients = Vec::new();
    for _ in 0..STALLED {
        let (host, token, half) = (host.clone(), app.admin_token.clone(), half.clone());
        clients.push(tokio::spawn(async move {
            let started = Instant::now();
            let mut stream = stall(
                &host,
                "/graphql",
                "application/json",
                Some(&token),
                ANNOUNCED,
                &half,
            )
            .await;
            let answer = response(&mut stream, TIMEOUT + SLACK + AT_ONCE).await;
            (answer, started.elapsed())
        }));
    }
    let mut timed_out = Vec::new();
    let mut refused = 0;
    for client in clients {
        let (answer, took) = client.await.unwrap();
        let answer = answer.unwrap_or_else(|| panic!("no answer within {took:?}"));
        match answer.status {
            408 => {
                assert_eq!(answer.code(), "LIMIT_EXCEEDED", "{answer:?}");
                assert!(took < TIMEOUT + SLACK, "408 after {took:?}");
                assert!(took >= TIMEOUT, "408 before the timeout, after {took:?}");
                timed_out.push(took);
            }
            429 => {
                assert_eq!(answer.code(), "LIMIT_EXCEEDED", "{answer:?}");
                assert!(answer.header("retry-after").is_some(), "{answer:?}");
                refused += 1;
            }
            other => panic!("a stalled body answered {other}: {answer:?}"),
        }
    }
    sampler.abort();
    let grown_mib = peak
        .load(std::sync::atomic::Ordering::Relaxed)
        .saturating_sub(before)
        / 1024;
    let slowest = timed_out.iter().max().copied().unwrap_or_default();
    eprintln!(
        "{} answered 408 (the slowest after {slowest:?}), {refused} refused with 429; \
         resident memory grew by at most {grown_mib} MiB",
        timed_out.len()
    );
    // 16 MiB per address by default: eight bodies of 2,000,000 bytes at a time.
    assert!(timed_out.len() >= 8, "{} timed out", timed_out.len());
    assert!(refused > 0, "none refused");
    assert!(
        grown_mib < 48,
        "resident memory grew by {grown_mib} MiB with {STALLED} stalled bodies"
    );
}

/// A `POST /graphql` body of exactly `length` bytes that runs `{ __typename }`.
fn padded_body(length: usize) -> Vec<u8> {
    let frame = r#"{"query":"{ __typename }","extensions":{"pad":""}}"#;
    let pad = length
        .checked_sub(frame.len())
        .expect("long enough for the frame");
    format!(
        r#"{{"query":"{{ __typename }}","extensions":{{"pad":"{}"}}}}"#,
        "x".repeat(pad)
    )
    .into_bytes()
}

/// Connects from `source` (any address of 127.0.0.0/8 reaches the loopback listener) and
/// sends the head of a `POST /graphql` announcing `announced` bytes, then `sent`.
async fn stall_from(
    source: &str,
    host: &str,
    token: &str,
    announced: usize,
    sent: &[u8],
) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket
        .bind(format!("{source}:0").parse().unwrap())
        .expect("binding a loopback source address");
    let mut stream = socket
        .connect(host.parse().unwrap())
        .await
        .expect("connecting");
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {announced}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(sent).await.ok();
    stream
}

#[tokio::test]
async fn bytes_of_bodies_in_flight_are_capped_per_client_address_and_in_all() {
    const KIB: usize = 1024;
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.limits.max_body_bytes = 64 * KIB;
        s.bodies.max_in_flight_bytes_per_address = 100 * KIB;
        s.bodies.max_in_flight_bytes = 150 * KIB;
        s.bodies.timeout_ms = 20_000;
    })
    .await;
    let (host, token) = (host(&app), app.admin_token.clone());
    let body = padded_body(60 * KIB);
    let (a, b, c) = ("127.0.0.1", "127.0.0.2", "127.0.0.3");
    // A whole body of 60 KiB from `source`: read and run (200) when it fits, else
    // refused at once.
    let whole = |source: &'static str| {
        let (host, token, body) = (&host, &token, &body);
        async move {
            let mut stream = stall_from(source, host, token, body.len(), body).await;
            response(&mut stream, AT_ONCE).await.expect("an answer")
        }
    };
    // Waits until the server counts the stalled body of `source`: a whole body from
    // there no longer fits (one that still does runs, and gives its share back).
    let counted = |source: &'static str| async move {
        wait_for(
            &format!("the stalled body from {source} to be counted"),
            AT_ONCE,
            || async move {
                let answer = whole(source).await;
                (answer.status != 200).then_some(answer)
            },
        )
        .await
    };

    // A holds 60 KiB: a second body of 60 KiB from A is over its 100 KiB.
    let mut held_a = stall_from(a, &host, &token, body.len(), &body[..10]).await;
    let answer = counted(a).await;
    assert_eq!(answer.status, 429, "{answer:?}");
    assert_eq!(answer.code(), "LIMIT_EXCEEDED");
    assert_eq!(answer.header("retry-after"), Some("20"));
    // A body without Content-Length is counted as it arrives: 50 KiB more is over too.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{a}:0").parse().unwrap()).unwrap();
    let mut chunked = socket.connect(host.parse().unwrap()).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{}\r\n",
        50 * KIB,
        "x".repeat(50 * KIB)
    );
    chunked.write_all(head.as_bytes()).await.unwrap();
    let answer = response(&mut chunked, AT_ONCE).await.expect("an answer");
    assert_eq!(answer.status, 429, "{answer:?}");

    // Another address has a share of its own: B's body runs.
    let answer = whole(b).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["data"]["__typename"], "Query");

    // With A and B holding 120 KiB, C's 60 KiB is over the 150 KiB of the process.
    let held_b = stall_from(b, &host, &token, body.len(), &body[..10]).await;
    assert_eq!(counted(b).await.status, 429);
    let answer = whole(c).await;
    assert_eq!(answer.status, 503, "{answer:?}");
    assert_eq!(answer.code(), "UNAVAILABLE");
    assert_eq!(answer.header("retry-after"), Some("20"));

    // A's body arrives, runs, and gives its share back: C's body now fits.
    held_a.write_all(&body[10..]).await.unwrap();
    let answer = response(&mut held_a, AT_ONCE).await.expect("an answer");
    assert_eq!(answer.status, 200, "{answer:?}");
    let answer = whole(c).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    drop(held_b);
}

#[tokio::test]
async fn a_body_announced_over_max_body_bytes_is_413_without_being_read() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut stream = stall(
        &host(&app),
        "/graphql",
        "application/json",
        Some(&app.admin_token),
        3 * 1024 * 1024,
        b"{\"qu",
    )
    .await;
    let answer = response(&mut stream, AT_ONCE).await.expect("an answer");
    assert_eq!(answer.status, 413, "{answer:?}");
    assert_eq!(answer.code(), "LIMIT_EXCEEDED");
}

#[tokio::test]
async fn a_stalled_rest_push_is_408_within_the_timeout_and_writes_nothing() {
    const TIMEOUT: Duration = Duration::from_secs(1);
    for backend in crate::helpers::backends() {
        let app = spawn_app_with(backend, |s| {
            s.bodies.timeout_ms = TIMEOUT.as_millis() as u64;
        })
        .await;
        app.create_org("stalled-push").await;
        let path = "/api/v1/organizations/stalled-push/kpi-measurements";
        let csv = b"kpi,granularity,period_start,value,source\nmqls,DAY,2024-03-01,12,crm\n";
        for (content_type, sent) in [
            ("text/csv", &csv[..]),
            ("application/json", &b"{\"points\": ["[..]),
        ] {
            let what = format!("[{backend:?}] {content_type}");
            let started = Instant::now();
            let mut stream = stall(
                &host(&app),
                path,
                content_type,
                Some(&app.admin_token),
                100_000,
                sent,
            )
            .await;
            let answer = response(&mut stream, TIMEOUT + AT_ONCE)
                .await
                .unwrap_or_else(|| panic!("{what}: no answer"));
            let took = started.elapsed();
            assert_eq!(answer.status, 408, "{what}: {answer:?}");
            assert_eq!(answer.code(), "LIMIT_EXCEEDED", "{what}");
            assert!(
                took >= TIMEOUT && took < TIMEOUT + AT_ONCE,
                "{what}: {took:?}"
            );
        }
        let export: Value = app
            .client
            .get(format!("{}{path}", app.address))
            .send_json()
            .await;
        assert_eq!(export["points"], serde_json::json!([]), "[{backend:?}]");
    }
}

#[tokio::test]
async fn get_and_multipart_requests_are_answered_without_waiting_for_a_body() {
    let app = spawn_app(Backend::Sqlite).await;
    let host = host(&app);
    // GET takes its operation from the query string and never reads a body, even one
    // announced; the connection is closed after the answer.
    let mut get = TcpStream::connect(&host).await.unwrap();
    let head = format!(
        "GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nContent-Length: {ANNOUNCED}\r\n\r\n{{",
        app.admin_token
    );
    get.write_all(head.as_bytes()).await.unwrap();
    let answer = response(&mut get, AT_ONCE).await.expect("an answer");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["data"]["__typename"], "Query");
    // A multipart body (an upload) is refused for its Content-Type before it is read.
    let mut multipart = stall(
        &host,
        "/graphql",
        "multipart/form-data; boundary=x",
        Some(&app.admin_token),
        ANNOUNCED,
        b"--x\r\n",
    )
    .await;
    let answer = response(&mut multipart, AT_ONCE).await.expect("an answer");
    assert_eq!(answer.status, 415, "{answer:?}");
}
