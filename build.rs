//! Tells the end-to-end tests (`tests/api`) which outside tools this build can test
//! with, so that a test needing one that is absent is compiled as ignored and reported
//! as skipped, never as passed:
//!
//! - `cfg(test_postgres)`: `ORGDESIGN_TEST_POSTGRES_URL` names a PostgreSQL server;
//! - `cfg(test_browser)`: Chromium is on the `PATH` (or named by `TEST_CHROMIUM`);
//! - `cfg(test_graphiql_assets)`: `TEST_GRAPHIQL_ASSETS_DIR` names a folder of
//!   GraphiQL's files (`api/assets/graphiql/refresh.sh` fills one);
//! - `cfg(test_clients)`: the client libraries are installed
//!   (`npm ci --prefix tests/clients`);
//! - `cfg(test_graphql_core)`: graphql-core is installed in `tests/clients/python`
//!   (`python3 -m pip install --target tests/clients/python -r tests/clients/requirements.txt`).
//!
//! Cargo runs this again when one of those variables changes or `tests/clients` does,
//! so setting `ORGDESIGN_TEST_POSTGRES_URL` is enough to bring the PostgreSQL tests in.

use std::{env, path::Path};

fn main() {
    for name in [
        "test_postgres",
        "test_browser",
        "test_graphiql_assets",
        "test_clients",
        "test_graphql_core",
    ] {
        println!("cargo::rustc-check-cfg=cfg({name})");
    }
    for variable in [
        "ORGDESIGN_TEST_POSTGRES_URL",
        "TEST_CHROMIUM",
        "PATH",
        "TEST_GRAPHIQL_ASSETS_DIR",
    ] {
        println!("cargo::rerun-if-env-changed={variable}");
    }
    println!("cargo::rerun-if-changed=tests/clients");
    println!("cargo::rerun-if-changed=build.rs");

    let set = |variable: &str| env::var_os(variable).filter(|value| !value.is_empty());
    if set("ORGDESIGN_TEST_POSTGRES_URL").is_some() {
        println!("cargo::rustc-cfg=test_postgres");
    }
    let chromium_on_path = env::var_os("PATH").is_some_and(|path| {
        env::split_paths(&path).any(|dir| {
            ["chromium", "chromium-browser", "google-chrome"]
                .iter()
                .any(|name| dir.join(name).is_file())
        })
    });
    if set("TEST_CHROMIUM").is_some() || chromium_on_path {
        println!("cargo::rustc-cfg=test_browser");
    }
    if set("TEST_GRAPHIQL_ASSETS_DIR").is_some_and(|dir| Path::new(&dir).is_dir()) {
        println!("cargo::rustc-cfg=test_graphiql_assets");
    }
    if Path::new("tests/clients/node_modules/@apollo/client").is_dir() {
        println!("cargo::rustc-cfg=test_clients");
    }
    if Path::new("tests/clients/python/graphql").is_dir() {
        println!("cargo::rustc-cfg=test_graphql_core");
    }
}
