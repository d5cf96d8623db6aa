//! The webhooks' way out of the process: [`Sender`], the domain's
//! [`Transport`] over HTTP. One signed request per attempt: the HTTP client (rustls,
//! no proxy, no redirects), the resolver that refuses private addresses after DNS, and
//! a reply read within its time and size bounds. Nothing here logs a secret or a
//! signature.

use std::{
    error::Error as StdError,
    fmt,
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};

use async_trait::async_trait;
use orgdesign_domain::{
    settings::WebhookSettings,
    webhooks::{
        delivery::{EXCERPT_BYTES, Message, Outcome, Reply, Transport},
        target::{self, Policy},
    },
};
use reqwest::{
    dns::{Addrs, Name, Resolve, Resolving},
    header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue},
    redirect,
};

/// Sends webhooks: one client for the process, with the address policy.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    policy: Arc<Policy>,
    timeout: Duration,
    max_response_bytes: usize,
}

impl Sender {
    /// The sender of `[webhooks]`.
    pub fn new(settings: &WebhookSettings) -> anyhow::Result<Self> {
        let policy = Arc::new(Policy::from_settings(settings));
        let timeout = Duration::from_millis(settings.timeout_ms);
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .dns_resolver(Arc::new(GuardedResolver {
                policy: policy.clone(),
            }))
            // A proxy from the environment would connect for us, to any address.
            .no_proxy()
            // A redirect could point anywhere; a 3xx is not a 2xx, so it is a failure.
            .redirect(redirect::Policy::none())
            .https_only(!settings.allow_http)
            .connect_timeout(timeout)
            .timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(4)
            .user_agent(concat!("orgdesign-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            policy,
            timeout,
            max_response_bytes: settings.max_response_bytes,
        })
    }

    /// The address policy, for checking endpoint URLs.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The first bytes of a reply, reading no more than `max_response_bytes` and no
    /// longer than the attempt's time allows.
    async fn read_excerpt(
        &self,
        mut response: reqwest::Response,
        started: Instant,
    ) -> Option<String> {
        let mut kept: Vec<u8> = Vec::new();
        let mut read = 0usize;
        let remaining = self.timeout.saturating_sub(started.elapsed());
        let reading = async {
            while let Ok(Some(chunk)) = response.chunk().await {
                read += chunk.len();
                let room = EXCERPT_BYTES.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if read >= self.max_response_bytes {
                    break;
                }
            }
        };
        // Whatever arrived in time is kept; the rest is not waited for.
        let _ = tokio::time::timeout(remaining, reading).await;
        (!kept.is_empty()).then(|| String::from_utf8_lossy(&kept).into_owned())
    }
}

