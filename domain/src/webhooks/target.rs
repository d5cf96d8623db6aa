//! Where a webhook may go: `https://` URLs (`http://` only when configured), and never
//! to loopback, private, link-local, shared, multicast or cloud-metadata addresses
//! unless `[webhooks] allow_hosts` names the host or the address.
//!
//! The address rule is applied twice: when an endpoint is created or changed (to the
//! address in the URL, or to what its host resolves to then), and by the worker to the
//! addresses the host resolves to at delivery time, before it connects (see
//! `sender.rs`), so a name that later resolves elsewhere is still refused.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::Url;

use crate::settings::WebhookSettings;

/// The longest URL an endpoint may have.
pub const MAX_URL_CHARS: usize = 2_000;

/// What the settings allow.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    allow_http: bool,
    /// Lower-case host names exempt from the address rule.
    hosts: Vec<String>,
    /// Addresses exempt from it.
    addresses: Vec<IpAddr>,
}

impl Policy {
    /// The policy of `[webhooks]`.
    pub fn from_settings(settings: &WebhookSettings) -> Self {
        let mut policy = Self {
            allow_http: settings.allow_http,
            ..Self::default()
        };
        for entry in &settings.allow_hosts {
            let entry = entry.trim().trim_start_matches('[').trim_end_matches(']');
            match entry.parse::<IpAddr>() {
                Ok(address) => policy.addresses.push(address),
                Err(_) => policy.hosts.push(entry.to_ascii_lowercase()),
            }
        }
        policy
    }

    /// Whether `host` (a name from a URL) is exempt as a whole.
    pub fn host_exempt(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.hosts.contains(&host)
    }

    /// Why a connection to `address` for `host` is refused, or `None` when it may go.
    pub fn refusal(&self, host: &str, address: IpAddr) -> Option<&'static str> {
        if self.host_exempt(host) || self.addresses.contains(&canonical(address)) {
            return None;
        }
        forbidden_kind(address)
    }

    /// Parses and checks a URL as every attempt does: the scheme, a host, no
    /// credentials, and, for an address written in the URL, the address rule (a name
    /// is judged by what it resolves to, in `sender.rs`). The message says what is
    /// wrong.
    pub fn check_url(&self, raw: &str) -> Result<Url, String> {
        let raw = raw.trim();
        if raw.chars().count() > MAX_URL_CHARS {
            return Err(format!("at most {MAX_URL_CHARS} characters"));
        }
        let url = Url::parse(raw).map_err(|e| format!("is not a URL ({e})"))?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            "http" => {
                return Err(
                    "must be https:// (http:// only where [webhooks] allow_http is set)".to_owned(),
                );
            }
            other => return Err(format!("must be https://, not {other}://")),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(
                "must not carry credentials; receivers verify the signature instead".to_owned(),
            );
        }
        let host = url
            .host_str()
            .ok_or_else(|| "has no host".to_owned())?
            .to_owned();
        if let Some(address) = literal_address(&url)
            && let Some(kind) = self.refusal(&host, address)
        {
            return Err(refused_message(&host, &[(address, kind)]));
        }
        Ok(url)
    }

    /// Checks an endpoint URL as it is created or changed: [`Policy::check_url`], and
    /// names that by convention stand for this machine or a private network
    /// (`localhost`, `*.internal` ...), which may not resolve from here.
    pub fn check_endpoint_url(&self, raw: &str) -> Result<Url, String> {
        let url = self.check_url(raw)?;
        if let Some(host) = url.host_str()
            && literal_address(&url).is_none()
            && is_local_name(host)
            && !self.host_exempt(host)
        {
            return Err(format!(
                "{host} names this machine or a private network; webhooks go to public \
                 addresses only (unless [webhooks] allow_hosts lists it)"
            ));
        }
        Ok(url)
    }
}

/// The address a URL's host is written as, if it is one (no DNS asked). The URL parser
/// has already normalized odd IPv4 spellings (`0x7f.1`) to dotted quads.
pub fn literal_address(url: &Url) -> Option<IpAddr> {
    url.host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Names that resolve to this machine or a private network by convention.
fn is_local_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host.ends_with(".local")
        || host.ends_with(".internal")
        || host == "metadata"
}

