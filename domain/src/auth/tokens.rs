//! JWT bearer tokens: verifying them, and minting them where a signing key is known.
//!
//! Each key pins one algorithm: a token whose header names another algorithm than its
//! key's is refused (so an RS256 public key can never be used as an HS256 secret), as
//! are `alg: none`, an unknown `kid`, and tokens missing `exp`, `sub`, `iss` or `aud`.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

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

/// Why a token was refused: logged at debug level in full; the caller is told
/// [`TokenError::advice`], which names the kind of fault and what to do, and nothing of
/// the server's keys.
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

impl TokenError {
    /// What the caller is told: the kind of fault and the next step.
    pub fn advice(&self) -> &'static str {
        use jsonwebtoken::errors::ErrorKind;
        match self {
            TokenError::UnknownKid(_) => SIGNED_ELSEWHERE,
            TokenError::WrongAlgorithm(_) => {
                "the bearer token is signed with another algorithm than this server's key: mint \
                 a new one"
            }
            TokenError::MissingJti => {
                "the bearer token is an integration token without an id (jti): issue one with \
                 issueIntegrationToken"
            }
            TokenError::Invalid(err) => match err.kind() {
                ErrorKind::InvalidSignature => SIGNED_ELSEWHERE,
                ErrorKind::ExpiredSignature => {
                    "the bearer token has expired: mint a new one (`orgdesign token`, or in \
                     development the one the server prints at start-up)"
                }
                ErrorKind::ImmatureSignature => {
                    "the bearer token is not valid yet (its nbf is in the future)"
                }
                ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => {
                    "the bearer token is for another service: its issuer or audience is not \
                     this server's"
                }
                ErrorKind::MissingRequiredClaim(_) => {
                    "the bearer token lacks a claim this server requires (sub, exp, iss, aud)"
                }
                _ => {
                    "the bearer token is not a JWT this server can read: send the token as \
                      `Authorization: Bearer <token>`"
                }
            },
        }
    }
}

/// A signature no key of this server checks: the usual reason in development is a
/// restart that lost the key.
const SIGNED_ELSEWHERE: &str = "the bearer token was signed with a key this server does not \
     have: it was minted for another server or before its key changed (in development, when \
     the key file beside the database was deleted or another database is in use); mint a new \
     one (`orgdesign token`, or in development the one the server prints at start-up)";

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
    /// Where the key came from when none is configured (development); `None` when the
    /// settings name one.
    pub development_key: Option<DevelopmentKey>,
}

/// The key development runs with when the settings name none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevelopmentKey {
    /// Kept in this file (readable by its owner only), so tokens survive a restart;
    /// `created` when this process made it.
    File { path: PathBuf, created: bool },
    /// Made up for this process alone: its tokens end with it.
    Process,
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

impl Keys {
    /// Builds the keys the settings describe. Without any key, development gets an
    /// HS256 secret kept in a file beside a SQLite database (or in `jwt_dev_key_file`),
    /// made on first start, so that tokens survive a restart; where there is no such
    /// file, a secret for this process alone. Production without a key is refused.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let mut verifiers = Vec::new();
        let mut signer = None;
        let mut development_key = None;
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
                let (secret, kept) = match development_key_file(settings) {
                    Some(path) => {
                        let (secret, created) = development_secret(&path)?;
                        (secret, DevelopmentKey::File { path, created })
                    }
                    None => (random_secret(), DevelopmentKey::Process),
                };
                development_key = Some(kept);
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
            development_key,
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
pub fn development_notice(key: &DevelopmentKey, token: &str) -> String {
    let whence = match key {
        DevelopmentKey::File {
            path,
            created: true,
        } => format!(
            "so one was made and kept in {} (readable by you only): tokens signed with it \
             work after a restart, and `orgdesign token` mints more",
            path.display()
        ),
        DevelopmentKey::File {
            path,
            created: false,
        } => format!(
            "so the development key kept in {} signs and checks tokens: those of earlier \
             runs still work, and `orgdesign token` mints more",
            path.display()
        ),
        DevelopmentKey::Process => "so a random one was made for this process (there is no \
             SQLite file to keep it beside; set jwt_dev_key_file to keep it): its tokens stop \
             working when it stops"
            .to_owned(),
    };
    format!(
        "development mode: no JWT key is configured, {whence}.\n\
         An admin token (valid 12 hours; paste it into GraphiQL's Headers tab):\n\n    Authorization: Bearer {token}\n"
    )
}

/// The file that keeps the development key: the one the settings name, else one beside
/// a SQLite database file; `None` for PostgreSQL and in-memory SQLite.
fn development_key_file(settings: &Settings) -> Option<PathBuf> {
    if let Some(path) = &settings.jwt_dev_key_file {
        return Some(path.clone());
    }
    let url = settings.database_url.expose_secret();
    if !url.starts_with("sqlite:") || url.contains("mode=memory") {
        return None;
    }
    let options = url
        .parse::<sea_orm::sqlx::sqlite::SqliteConnectOptions>()
        .ok()?;
    let database = options.get_filename();
    let name = database.file_name()?.to_str()?;
    if name == ":memory:"
        || name.starts_with("file:sqlx-in-memory")
        || database.as_os_str().is_empty()
    {
        return None;
    }
    Some(database.with_file_name(format!("{name}.jwt-key")))
}

/// 64 hex digits from two random v4 UUIDs (244 random bits).
fn random_secret() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

/// Reads the development key from `path`, or makes it there (readable by its owner
/// only) when the file does not exist. Two processes starting together agree on one key:
/// the file appears whole or not at all (written aside, then linked into place).
fn development_secret(path: &Path) -> anyhow::Result<(String, bool)> {
    if let Some(secret) = read_development_secret(path)? {
        return Ok((secret, false));
    }
    let secret = random_secret();
    let aside = path.with_file_name(format!(
        ".{}.{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("jwt-key"),
        Uuid::new_v4().simple()
    ));
    let written = (|| {
        use std::io::Write as _;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&aside)?;
        writeln!(file, "{secret}")?;
        file.sync_all()?;
        std::fs::hard_link(&aside, path)
    })();
    std::fs::remove_file(&aside).ok();
    match written {
        Ok(()) => Ok((secret, true)),
        // Another process made it first: use theirs.
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            let secret = read_development_secret(path)?
                .ok_or_else(|| anyhow!("{} vanished while it was being read", path.display()))?;
            Ok((secret, false))
        }
        Err(err) => Err(err).with_context(|| {
            format!(
                "making the development key file {} (or set jwt_dev_key_file, or configure a key)",
                path.display()
            )
        }),
    }
}

