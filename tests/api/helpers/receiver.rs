//! A webhook receiver on 127.0.0.1, as a consumer writes one: HTTP/1.1 with keep-alive,
//! every signature verified on its own (HMAC-SHA256 written out here, not the server's
//! code), every request remembered, failures and delays on demand. Shared by the tests
//! that deliver webhooks.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use base64::{Engine as _, engine::general_purpose::STANDARD as B64};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    time::Instant,
};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) path: String,
    pub(crate) id: String,
    pub(crate) body: Value,
    pub(crate) raw: String,
    pub(crate) status: u16,
    /// Which of the known secrets (by index) signed it.
    pub(crate) signed_by: Vec<usize>,
    pub(crate) at: Instant,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) secrets: Vec<String>,
    pub(crate) received: Vec<Received>,
    /// Requests in flight per (path, webhook-id).
    pub(crate) in_flight: HashMap<(String, String), usize>,
    /// (path, webhook-id) seen twice at the same moment.
    pub(crate) overlaps: Vec<(String, String)>,
    pub(crate) attempts: HashMap<(String, String), usize>,
    /// Answer 500 to the first this many attempts of each message.
    pub(crate) fail_first: usize,
    /// Answer 500 to everything.
    pub(crate) always_fail: bool,
    pub(crate) delay: Duration,
    pub(crate) unverified: Vec<String>,
}

/// An HTTP/1.1 receiver on 127.0.0.1 (keep-alive, `Content-Length` bodies), as a
/// webhook consumer writes one.
#[derive(Clone)]
pub(crate) struct Receiver {
    pub(crate) url: String,
    pub(crate) state: Arc<Mutex<State>>,
}

impl Receiver {
    pub(crate) async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, shared.clone()));
            }
        });
        Self { url, state }
    }

    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    pub(crate) fn add_secret(&self, secret: &str) -> usize {
        self.with(|s| {
            s.secrets.push(secret.to_owned());
            s.secrets.len() - 1
        })
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.with(|s| s.received.clone())
    }

    /// The accepted (2xx) requests.
    pub(crate) fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.status == 200)
            .collect()
    }

    /// Distinct (path, webhook-id) accepted.
    pub(crate) fn distinct(&self) -> usize {
        self.accepted()
            .iter()
            .map(|r| (r.path.clone(), r.id.clone()))
            .collect::<HashSet<_>>()
            .len()
    }

    pub(crate) fn assert_all_verified(&self) {
        let unverified = self.with(|s| s.unverified.clone());
        assert!(
            unverified.is_empty(),
            "requests whose signature did not verify: {unverified:?}"
        );
    }
}

async fn serve(stream: TcpStream, state: Arc<Mutex<State>>) {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let mut headers = HashMap::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).await.unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
            }
        }
        let length = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0usize);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let status = handle(&state, path, &headers, body).await;
        let reply = format!(
            "HTTP/1.1 {status} {}\r\ncontent-type: text/plain\r\ncontent-length: 8\r\n\r\nreceived",
            if status == 200 {
                "OK"
            } else {
                "Internal Server Error"
            }
        );
        if writer.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

async fn handle(
    state: &Arc<Mutex<State>>,
    path: String,
    headers: &HashMap<String, String>,
    body: Vec<u8>,
) -> u16 {
    let header = |name: &str| headers.get(name).cloned().unwrap_or_default();
    let id = header("webhook-id");
    let timestamp: i64 = header("webhook-timestamp").parse().unwrap_or(0);
    let signature = header("webhook-signature");
    let key = (path.clone(), id.clone());
    let (status, delay, secrets) = {
        let mut guard = state.lock().unwrap();
        let s = &mut *guard;
        let in_flight = s.in_flight.entry(key.clone()).or_insert(0);
        *in_flight += 1;
        if *in_flight > 1 {
            s.overlaps.push(key.clone());
        }
        let attempts = s.attempts.entry(key.clone()).or_insert(0);
        *attempts += 1;
        let fail = s.always_fail || *attempts <= s.fail_first;
        (if fail { 500 } else { 200 }, s.delay, s.secrets.clone())
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    // What a receiver checks: a fresh timestamp and a signature of one of its secrets.
    let fresh = (chrono::Utc::now().timestamp() - timestamp).abs() <= 300;
    let signed_by: Vec<usize> = secrets
        .iter()
        .enumerate()
        .filter(|(_, secret)| verifies(secret, &id, timestamp, &body, &signature))
        .map(|(i, _)| i)
        .collect();
    let raw = String::from_utf8_lossy(&body).into_owned();
    let mut s = state.lock().unwrap();
    if let Some(in_flight) = s.in_flight.get_mut(&key) {
        *in_flight -= 1;
    }
    if !fresh || signed_by.is_empty() {
        s.unverified.push(format!("{id} at {path}: {raw}"));
    }
    s.received.push(Received {
        path,
        id,
        body: serde_json::from_str(&raw).unwrap_or(Value::Null),
        raw,
        status,
        signed_by,
        at: Instant::now(),
    });
    status
}

/// HMAC-SHA256 as RFC 2104 defines it, over SHA-256 from `sha2`.
fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().to_vec()
}

/// Whether `header` (space-separated `v1,<base64>` signatures) holds the Standard
/// Webhooks signature of `secret` over `id.timestamp.body`.
fn verifies(secret: &str, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let Some(key) = secret
        .strip_prefix("whsec_")
        .and_then(|k| B64.decode(k).ok())
    else {
        return false;
    };
    let mut message = format!("{id}.{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    let expected = format!("v1,{}", B64.encode(hmac_sha256(&key, &message)));
    header.split(' ').any(|signature| signature == expected)
}

#[test]
fn the_receiver_verifies_the_standard_webhooks_reference_signature() {
    assert!(verifies(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1_614_265_330,
        br#"{"test": 2432232314}"#,
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    ));
}