/// The clear message for a host refused because of where it points.
pub fn refused_message(host: &str, refused: &[(IpAddr, &'static str)]) -> String {
    let list = refused
        .iter()
        .map(|(address, kind)| format!("{address} ({kind})"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{host} resolves to {list}: webhooks are not sent to loopback, private, link-local \
         or metadata addresses (unless [webhooks] allow_hosts lists the host or address)"
    )
}

/// IPv4-mapped IPv6 addresses as the IPv4 address they carry.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// What kind of address a webhook must not reach, or `None` for a public one.
pub fn forbidden_kind(address: IpAddr) -> Option<&'static str> {
    match canonical(address) {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        // 169.254.169.254 is the metadata service of most clouds.
        Some("link-local or metadata")
    } else if a == 100 && (64..128).contains(&b) {
        // Shared address space (carrier-grade NAT); 100.100.100.200 is a metadata
        // service too.
        Some("shared (carrier-grade NAT)")
    } else if a == 192 && b == 0 && c == 0 {
        Some("IETF protocol assignment")
    } else if a == 198 && (18..20).contains(&b) {
        Some("benchmarking")
    } else if ip.is_multicast() || ip.is_broadcast() || a >= 240 {
        Some("multicast, broadcast or reserved")
    } else if ip.is_documentation() {
        Some("documentation")
    } else {
        None
    }
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else if first & 0xfe00 == 0xfc00 {
        // Unique local addresses (fd00:ec2::254 is a metadata service).
        Some("private (unique local)")
    } else if first & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if first == 0x2001 && ip.segments()[1] == 0x0db8 {
        Some("documentation")
    } else if first == 0x0064 && ip.segments()[1] == 0xff9b {
        // NAT64: an IPv4 address behind it may be anything.
        Some("NAT64")
    } else if first == 0x2002 {
        Some("6to4")
    } else {
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn policy(allow_http: bool, hosts: &[&str]) -> Policy {
        Policy::from_settings(&WebhookSettings {
            allow_http,
            allow_hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
            ..WebhookSettings::default()
        })
    }

    #[test]
    fn private_loopback_link_local_and_metadata_addresses_are_refused() {
        for address in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.100.100.200",
            "0.0.0.0",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "224.0.0.1",
        ] {
            let ip: IpAddr = address.parse().unwrap();
            assert!(forbidden_kind(ip).is_some(), "{address} must be refused");
        }
        for address in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            let ip: IpAddr = address.parse().unwrap();
            assert_eq!(forbidden_kind(ip), None, "{address} is public");
        }
    }

    #[test]
    fn urls_must_be_https_without_credentials_and_not_point_inward() {
        let strict = policy(false, &[]);
        assert!(strict.check_url("https://hooks.example.com/in").is_ok());
        assert!(
            strict
                .check_url("http://hooks.example.com/in")
                .unwrap_err()
                .contains("https")
        );
        assert!(strict.check_url("ftp://hooks.example.com").is_err());
        assert!(
            strict
                .check_url("https://user:pw@hooks.example.com")
                .is_err()
        );
        assert!(
            strict
                .check_url("https://10.0.0.8/hook")
                .unwrap_err()
                .contains("private")
        );
        assert!(
            strict
                .check_url("https://[::1]:8443/")
                .unwrap_err()
                .contains("loopback")
        );
        assert!(strict.check_endpoint_url("https://localhost/").is_err());
        assert!(
            strict
                .check_endpoint_url("https://metadata.google.internal/")
                .is_err()
        );
        assert!(
            strict.check_url("https://localhost/").is_ok(),
            "at delivery time a name is judged by what it resolves to"
        );
        assert!(strict.check_url("not a url").is_err());

        let development = policy(true, &["127.0.0.1", "Hooks.Internal"]);
        assert!(development.check_url("http://127.0.0.1:9000/hook").is_ok());
        assert!(development.check_url("http://hooks.internal/hook").is_ok());
        assert!(development.check_url("http://127.0.0.2:9000/hook").is_err());
        assert_eq!(
            development.refusal("localhost", "127.0.0.1".parse().unwrap()),
            None
        );
        assert_eq!(
            development.refusal("localhost", "::1".parse().unwrap()),
            Some("loopback")
        );
    }
}
