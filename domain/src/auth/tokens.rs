//! JWT bearer tokens: verifying them, and minting them where a signing key is known.
//!
//! Each key pins one algorithm: a token whose header names another algorithm than its
//! key's is refused (so an RS256 public key can never be used as an HS256 secret), as
//! are `alg: none`, an unknown `kid`, and tokens missing `exp`, `sub`, `iss` or `aud`.

use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
    get_current_timestamp,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Principal, Role};
use crate::settings::{Environment, Settings};

/// The claims orgdesign reads and writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    pub iss: String,
    pub aud: Audience,
    pub role: Role,
    /// Organization ids the token may touch (admins touch all).
    #[serde(default)]
    pub orgs: Vec<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

/// `aud` may be one string or a list.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Claims {
    /// The principal these (verified) claims name.
    pub fn principal(self) -> Principal {
        Principal {
            subject: self.sub,
            role: self.role,
            organizations: self.orgs,
            token_id: self.jti,
        }
    }
}

/// Why a token was refused. Logged at debug level, never sent to the client.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the token names an unknown key id {0:?}")]
    UnknownKid(String),
    #[error("the token's algorithm {0:?} is not its key's")]
    WrongAlgorithm(Algorithm),
    #[error("integration tokens must carry a jti")]
    MissingJti,
    #[error(transparent)]
    Invalid(#[from] jsonwebtoken::errors::Error),
}

struct VerifyKey {
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

struct SignKey {
    kid: Option<String>,
    algorithm: Algorithm,
    key: EncodingKey,
}

/// The keys that verify (and, where possible, sign) tokens.
pub struct Keys {
    verifiers: Vec<VerifyKey>,
    signer: Option<SignKey>,
    issuer: String,
    audience: String,
    leeway: u64,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("verifiers", &self.verifiers.len())
            .field("can_sign", &self.signer.is_some())
            .finish()
    }
}

/// Reads a PEM given inline or as a file path.
fn pem(value: &str) -> anyhow::Result<Vec<u8>> {
    if value.trim_start().starts_with("-----BEGIN") {
        Ok(value.as_bytes().to_vec())
    } else {
        std::fs::read(value).with_context(|| format!("reading the key file {value}"))
    }
}

fn parse_algorithm(name: &str) -> anyhow::Result<Algorithm> {
    match name {
        "HS256" => Ok(Algorithm::HS256),
        "RS256" => Ok(Algorithm::RS256),
        "EdDSA" => Ok(Algorithm::EdDSA),
        other => bail!("unsupported JWT algorithm {other:?}; use HS256, RS256 or EdDSA"),
    }
}

fn public_key(algorithm: Algorithm, pem_bytes: &[u8]) -> anyhow::Result<DecodingKey> {
    Ok(match algorithm {
        Algorithm::RS256 => DecodingKey::from_rsa_pem(pem_bytes)?,
        Algorithm::EdDSA => DecodingKey::from_ed_pem(pem_bytes)?,
        other => bail!("{other:?} does not use a public key"),
    })
}

/// Whether the settings name any verification key.
pub fn configured(settings: &Settings) -> bool {
    settings.jwt_secret.is_some() || settings.jwt_public_key.is_some()
}

