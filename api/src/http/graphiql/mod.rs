//! GraphiQL at `/graphiql`: the page, orgdesign's bootstrap script (`start.js`) and
//! stylesheet (`page.css`) beside this file, compiled in; and the third-party files
//! GraphiQL runs on (GraphiQL, React, ReactDOM), which are not in the repository.
//! `api/assets/graphiql/manifest.txt` pins each of those: its npm package, exact
//! version, path in the package, SHA-256 and subresource-integrity value. They come
//! from one of two places, which [`Site::load`] settles at start:
//!
//! - **a public CDN**, by default: the page names each file's address on jsDelivr, by
//!   exact version, with its `integrity` value, so the browser runs those bytes or
//!   none. The browser needs internet access; the server does not.
//! - **a folder**, in offline mode (`[graphiql] assets_dir`, for networks without
//!   internet access), filled from the npm registry by `api/assets/graphiql/refresh.sh`:
//!   the server reads each file once, refuses to start unless its SHA-256 is the
//!   manifest's, keeps it in memory and serves it itself. The page then names files of
//!   this origin only.
//!
//! What this server serves lives under `/graphiql/assets/{hash}/{name}`, `hash` being
//! the start of the file's SHA-256 and its `ETag`: a changed file gets a new address,
//! so browsers may keep each one a year without asking again (`immutable`). The page
//! itself is never stored, so it always names the current files.
//!
//! The page has no inline script or style. Its Content-Security-Policy allows scripts
//! from this origin and, by default, the CDN addresses of the pinned scripts (those
//! files, not the whole CDN, which serves anyone's packages); styles likewise, plus the
//! `<style>` elements that carry the response's nonce (GraphiQL's dialogs add one);
//! requests to this origin and its WebSockets (for subscriptions) only; and no
//! framing. It never holds a token: the user pastes one into GraphiQL's headers (a
//! development server prints its admin token on its own console only; see
//! `startup.rs`).

use std::{
    io,
    path::{Path, PathBuf},
};

use actix_web::{
    HttpRequest, HttpResponse, HttpResponseBuilder,
    http::{
        StatusCode,
        header::{self, EntityTag, Header as _, IfNoneMatch},
    },
    web::{self, Bytes},
};
use orgdesign_domain::settings::GraphiqlSettings;
use uuid::Uuid;

use super::{AppState, error::HttpError};

/// Where the page loads the pinned files from by default. jsDelivr serves an npm
/// package's files unchanged at `/npm/PACKAGE@VERSION/PATH`, with
/// `Access-Control-Allow-Origin: *`, which the integrity check of a file from another
/// origin needs (the page asks with `crossorigin="anonymous"`).
pub const CDN: &str = "https://cdn.jsdelivr.net/npm";

/// The pins of the third-party files; see [`parse_manifest`] for the format.
const MANIFEST: &str = include_str!("../../../assets/graphiql/manifest.txt");

/// orgdesign's own files, always served by this server.
const OWN_FILES: [(&str, &[u8]); 2] = [
    ("start.js", include_bytes!("start.js")),
    ("page.css", include_bytes!("page.css")),
];

/// The page: `{name}` where a file's address goes, `{name#integrity}` where a pinned
/// file's integrity value does, and `{nonce}` where the response's style nonce does.
const TEMPLATE: &str = include_str!("page.html");

/// Why GraphiQL's files cannot be served: the server does not start.
#[derive(Debug, thiserror::Error)]
pub enum AssetsError {
    /// The manifest compiled in is malformed: a build from an edited manifest.
    #[error("api/assets/graphiql/manifest.txt, line {line}: {reason}")]
    Manifest { line: usize, reason: String },
    /// A pinned file is missing from the folder, or cannot be read.
    #[error(
        "GraphiQL's file {} ([graphiql] assets_dir) cannot be read: {error}. Fill the folder \
         with orgdesign's api/assets/graphiql/refresh.sh",
        path.display()
    )]
    Unreadable { path: PathBuf, error: io::Error },
    /// A file in the folder is not the one the manifest pins.
    #[error(
        "GraphiQL's file {} ([graphiql] assets_dir) is not {package}'s {path_in_package}: \
         its SHA-256 is {found}, the manifest pins {expected}. Fill the folder again with \
         orgdesign's api/assets/graphiql/refresh.sh",
        path.display()
    )]
    Mismatch {
        path: PathBuf,
        /// `name@version`.
        package: String,
        path_in_package: String,
        found: String,
        expected: String,
    },
}

