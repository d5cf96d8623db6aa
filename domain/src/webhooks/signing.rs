//! Standard Webhooks signing: secrets (`whsec_` + base64 of 32 random bytes) and the
//! `webhook-signature` header (`v1,` + base64 of HMAC-SHA256 over
//! `{webhook-id}.{webhook-timestamp}.{body}`).

use base64::{Engine as _, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What every secret starts with, as the Standard Webhooks libraries expect.
pub const SECRET_PREFIX: &str = "whsec_";

/// Bytes of key in a new secret.
const KEY_BYTES: usize = 32;

/// A new secret from the operating system's random source.
pub fn new_secret() -> anyhow::Result<String> {
    let mut key = [0u8; KEY_BYTES];
    getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no random bytes: {e}"))?;
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(key)))
}

/// The HMAC key a secret holds (the base64 after `whsec_`).
fn key_of(secret: &str) -> Option<Vec<u8>> {
    STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()
}

fn mac(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key_of(secret)?).ok()?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac)
}

/// One signature, `v1,<base64>`; `None` for a secret that is not `whsec_` + base64.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let digest = mac(secret, id, timestamp, body)?.finalize().into_bytes();
    Some(format!("v1,{}", STANDARD.encode(digest)))
}

/// The `webhook-signature` header: one signature per secret, space-separated (during a
/// rotation's overlap the old secret signs too, so receivers holding either verify).
pub fn signature_header<'a>(
    secrets: impl IntoIterator<Item = &'a str>,
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .into_iter()
        .filter_map(|secret| sign(secret, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether one of the signatures in `header` is `secret`'s over the message, compared
/// in constant time: what a receiver does (and the tests' receiver does).
pub fn verify(secret: &str, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    header.split(' ').any(|signature| {
        let Some(encoded) = signature.strip_prefix("v1,") else {
            return false;
        };
        let (Ok(expected), Some(mac)) =
            (STANDARD.decode(encoded), mac(secret, id, timestamp, body))
        else {
            return false;
        };
        mac.verify_slice(&expected).is_ok()
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_standard_webhooks_reference_one() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let signature = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body);
        assert_eq!(
            signature.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert!(verify(
            secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            body,
            "v1,bm90IGl0 v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        ));
        assert!(!verify(
            secret,
            "msg_other",
            1_614_265_330,
            body,
            &signature.unwrap()
        ));
    }

    #[test]
    fn new_secrets_differ_and_each_signs() {
        let (a, b) = (new_secret().unwrap(), new_secret().unwrap());
        assert_ne!(a, b);
        assert!(a.starts_with(SECRET_PREFIX));
        let header = signature_header([a.as_str(), b.as_str()], "msg_1", 1, b"{}");
        assert_eq!(header.split(' ').count(), 2);
        assert!(verify(&a, "msg_1", 1, b"{}", &header));
        assert!(verify(&b, "msg_1", 1, b"{}", &header));
        assert_eq!(sign("not-a-secret", "msg_1", 1, b"{}"), None);
    }
}