fn read_development_secret(path: &Path) -> anyhow::Result<Option<String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => {
            return Err(err)
                .with_context(|| format!("reading the development key file {}", path.display()));
        }
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            bail!(
                "the development key file {} may be read by other users (mode {:o}): run \
                 `chmod 600 {}`, or delete it to have a new key made (tokens signed with the \
                 old one then stop working)",
                path.display(),
                mode & 0o777,
                path.display()
            );
        }
    }
    let secret = text.trim();
    if secret.len() < 32 {
        bail!(
            "the development key file {} holds {} characters, fewer than the 32 a key needs: \
             delete it to have a new key made",
            path.display(),
            secret.len()
        );
    }
    Ok(Some(secret.to_owned()))
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

    #[test]
    fn the_development_key_file_sits_beside_a_sqlite_file_and_nowhere_else() {
        let file = |url: &str| development_key_file(&Settings::for_database(url));
        assert_eq!(
            file("sqlite:///var/lib/od/orgdesign.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/od/orgdesign.db.jwt-key"))
        );
        assert_eq!(
            file("sqlite://orgdesign.db?mode=rwc"),
            Some(PathBuf::from("orgdesign.db.jwt-key"))
        );
        assert_eq!(file("sqlite::memory:"), None);
        assert_eq!(file("sqlite://shared?mode=memory"), None);
        assert_eq!(file("postgres://postgres@127.0.0.1/orgdesign"), None);
        let mut named = Settings::for_database("postgres://postgres@127.0.0.1/orgdesign");
        named.jwt_dev_key_file = Some(PathBuf::from("/run/od/key"));
        assert_eq!(
            development_key_file(&named),
            Some(PathBuf::from("/run/od/key"))
        );
    }

    #[test]
    fn a_development_key_is_made_once_kept_owner_only_and_read_back()
    -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("orgdesign-key-{}", Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir)?;
        let mut settings =
            Settings::for_database(&format!("sqlite://{}?mode=rwc", dir.join("d.db").display()));
        let keys = Keys::from_settings(&settings)?;
        let path = dir.join("d.db.jwt-key");
        assert_eq!(
            keys.development_key,
            Some(DevelopmentKey::File {
                path: path.clone(),
                created: true
            })
        );
        let token = keys.mint(
            "dev",
            Role::Admin,
            Vec::new(),
            Duration::from_secs(60),
            "j".to_owned(),
        )?;
        // A second process reads the same key: the token checks out there.
        let again = Keys::from_settings(&settings)?;
        assert_eq!(
            again.development_key,
            Some(DevelopmentKey::File {
                path: path.clone(),
                created: false
            })
        );
        assert!(again.verify(&token).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path)?.permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640))?;
            let refused = Keys::from_settings(&settings).err().map(|e| e.to_string());
            assert!(refused.is_some_and(|e| e.contains("chmod 600")));
        }
        // A key configured: no development key, no file read.
        settings.jwt_secret = Some(SecretString::from("y".repeat(40)));
        assert_eq!(Keys::from_settings(&settings)?.development_key, None);
        // A key from another process's memory: refused, saying it was signed elsewhere.
        let other = Keys::from_settings(&Settings::for_database("sqlite::memory:"))?;
        assert_eq!(other.development_key, Some(DevelopmentKey::Process));
        let err = other
            .verify(&token)
            .err()
            .ok_or("a token signed elsewhere is refused")?;
        assert!(
            err.advice()
                .contains("signed with a key this server does not have")
        );
        std::fs::remove_dir_all(dir).ok();
        Ok(())
    }
}