/// One third-party file, as the manifest pins it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinned {
    /// Its name in a folder `refresh.sh` filled, and in its address here.
    pub file: String,
    /// The npm package it comes from.
    pub package: String,
    /// The package's exact version.
    pub version: String,
    /// Its path inside the package.
    pub path: String,
    /// Its SHA-256, 64 lower-case hex digits.
    pub sha256: String,
    /// Its subresource-integrity value, `sha384-` and the digest in base64.
    pub integrity: String,
}

impl Pinned {
    /// Its address on the [`CDN`].
    pub fn cdn_url(&self) -> String {
        format!("{CDN}/{}@{}/{}", self.package, self.version, self.path)
    }
}

/// Reads the manifest: one file a line, `file package version path sha256 integrity`
/// separated by spaces; blank lines and lines starting with `#` are comments. Every
/// value is checked against the characters it may hold, as each goes into the page,
/// a path or the policy unescaped.
pub fn parse_manifest(text: &str) -> Result<Vec<Pinned>, AssetsError> {
    let mut pins = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let broken = |reason: String| AssetsError::Manifest {
            line: index + 1,
            reason,
        };
        let columns: Vec<&str> = line.split_whitespace().collect();
        let [file, package, version, path, sha256, integrity] = columns[..] else {
            return Err(broken(format!(
                "{} columns instead of 6 (file package version path sha256 sri)",
                columns.len()
            )));
        };
        let plain = |value: &str, extra: &str| {
            !value.is_empty()
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
        };
        if !plain(file, ".-_") || content_type(file).is_none() {
            return Err(broken(format!("{file} is not a .js or .css file name")));
        }
        if !plain(package, ".-_@/") || !plain(version, ".-+") || !plain(path, ".-_/") {
            return Err(broken(format!("{package}@{version}/{path} is not plain")));
        }
        if sha256.len() != 64 || !sha256.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')) {
            return Err(broken(format!("{sha256} is not a SHA-256 in hex")));
        }
        let digest = integrity.strip_prefix("sha384-").unwrap_or_default();
        if digest.len() != 64 || !plain(digest, "+/") {
            return Err(broken(format!(
                "{integrity} is not sha384- and 48 bytes in base64"
            )));
        }
        if pins.iter().any(|pin: &Pinned| pin.file == file) {
            return Err(broken(format!("{file} is pinned twice")));
        }
        pins.push(Pinned {
            file: file.to_owned(),
            package: package.to_owned(),
            version: version.to_owned(),
            path: path.to_owned(),
            sha256: sha256.to_owned(),
            integrity: integrity.to_owned(),
        });
    }
    Ok(pins)
}

/// The pinned files, from the manifest compiled into the binary.
pub fn manifest() -> Result<Vec<Pinned>, AssetsError> {
    parse_manifest(MANIFEST)
}

/// The media type a file is served with, by its extension.
fn content_type(name: &str) -> Option<&'static str> {
    match name.rsplit_once('.')?.1 {
        "js" => Some("text/javascript; charset=utf-8"),
        "css" => Some("text/css; charset=utf-8"),
        _ => None,
    }
}

/// A file this server serves.
struct Served {
    name: String,
    content_type: &'static str,
    /// The first 16 hex digits of the file's SHA-256: its address and its `ETag`.
    hash: String,
    bytes: Bytes,
}

impl Served {
    fn new(name: &str, sha256: &str, bytes: Bytes) -> Self {
        Self {
            name: name.to_owned(),
            content_type: content_type(name).unwrap_or("application/octet-stream"),
            hash: sha256[..16].to_owned(),
            bytes,
        }
    }

    /// Relative to `/graphiql`, so a path prefix in front of orgdesign stays.
    fn address(&self) -> String {
        format!("graphiql/assets/{}/{}", self.hash, self.name)
    }
}

/// The GraphiQL page and the files this server serves for it: built once at start,
/// shared by every worker.
pub struct Site {
    served: Vec<Served>,
    /// The page, with `{nonce}` left for each response.
    html: String,
    /// What the policy allows scripts from besides this origin: by default the CDN
    /// address of each pinned script; offline, nothing.
    scripts: Vec<String>,
    /// What it allows stylesheets from besides this origin and the nonce, likewise.
    styles: Vec<String>,
}

impl Site {
    /// The site `settings` ask for: the pinned files from the folder they name
    /// (offline mode), else from the CDN.
    pub fn load(settings: &GraphiqlSettings) -> Result<Self, AssetsError> {
        match &settings.assets_dir {
            Some(folder) => Self::from_folder(folder),
            None => Self::from_cdn(),
        }
    }

    /// The page loads the pinned files from the [`CDN`], each with its integrity value.
    pub fn from_cdn() -> Result<Self, AssetsError> {
        let pins = manifest()?;
        let on_cdn = |stylesheets: bool| {
            pins.iter()
                .filter(|pin| pin.file.ends_with(".css") == stylesheets)
                .map(Pinned::cdn_url)
                .collect()
        };
        Ok(Self {
            scripts: on_cdn(false),
            styles: on_cdn(true),
            ..Self::build(
                pins.iter().map(|pin| (pin, pin.cdn_url())).collect(),
                Vec::new(),
            )
        })
    }