impl Keys {
    /// Builds the keys the settings describe. Without any key, development gets a
    /// random HS256 secret (tokens then live as long as the process) and production is
    /// refused.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let mut verifiers = Vec::new();
        let mut signer = None;
        let kid = settings.jwt_kid.clone();
        match (&settings.jwt_secret, &settings.jwt_public_key) {
            (Some(_), Some(_)) => bail!("configure either jwt_secret or jwt_public_key, not both"),
            (Some(secret), None) => {
                let secret = secret.expose_secret().as_bytes();
                if secret.len() < 32 {
                    bail!("jwt_secret must be at least 32 bytes long");
                }
                verifiers.push(VerifyKey {
                    kid: kid.clone(),
                    algorithm: Algorithm::HS256,
                    key: DecodingKey::from_secret(secret),
                });
                signer = Some(SignKey {
                    kid,
                    algorithm: Algorithm::HS256,
                    key: EncodingKey::from_secret(secret),
                });
            }
            (None, Some(public)) => {
                let algorithm =
                    parse_algorithm(settings.jwt_algorithm.as_deref().unwrap_or("RS256"))?;
                verifiers.push(VerifyKey {
                    kid: kid.clone(),
                    algorithm,
                    key: public_key(algorithm, &pem(public)?)?,
                });
                if let Some(private) = &settings.jwt_private_key {
                    // RSA private-key operations of the `rsa` crate are not constant-time
                    // (RUSTSEC-2023-0071, no fixed version): orgdesign verifies RS256
                    // tokens (public-key operations, not affected) but does not sign them.
                    if algorithm == Algorithm::RS256 {
                        bail!(
                            "jwt_private_key: orgdesign does not sign with RSA keys (the RSA \
                             implementation it links is not constant-time, RUSTSEC-2023-0071); \
                             use an EdDSA (Ed25519) key pair to mint tokens, or mint RS256 tokens \
                             with your identity provider and give orgdesign only its public key"
                        );
                    }
                    let bytes = pem(private.expose_secret())?;
                    let key = EncodingKey::from_ed_pem(&bytes)?;
                    signer = Some(SignKey {
                        kid,
                        algorithm,
                        key,
                    });
                }
            }
            (None, None) => {
                if settings.env == Environment::Production {
                    bail!(
                        "refusing to start in production without a JWT key: set ORGDESIGN_JWT_SECRET \
                         (32 bytes or more) or ORGDESIGN_JWT_PUBLIC_KEY"
                    );
                }
                let secret = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
                verifiers.push(VerifyKey {
                    kid: None,
                    algorithm: Algorithm::HS256,
                    key: DecodingKey::from_secret(secret.as_bytes()),
                });
                signer = Some(SignKey {
                    kid: None,
                    algorithm: Algorithm::HS256,
                    key: EncodingKey::from_secret(secret.as_bytes()),
                });
            }
        }
        for extra in &settings.jwt_keys {
            let algorithm = parse_algorithm(&extra.algorithm)?;
            let key = match (algorithm, &extra.secret, &extra.public_key) {
                (Algorithm::HS256, Some(secret), None) => {
                    if secret.expose_secret().len() < 32 {
                        bail!(
                            "jwt_keys {:?}: an HS256 secret must be at least 32 bytes long",
                            extra.kid
                        );
                    }
                    DecodingKey::from_secret(secret.expose_secret().as_bytes())
                }
                (Algorithm::HS256, _, _) => {
                    bail!("jwt_keys {:?}: HS256 takes a secret only", extra.kid)
                }
                (_, None, Some(public)) => public_key(algorithm, &pem(public)?)?,
                _ => bail!(
                    "jwt_keys {:?}: {algorithm:?} takes a public_key only",
                    extra.kid
                ),
            };
            verifiers.push(VerifyKey {
                kid: Some(extra.kid.clone()),
                algorithm,
                key,
            });
        }
        Ok(Self {
            verifiers,
            signer,
            issuer: settings.jwt_issuer.clone(),
            audience: settings.jwt_audience.clone(),
            leeway: settings.jwt_leeway_secs,
        })
    }

    /// Verifies a token and returns its claims.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header = decode_header(token)?;
        let key = match &header.kid {
            Some(kid) => self
                .verifiers
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid.as_str()))
                .ok_or_else(|| TokenError::UnknownKid(kid.clone()))?,
            // Tokens without a kid are checked against the primary key.
            None => self
                .verifiers
                .first()
                .ok_or_else(|| TokenError::UnknownKid(String::new()))?,
        };
        if header.alg != key.algorithm {
            return Err(TokenError::WrongAlgorithm(header.alg));
        }
        let mut validation = Validation::new(key.algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.leeway = self.leeway;
        validation.validate_nbf = true;
        let claims = decode::<Claims>(token, &key.key, &validation)?.claims;
        if claims.role == Role::Integration && claims.jti.is_none() {
            return Err(TokenError::MissingJti);
        }
        Ok(claims)
    }

    /// Whether tokens can be minted here.
    pub fn can_sign(&self) -> bool {
        self.signer.is_some()
    }

    /// Mints a token for `subject` with `role` over `organizations`, valid for `ttl`.
    pub fn mint(
        &self,
        subject: &str,
        role: Role,
        organizations: Vec<Uuid>,
        ttl: Duration,
        jti: String,
    ) -> anyhow::Result<String> {
        let signer = self.signer.as_ref().ok_or_else(|| {
            anyhow!(
                "no signing key: configure jwt_secret, or jwt_private_key beside jwt_public_key"
            )
        })?;
        let now = get_current_timestamp();
        let claims = Claims {
            sub: subject.to_owned(),
            exp: now.saturating_add(ttl.as_secs()),
            nbf: None,
            iat: Some(now),
            iss: self.issuer.clone(),
            aud: Audience::One(self.audience.clone()),
            role,
            orgs: organizations,
            jti: Some(jti),
        };
        let mut header = Header::new(signer.algorithm);
        header.kid = signer.kid.clone();
        Ok(encode(&header, &claims, &signer.key)?)
    }
}

