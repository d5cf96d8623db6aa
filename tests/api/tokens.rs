//! Bearer tokens: what is refused, how integration tokens live and die, the CLI,
//! and development versus production starts.

use std::process::Command;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use orgdesign_api::startup::Application;
use orgdesign_domain::{
    auth::Role,
    settings::{Environment, JwtKeySettings, Settings},
};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::{
    authorization::integrated_org,
    helpers::{
        Backend, ServerProcess, TEST_SECRET, backends, code, fresh_database, spawn_app,
        spawn_app_with, succeeded,
    },
};

const RSA_PRIVATE: &str = include_str!("../fixtures/rsa_private.pem");
const RSA_PUBLIC: &str = include_str!("../fixtures/rsa_public.pem");
const ED_PRIVATE: &str = include_str!("../fixtures/ed25519_private.pem");
const ED_PUBLIC: &str = include_str!("../fixtures/ed25519_public.pem");

fn claims(org: &str) -> Value {
    json!({
        "sub": "mallory",
        "exp": get_current_timestamp() + 3600,
        "iss": "orgdesign",
        "aud": "orgdesign",
        "role": "admin",
        "orgs": [org],
        "jti": uuid::Uuid::now_v7().to_string(),
    })
}

fn hs256(claims: &Value, secret: &[u8]) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

/// A token of the test secret that expired an hour ago (beyond any leeway).
pub fn expired_token(_app: &crate::helpers::TestApp, org: &str) -> String {
    let mut c = claims(org);
    c["exp"] = json!(get_current_timestamp() - 3600);
    hs256(&c, TEST_SECRET.as_bytes())
}

/// A well-formed token signed with another secret.
pub fn foreign_token(org: &str) -> String {
    hs256(&claims(org), b"some-other-secret-that-is-long-enough-too")
}

/// A token of the test secret for another audience.
pub fn wrong_audience_token(org: &str) -> String {
    let mut c = claims(org);
    c["aud"] = json!("another-service");
    hs256(&c, TEST_SECRET.as_bytes())
}

fn b64(value: &Value) -> String {
    use std::fmt::Write;
    // base64url without padding, written out to avoid a dependency for one test.
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = serde_json::to_vec(value).unwrap();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let index = (n >> (18 - 6 * i)) & 63;
            write!(out, "{}", ALPHABET[index as usize] as char).unwrap();
        }
    }
    out
}

async fn status_of(app: &crate::helpers::TestApp, token: &str) -> (u16, Value) {
    app.graphql_as(
        Some(token),
        "{ me { subject role organizationIds } }",
        json!({}),
    )
    .await
}

#[tokio::test]
async fn forged_malformed_and_incomplete_tokens_are_unauthenticated() {
    let app = spawn_app(Backend::Sqlite).await;
    let org = app.create_org("target").await;
    let now = get_current_timestamp();
    let mut cases: Vec<(&str, String)> = vec![
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({ "alg": "none", "typ": "JWT" })),
                b64(&claims(&org))
            ),
        ),
        ("expired", expired_token(&app, &org)),
        ("wrong signature", foreign_token(&org)),
        ("wrong audience", wrong_audience_token(&org)),
        ("garbage", "not.a.token".to_owned()),
    ];
    let mut string_exp = claims(&org);
    string_exp["exp"] = json!((now + 3600).to_string());
    cases.push((
        "string-typed exp",
        hs256(&string_exp, TEST_SECRET.as_bytes()),
    ));
    for missing in ["exp", "sub", "iss", "aud", "role"] {
        let mut c = claims(&org);
        c.as_object_mut().unwrap().remove(missing);
        cases.push((missing, hs256(&c, TEST_SECRET.as_bytes())));
    }
    let mut wrong_issuer = claims(&org);
    wrong_issuer["iss"] = json!("someone-else");
    cases.push(("wrong issuer", hs256(&wrong_issuer, TEST_SECRET.as_bytes())));
    let mut not_yet = claims(&org);
    not_yet["nbf"] = json!(now + 3600);
    cases.push(("nbf in the future", hs256(&not_yet, TEST_SECRET.as_bytes())));
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("no-such-key".to_owned());
    cases.push((
        "unknown kid",
        encode(
            &header,
            &claims(&org),
            &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
        )
        .unwrap(),
    ));
    let mut integration_without_jti = claims(&org);
    integration_without_jti["role"] = json!("integration");
    integration_without_jti
        .as_object_mut()
        .unwrap()
        .remove("jti");
    cases.push((
        "integration without jti",
        hs256(&integration_without_jti, TEST_SECRET.as_bytes()),
    ));
    let mut unissued_integration = claims(&org);
    unissued_integration["role"] = json!("integration");
    cases.push((
        "integration token never issued",
        hs256(&unissued_integration, TEST_SECRET.as_bytes()),
    ));

    for (what, token) in cases {
        let (status, body) = status_of(&app, &token).await;
        assert_eq!(status, 401, "{what}: {body}");
        assert_eq!(code(&body["errors"][0]), "UNAUTHENTICATED", "{what}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            !message.contains("Expired") && !message.contains("InvalidSignature"),
            "{what}: the reason is not echoed"
        );
    }
    let (status, body) = status_of(&app, &app.admin_token).await;
    assert_eq!(status, 200, "a good token passes: {body}");
    assert_eq!(body["data"]["me"]["role"], "ADMIN");
}

