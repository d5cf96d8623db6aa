//! One delivery attempt as the domain sees it: the message, what the attempt found,
//! and the [`Transport`] that sends it. The transport is the server's HTTP client
//! (`orgdesign_api::webhooks::Sender`: rustls, the resolver that refuses private
//! addresses after DNS, bounded replies); the domain only asks it to check a URL and
//! to send, so it depends on no HTTP crate, and tests can stand one in.

use std::time::Duration;

use async_trait::async_trait;
use url::Url;

/// How much of a reply the log keeps.
pub const EXCERPT_BYTES: usize = 1_024;

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered 2xx in time.
    Success,
    /// It answered another status.
    HttpError,
    /// It did not answer in time.
    Timeout,
    /// No answer: DNS, connection or TLS failed.
    NetworkError,
    /// Not sent: the URL or the address it resolves to is not allowed.
    Refused,
}

impl Outcome {
    /// The stored and shown name, e.g. `HTTP_ERROR`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "SUCCESS",
            Self::HttpError => "HTTP_ERROR",
            Self::Timeout => "TIMEOUT",
            Self::NetworkError => "NETWORK_ERROR",
            Self::Refused => "REFUSED",
        }
    }
}

/// What one attempt found.
#[derive(Debug, Clone)]
pub struct Reply {
    pub outcome: Outcome,
    pub status: Option<u16>,
    /// Until the status line arrived (or the attempt ended).
    pub latency: Duration,
    /// The first bytes of the body, as text.
    pub excerpt: Option<String>,
    /// What went wrong, for the log and the admins.
    pub error: Option<String>,
}

/// One message to send: its id, body and the secrets that sign it.
#[derive(Debug)]
pub struct Message<'a> {
    /// `webhook-id`: the same for every attempt and redelivery of an event.
    pub id: String,
    pub body: &'a str,
    /// The endpoint's secret, and during a rotation's overlap the previous one.
    pub secrets: Vec<&'a str>,
}

/// Where webhooks leave the process: checks endpoint URLs as they are registered and
/// sends one signed message per attempt. Shared by the delivery worker and the
/// endpoint service (its synchronous ping).
#[async_trait]
pub trait Transport: Send + Sync {
    /// Checks an endpoint URL as it is created or changed: the URL itself, and where
    /// its host resolves to now; `Err` says why it is refused.
    async fn check_endpoint_url(&self, raw: &str) -> Result<Url, String>;

    /// Sends `message` to `url` once and reports what came back.
    async fn send(&self, url: &str, message: &Message<'_>) -> Reply;
}
