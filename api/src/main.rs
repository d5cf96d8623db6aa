//! `cargo run -p orgdesign-api -- serve`: the same program as the `orgdesign` binary,
//! for those who run the server package directly.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    orgdesign_api::main().await
}