/// Parses a duration such as `90s`, `15m`, `1h`, `7d`.
pub fn parse_ttl(raw: &str) -> anyhow::Result<Duration> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let number: u64 = number
        .parse()
        .with_context(|| format!("{raw:?} is not a duration like 1h"))?;
    let seconds = match unit {
        "s" | "" => number,
        "m" => number.saturating_mul(60),
        "h" => number.saturating_mul(3_600),
        "d" => number.saturating_mul(86_400),
        other => bail!("unknown duration unit {other:?}; use s, m, h or d"),
    };
    if seconds == 0 {
        bail!("a token must live longer than 0 seconds");
    }
    Ok(Duration::from_secs(seconds))
}

/// The start-up banner of a development server: the admin token it minted with the
/// key it made up, for the console only (GraphiQL never receives it).
pub fn development_notice(token: &str) -> String {
    format!(
        "development mode: no JWT key is configured, so a random one was made for this process.\n\
         An admin token (valid 12 hours; paste it into GraphiQL's Headers tab):\n\n    Authorization: Bearer {token}\n"
    )
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_ttl("90s").ok(), Some(Duration::from_secs(90)));
        assert_eq!(parse_ttl("1h").ok(), Some(Duration::from_secs(3600)));
        assert_eq!(parse_ttl("7d").ok(), Some(Duration::from_secs(604_800)));
        assert!(parse_ttl("0h").is_err());
        assert!(parse_ttl("1w").is_err());
        assert!(parse_ttl("h").is_err());
    }

    #[test]
    fn a_minted_token_verifies_and_names_its_principal() {
        let mut settings = Settings::for_database("sqlite::memory:");
        settings.jwt_secret = Some(SecretString::from("x".repeat(40)));
        let keys = Keys::from_settings(&settings).ok();
        let keys = keys.as_ref();
        let org = Uuid::now_v7();
        let token = keys.and_then(|k| {
            k.mint(
                "alice",
                Role::Editor,
                vec![org],
                Duration::from_secs(60),
                "j1".to_owned(),
            )
            .ok()
        });
        let claims = keys.zip(token).and_then(|(k, t)| k.verify(&t).ok());
        let principal = claims.map(Claims::principal);
        assert_eq!(principal.as_ref().map(|p| p.role), Some(Role::Editor));
        assert_eq!(principal.map(|p| p.organizations), Some(vec![org]));
    }

    #[test]
    fn production_without_a_key_refuses_to_start() {
        let mut settings = Settings::for_database("sqlite::memory:");
        settings.env = Environment::Production;
        let err = Keys::from_settings(&settings).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("refusing to start")));
    }
}
