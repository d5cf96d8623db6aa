//! The `orgdesign` binary: a shim into [`orgdesign_api`].

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    orgdesign_api::main().await
}