#[tokio::test]
async fn an_rs256_server_refuses_hs256_tokens_signed_with_its_public_key() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.jwt_secret = None;
        s.jwt_public_key = Some(RSA_PUBLIC.to_owned());
        s.jwt_algorithm = Some("RS256".to_owned());
    })
    .await;
    // RS256 tokens come from an identity provider; here the test signs one with the
    // provider's private key.
    let mut admin = claims(&uuid::Uuid::now_v7().to_string());
    admin["orgs"] = json!([]);
    let signed = encode(
        &Header::new(Algorithm::RS256),
        &admin,
        &EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap(),
    )
    .unwrap();
    let (status, body) = status_of(&app, &signed).await;
    assert_eq!(status, 200, "RS256 tokens of the key pass: {body}");
    let confused = hs256(
        &claims(&uuid::Uuid::now_v7().to_string()),
        RSA_PUBLIC.as_bytes(),
    );
    let (status, body) = status_of(&app, &confused).await;
    assert_eq!(status, 401, "{body}");
}

/// The `rsa` crate's private-key operations are not constant-time (RUSTSEC-2023-0071,
/// no fixed version), so orgdesign refuses to sign with an RSA key and says what to use.
#[tokio::test]
async fn an_rsa_private_key_is_refused_at_start_with_the_way_out() {
    let mut settings = Settings::for_database("sqlite::memory:");
    settings.jwt_secret = None;
    settings.jwt_public_key = Some(RSA_PUBLIC.to_owned());
    settings.jwt_private_key = Some(SecretString::from(RSA_PRIVATE));
    settings.jwt_algorithm = Some("RS256".to_owned());
    let Err(err) = orgdesign_domain::auth::tokens::Keys::from_settings(&settings) else {
        panic!("an RSA private key is refused");
    };
    let err = err.to_string();
    assert!(err.contains("jwt_private_key"), "{err}");
    assert!(err.contains("EdDSA"), "{err}");
}

#[tokio::test]
async fn eddsa_keys_verify_and_old_keys_keep_working_by_kid_during_rotation() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.jwt_secret = None;
        s.jwt_public_key = Some(ED_PUBLIC.to_owned());
        s.jwt_private_key = Some(SecretString::from(ED_PRIVATE));
        s.jwt_algorithm = Some("EdDSA".to_owned());
        s.jwt_kid = Some("2026-11".to_owned());
        s.jwt_keys = vec![JwtKeySettings {
            kid: "2026-05".to_owned(),
            algorithm: "HS256".to_owned(),
            secret: Some(SecretString::from(TEST_SECRET)),
            public_key: None,
        }];
    })
    .await;
    let (status, _) = status_of(&app, &app.admin_token).await;
    assert_eq!(status, 200, "EdDSA tokens of the primary key pass");
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("2026-05".to_owned());
    let old = encode(
        &header,
        &claims(&uuid::Uuid::now_v7().to_string()),
        &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
    )
    .unwrap();
    let (status, body) = status_of(&app, &old).await;
    assert_eq!(
        status, 200,
        "the previous key, named by kid, still verifies: {body}"
    );
}