#[async_trait]
impl Transport for Sender {
    /// Checks an endpoint URL as it is created or changed: the URL itself
    /// ([`Policy::check_url`]), and where its host resolves to now. A host that does
    /// not resolve (yet) passes: the worker checks again at every attempt.
    async fn check_endpoint_url(&self, raw: &str) -> Result<reqwest::Url, String> {
        let url = self.policy.check_endpoint_url(raw)?;
        if target::literal_address(&url).is_some() {
            return Ok(url);
        }
        let Some(host) = url.host_str().map(str::to_owned) else {
            return Err("has no host".to_owned());
        };
        if self.policy.host_exempt(&host) {
            return Ok(url);
        }
        let lookup = tokio::time::timeout(
            Duration::from_secs(3),
            tokio::net::lookup_host((host.as_str(), 443)),
        )
        .await;
        if let Ok(Ok(addresses)) = lookup {
            let addresses: Vec<IpAddr> = addresses.map(|a| a.ip()).collect();
            let refused: Vec<(IpAddr, &'static str)> = addresses
                .iter()
                .filter_map(|ip| self.policy.refusal(&host, *ip).map(|kind| (*ip, kind)))
                .collect();
            if !addresses.is_empty() && refused.len() == addresses.len() {
                return Err(target::refused_message(&host, &refused));
            }
        }
        Ok(url)
    }

    /// Sends `message` to `url` once: `POST` with the Standard Webhooks headers. The
    /// reply is read until `max_response_bytes` or the timeout, whichever comes first.
    async fn send(&self, url: &str, message: &Message<'_>) -> Reply {
        let started = Instant::now();
        let refused = |error: String| Reply {
            outcome: Outcome::Refused,
            status: None,
            latency: Duration::ZERO,
            excerpt: None,
            error: Some(error),
        };
        let parsed = match self.policy.check_url(url) {
            Ok(parsed) => parsed,
            Err(why) => return refused(format!("the URL {why}")),
        };
        let timestamp = orgdesign_domain::clock::wall_now().timestamp();
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let signature = orgdesign_domain::webhooks::signing::signature_header(
            message.secrets.iter().copied(),
            &message.id,
            timestamp,
            message.body.as_bytes(),
        );
        for (name, value) in [
            ("webhook-id", message.id.clone()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature),
        ] {
            match HeaderValue::from_str(&value) {
                Ok(value) => {
                    headers.insert(HeaderName::from_static(name), value);
                }
                Err(_) => return refused(format!("the {name} header cannot be sent")),
            }
        }
        let request = self
            .client
            .post(parsed)
            .headers(headers)
            .body(message.body.to_owned());
        let response = match tokio::time::timeout(self.timeout, request.send()).await {
            Err(_) => return failure(Outcome::Timeout, started, "no answer in time".to_owned()),
            Ok(Err(err)) => return from_error(&err, started),
            Ok(Ok(response)) => response,
        };
        let latency = started.elapsed();
        let status = response.status();
        let excerpt = self.read_excerpt(response, started).await;
        let success = status.is_success();
        Reply {
            outcome: if success {
                Outcome::Success
            } else {
                Outcome::HttpError
            },
            status: Some(status.as_u16()),
            latency,
            excerpt,
            error: (!success).then(|| format!("the receiver answered {status}")),
        }
    }
}

fn failure(outcome: Outcome, started: Instant, error: String) -> Reply {
    Reply {
        outcome,
        status: None,
        latency: started.elapsed(),
        excerpt: None,
        error: Some(error),
    }
}

/// An attempt that got no reply: refused by the resolver, timed out, or a network
/// failure, told from the error's chain (never with the request, which holds the
/// signature).
fn from_error(err: &reqwest::Error, started: Instant) -> Reply {
    let mut source: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(current) = source {
        if let Some(refusal) = current.downcast_ref::<Refusal>() {
            return failure(Outcome::Refused, started, refusal.to_string());
        }
        source = current.source();
    }
    if err.is_timeout() {
        return failure(Outcome::Timeout, started, "no answer in time".to_owned());
    }
    let mut chain = Vec::new();
    let mut source: Option<&(dyn StdError + 'static)> = err.source();
    while let Some(current) = source {
        chain.push(current.to_string());
        source = current.source();
    }
    let what = if err.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    let detail = chain.last().cloned().unwrap_or_default();
    failure(
        Outcome::NetworkError,
        started,
        format!("{what}: {detail}")
            .trim_end_matches(": ")
            .to_owned(),
    )
}

/// A host whose addresses are all refused by the policy.
#[derive(Debug)]
struct Refusal(String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Refusal {}

/// Resolves like the system does, then keeps only the addresses the policy allows:
/// the connection can only go to an address checked here, so a name that resolves to
/// a private address at delivery time (DNS rebinding included) is refused.
#[derive(Debug)]
struct GuardedResolver {
    policy: Arc<Policy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = Vec::new();
            let mut allowed = Vec::new();
            for address in found {
                match policy.refusal(&host, address.ip()) {
                    Some(kind) => refused.push((address.ip(), kind)),
                    None => allowed.push(address),
                }
            }
            if allowed.is_empty() && !refused.is_empty() {
                let error: Box<dyn StdError + Send + Sync> =
                    Box::new(Refusal(target::refused_message(&host, &refused)));
                return Err(error);
            }
            let addresses: Addrs = Box::new(allowed.into_iter());
            Ok(addresses)
        })
    }
}