    /// Offline mode: reads each pinned file from `folder`, refusing one that is missing
    /// or differs from its pin, and serves them all from this origin.
    pub fn from_folder(folder: &Path) -> Result<Self, AssetsError> {
        let pins = manifest()?;
        let mut served = Vec::new();
        for pin in &pins {
            let path = folder.join(&pin.file);
            let bytes = std::fs::read(&path).map_err(|error| AssetsError::Unreadable {
                path: path.clone(),
                error,
            })?;
            let found = crate::http::cache::sha256_hex(&bytes);
            if found != pin.sha256 {
                return Err(AssetsError::Mismatch {
                    path,
                    package: format!("{}@{}", pin.package, pin.version),
                    path_in_package: pin.path.clone(),
                    found,
                    expected: pin.sha256.clone(),
                });
            }
            served.push(Served::new(&pin.file, &pin.sha256, Bytes::from(bytes)));
        }
        let addresses = pins
            .iter()
            .zip(&served)
            .map(|(pin, file)| (pin, file.address()))
            .collect();
        Ok(Self::build(addresses, served))
    }

    /// The page with each pinned file at its address, and orgdesign's own files
    /// added to `served`.
    fn build(pinned: Vec<(&Pinned, String)>, mut served: Vec<Served>) -> Self {
        let mut html = TEMPLATE.to_owned();
        for (pin, address) in pinned {
            html = html
                .replace(&format!("{{{}}}", pin.file), &address)
                .replace(&format!("{{{}#integrity}}", pin.file), &pin.integrity);
        }
        for (name, bytes) in OWN_FILES {
            let own = Served::new(
                name,
                &crate::http::cache::sha256_hex(bytes),
                Bytes::from_static(bytes),
            );
            html = html.replace(&format!("{{{name}}}"), &own.address());
            served.push(own);
        }
        Self {
            served,
            html,
            scripts: Vec::new(),
            styles: Vec::new(),
        }
    }

    /// The Content-Security-Policy of the page. `nonce` admits the `<style>` elements
    /// GraphiQL's dialogs add (`start.js` hands it to the bundle). `host` (the host the
    /// browser asked for) adds its `ws:` and `wss:` origins for subscriptions, for
    /// browsers in which `'self'` does not cover WebSockets yet; a host that is not
    /// plainly a name or address and a port is left out rather than copied into the
    /// header.
    fn content_security_policy(&self, nonce: &str, host: &str) -> String {
        let plain = !host.is_empty()
            && host.len() <= 255
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        let sockets = match plain {
            true => format!(" ws://{host} wss://{host}"),
            false => String::new(),
        };
        let scripts: String = self.scripts.iter().map(|url| format!(" {url}")).collect();
        let styles: String = self.styles.iter().map(|url| format!(" {url}")).collect();
        format!(
            "default-src 'none'; script-src 'self'{scripts}; \
             style-src 'self' 'nonce-{nonce}'{styles}; img-src 'self' data:; \
             font-src 'self' data:; connect-src 'self'{sockets}; base-uri 'none'; \
             form-action 'none'; frame-ancestors 'none'"
        )
    }
}

/// `GET /graphiql`: the GraphiQL IDE, pointed at `/graphql` for queries and
/// mutations and at its WebSocket for subscriptions. Holds no token, whatever the
/// mode.
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let site = &state.graphiql;
    // Fresh per response (the page is never stored), from the system's random source.
    let nonce = Uuid::new_v4().simple().to_string();
    let policy = site.content_security_policy(&nonce, req.connection_info().host());
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, policy))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(site.html.replace("{nonce}", &nonce))
}