#[tokio::test]
async fn an_integration_token_reads_kpi_catalogs_only_and_dies_when_revoked() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (org, token, id) = integrated_org(&app, "integrated").await;
        let (status, me) = status_of(&app, &token).await;
        assert_eq!(status, 200);
        assert_eq!(me["data"]["me"]["role"], "INTEGRATION");
        assert_eq!(me["data"]["me"]["organizationIds"], json!([org]));
        let (_, stages) = app
            .graphql_as(
                Some(&token),
                "{ maturityStages { kpis { key } } }",
                json!({}),
            )
            .await;
        assert!(stages["errors"].is_null(), "{stages}");
        let (_, structure) = app
            .graphql_as(
                Some(&token),
                "query($id: ID) { organization(id: $id) { id } }",
                json!({ "id": org }),
            )
            .await;
        assert_eq!(code(&structure["errors"][0]), "FORBIDDEN");

        let listed = app
            .ok("query($o: ID!) { integrationTokens(organizationId: $o) { edges { node { id name active lastUsedAt } } } }", json!({ "o": org }))
            .await;
        let node = &listed["integrationTokens"]["edges"][0]["node"];
        assert_eq!(node["id"], id);
        assert_eq!(node["active"], true);
        assert!(node["lastUsedAt"].is_string(), "use is noted: {node}");
        assert!(
            !listed.to_string().contains(&token),
            "the secret is never listed"
        );

        app.ok("mutation($i: RevokeIntegrationTokenInput!) { revokeIntegrationToken(input: $i) { active } }", json!({ "i": { "id": id } }))
            .await;
        let (status, body) = status_of(&app, &token).await;
        assert_eq!(
            status, 401,
            "[{backend:?}] revoked on the next request: {body}"
        );
    }
}

