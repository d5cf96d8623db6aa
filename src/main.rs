//! The `orgdesign` binary: a shim into [`orgdesign_api`], with the allocator the
//! server runs on.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    orgdesign_api::main().await
}