/// `GET /graphiql/assets/{hash}/{name}`: a file of the page that this server serves,
/// cached for a year; `304` when the browser already has it. A hash that is not the
/// file's current one is `404`, so an old address is never filled with new content;
/// so is a pinned file when the page loads it from the CDN.
pub async fn asset(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let (hash, name) = path.into_inner();
    let file = state
        .graphiql
        .served
        .iter()
        .find(|file| file.name == name && file.hash == hash)
        .ok_or_else(HttpError::no_route)?;
    let etag = EntityTag::new_strong(file.hash.clone());
    let fresh = match IfNoneMatch::parse(&req) {
        Ok(IfNoneMatch::Any) => true,
        Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|tag| tag.weak_eq(&etag)),
        Err(_) => false,
    };
    let mut response = HttpResponseBuilder::new(match fresh {
        true => StatusCode::NOT_MODIFIED,
        false => StatusCode::OK,
    });
    response
        .insert_header(header::ETag(etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    Ok(match fresh {
        true => response.finish(),
        false => response
            .content_type(file.content_type)
            .body(file.bytes.clone()),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly
mod tests {
    use super::*;

    fn pins() -> Vec<Pinned> {
        manifest().unwrap()
    }

    #[test]
    fn the_manifest_pins_graphiql_react_and_react_dom_production_builds_exactly() {
        let pins = pins();
        let files: Vec<&str> = pins.iter().map(|pin| pin.file.as_str()).collect();
        assert_eq!(
            files,
            [
                "react.production.min.js",
                "react-dom.production.min.js",
                "graphiql.min.js",
                "graphiql.min.css"
            ]
        );
        for pin in &pins {
            assert!(
                pin.version.split('.').count() == 3
                    && pin.version.chars().all(|c| c.is_ascii_digit() || c == '.'),
                "{} is pinned to an exact release, not {}",
                pin.package,
                pin.version
            );
            assert!(!pin.path.contains("development"), "{}", pin.path);
        }
    }

    #[test]
    fn a_malformed_manifest_is_refused_with_its_line() {
        let good = "# comment\n\na.js p 1.0.0 a.js {hex} sha384-{b64}\n"
            .replace("{hex}", &"0".repeat(64))
            .replace("{b64}", &"A".repeat(64));
        assert_eq!(parse_manifest(&good).unwrap().len(), 1);
        for broken in [
            good.replace("a.js p", "a.js"),
            good.replace("a.js p", "a.html p"),
            good.replace("a.js p", "\"a.js p"),
            good.replace(&"0".repeat(64), &"0".repeat(63)),
            good.replace("sha384-", "sha256-"),
            format!("{good}{good}"),
        ] {
            let error = parse_manifest(&broken).unwrap_err();
            assert!(
                matches!(error, AssetsError::Manifest { line: 3 | 6, .. }),
                "{broken}: {error}"
            );
        }
    }

    #[test]
    fn by_default_the_page_names_each_pinned_file_on_the_cdn_with_its_integrity() {
        let site = Site::from_cdn().unwrap();
        let page = site.html.replace("{nonce}", "n");
        for pin in pins() {
            let attribute = match pin.file.ends_with(".css") {
                true => "href",
                false => "src",
            };
            let tag = format!(
                "{attribute}=\"{CDN}/{}@{}/{}\" integrity=\"{}\" crossorigin=\"anonymous\"",
                pin.package, pin.version, pin.path, pin.integrity
            );
            assert!(page.contains(&tag), "{tag} in\n{page}");
        }
        assert_eq!(
            site.served.len(),
            OWN_FILES.len(),
            "only orgdesign's own files"
        );
        for file in &site.served {
            assert!(page.contains(&file.address()), "{} in the page", file.name);
        }
        assert!(!page.contains('{'), "a placeholder left:\n{page}");
        assert!(!page.contains("<script>"), "no inline script");
        assert!(!page.contains("<style"), "no inline style");
    }

    #[test]
    fn the_policy_allows_the_cdn_addresses_of_the_pinned_files_and_no_other() {
        let site = Site::from_cdn().unwrap();
        let policy = site.content_security_policy("n0nce", "orgdesign.example:8080");
        let script_src = format!(
            "script-src 'self' {CDN}/react@18.3.1/umd/react.production.min.js \
             {CDN}/react-dom@18.3.1/umd/react-dom.production.min.js \
             {CDN}/graphiql@4.1.2/graphiql.min.js;"
        );
        assert!(policy.contains(&script_src), "{policy}");
        let style_src =
            format!("style-src 'self' 'nonce-n0nce' {CDN}/graphiql@4.1.2/graphiql.min.css;");
        assert!(policy.contains(&style_src), "{policy}");
        assert!(policy.contains(
            "connect-src 'self' ws://orgdesign.example:8080 wss://orgdesign.example:8080;"
        ));
        assert!(!policy.contains("unsafe"));
        let injected = site.content_security_policy("n0nce", "evil.example; script-src *");
        assert!(injected.contains("connect-src 'self';"), "{injected}");
        assert!(!injected.contains("evil"));
    }

    #[test]
    fn a_missing_folder_is_refused_naming_the_first_file() {
        let folder = std::env::temp_dir().join(format!("no-graphiql-{}", Uuid::now_v7()));
        let Err(error) = Site::from_folder(&folder) else {
            panic!("a missing folder is refused");
        };
        let message = error.to_string();
        assert!(
            message.contains(&folder.join("react.production.min.js").display().to_string())
                && message.contains("refresh.sh"),
            "{message}"
        );
    }
}