#[tokio::test]
async fn the_token_command_mints_tokens_the_server_accepts() {
    let (url, dir) = fresh_database(Backend::Sqlite).await;
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.database_url = SecretString::from(url.clone());
    })
    .await;
    let org = app.create_org("cli-minted").await;
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_orgdesign"))
            .args(args)
            .env("DATABASE_URL", &url)
            .env("ORGDESIGN_JWT_SECRET", TEST_SECRET)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let output = run(&[
        "token",
        "--role",
        "viewer",
        "--org",
        "cli-minted",
        "--ttl",
        "1h",
        "--subject",
        "report-bot",
    ]);
    let token = succeeded(&output).trim().to_owned();
    let (status, me) = status_of(&app, &token).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["data"]["me"]["subject"], "report-bot");
    assert_eq!(me["data"]["me"]["role"], "VIEWER");
    assert_eq!(me["data"]["me"]["organizationIds"], json!([org]));
    let refused = run(&["token", "--role", "viewer", "--org", "no-such-org"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no-such-org"));
    drop(app);
    if let Some(dir) = dir {
        std::fs::remove_dir_all(dir).ok();
    }
}

#[tokio::test]
async fn development_makes_a_key_and_production_refuses_to_start_without_one() {
    let (url, dir) = fresh_database(Backend::Sqlite).await;
    let mut production = Settings::for_database(&url);
    production.env = Environment::Production;
    let refused = Application::build(production)
        .await
        .err()
        .map(|e| format!("{e:#}"));
    assert!(
        refused.is_some_and(|e| e.contains("refusing to start")),
        "production needs a key"
    );

    let development = Settings::for_database(&url);
    let app = Application::build(development).await.unwrap();
    let address = format!("http://{}", app.address());
    let server = tokio::spawn(app.run_until_stopped(std::future::pending::<()>()));
    let page = reqwest::get(format!("{address}/graphiql"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("Bearer"),
        "GraphiQL never opens with the development admin token"
    );
    server.abort();
    if let Some(dir) = dir {
        std::fs::remove_dir_all(dir).ok();
    }
}

/// `{ me { subject } }` with `token` against a server process: the status and body.
async fn me_at(address: &str, token: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": "{ me { subject } }" }))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_development_key_is_kept_beside_the_database_so_tokens_survive_a_restart() {
    let (url, dir) = fresh_database(Backend::Sqlite).await;
    let dir = dir.expect("a SQLite database lives in a folder");
    let key_file = dir.join("test.db.jwt-key");

    // First start: the key is made, kept readable by its owner only, and named.
    let mut first = ServerProcess::start_development(&url);
    let token = first.printed_token().expect("the admin token is printed");
    let notice = first.log_text();
    assert!(
        notice.contains(&format!("kept in {}", key_file.display())),
        "the start-up message names the key file: {notice}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "owner-only: {mode:o}");
    }
    assert_eq!(me_at(&first.address, &token).await.0, 200);
    first.terminate().await;
    first.wait_for_exit().await;

    // A restart: the same key, so the token printed before still works; and
    // `orgdesign token` mints with it too.
    let mut second = ServerProcess::start_development(&url);
    assert!(
        second
            .log_text()
            .contains("those of earlier runs still work"),
        "{}",
        second.log_text()
    );
    let (status, body) = me_at(&second.address, &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["subject"], "development-admin");
    let minted = Command::new(env!("CARGO_BIN_EXE_orgdesign"))
        .args(["token", "--role", "admin", "--subject", "script"])
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let minted = succeeded(&minted).trim().to_owned();
    let (status, body) = me_at(&second.address, &minted).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["subject"], "script");
    second.terminate().await;
    second.wait_for_exit().await;

    // The key file gone: a new key, and the old token gets a 401 that says why.
    std::fs::remove_file(&key_file).unwrap();
    let mut third = ServerProcess::start_development(&url);
    let (status, body) = me_at(&third.address, &token).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(code(&body["errors"][0]), "UNAUTHENTICATED", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("signed with a key this server does not have")
            && message.contains("key file beside the database"),
        "{message}"
    );
    third.terminate().await;
    third.wait_for_exit().await;

    // A key file others may read is refused at start, with the way out.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = Command::new(env!("CARGO_BIN_EXE_orgdesign"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(!refused.status.success());
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains("chmod 600"), "{stderr}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn an_expired_token_is_told_it_expired() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut expired = claims("00000000-0000-0000-0000-000000000000");
    expired["exp"] = json!(get_current_timestamp() - 3600);
    let (status, body) = status_of(&app, &hs256(&expired, TEST_SECRET.as_bytes())).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("has expired")),
        "{body}"
    );
}

#[tokio::test]
async fn production_keeps_introspection_for_admins_and_gives_no_field_suggestions() {
    let app = spawn_app_with(Backend::Sqlite, |s| s.env = Environment::Production).await;
    let org = app.create_org("introspected").await;
    let viewer = app.token(Role::Viewer, &[&org]);
    let introspection = "{ __schema { queryType { name } } }";
    let (_, as_viewer) = app
        .graphql_as(Some(&viewer), introspection, json!({}))
        .await;
    assert_eq!(as_viewer["data"]["__schema"], Value::Null, "{as_viewer}");
    let (_, as_admin) = app
        .graphql_as(Some(&app.admin_token), introspection, json!({}))
        .await;
    assert_eq!(as_admin["data"]["__schema"]["queryType"]["name"], "Query");
    let sdl = |token: Option<String>| {
        let mut request = app.anonymous.get(format!("{}/schema.graphql", app.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(
        sdl(None).await.unwrap().status(),
        404,
        "the SDL follows the introspection policy"
    );
    assert_eq!(sdl(Some(viewer.clone())).await.unwrap().status(), 404);
    assert_eq!(
        sdl(Some(app.admin_token.clone())).await.unwrap().status(),
        200
    );
    let (_, typo) = app
        .graphql_as(Some(&viewer), "{ organizatons { totalCount } }", json!({}))
        .await;
    let message = typo["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");
}
