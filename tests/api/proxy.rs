//! A TCP proxy between a server and PostgreSQL that stops forwarding on demand
//! (without closing anything), as a network partition or a hung database host would:
//! the database stops answering while every connection stays open.

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicU64, Ordering},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::watch,
};

use crate::helpers::postgres_admin_url;

/// A TCP proxy on 127.0.0.1 in front of one upstream address, with a switch that
/// stops all forwarding (in both directions, on every connection, and on connections
/// accepted later) without closing a connection.
pub struct Proxy {
    /// `127.0.0.1:port`, where the proxy listens.
    pub address: String,
    switch: Arc<Switch>,
}

/// The proxy's switch, shared by its connections.
struct Switch {
    frozen: watch::Sender<bool>,
    /// Server-to-database bytes at which the proxy freezes by itself.
    freeze_at: AtomicU64,
    /// Server-to-database bytes forwarded so far.
    forwarded: AtomicU64,
    stopped: AtomicBool,
}

impl Proxy {
    /// Listens on a free port and forwards every connection to `upstream`.
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let switch = Arc::new(Switch {
            frozen: watch::channel(false).0,
            freeze_at: AtomicU64::new(u64::MAX),
            forwarded: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
        });
        let shared = switch.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if shared.stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(pump(client_read, server_write, shared.clone(), true));
                tokio::spawn(pump(server_read, client_write, shared.clone(), false));
            }
        });
        Self { address, switch }
    }

    /// Freezes once `bytes` more have gone from the server to the database.
    pub fn freeze_after(&self, bytes: u64) {
        let now = self.switch.forwarded.load(Ordering::SeqCst);
        self.switch.freeze_at.store(now + bytes, Ordering::SeqCst);
    }

    /// Stops forwarding now, in both directions, on every connection.
    pub fn freeze(&self) {
        self.switch.frozen.send_replace(true);
    }

    /// Whether forwarding is stopped.
    pub fn is_frozen(&self) -> bool {
        *self.switch.frozen.borrow()
    }

    /// Forwards again, and forgets a pending `freeze_after`.
    pub fn thaw(&self) {
        self.switch.freeze_at.store(u64::MAX, Ordering::SeqCst);
        self.switch.frozen.send_replace(false);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.switch.stopped.store(true, Ordering::SeqCst);
        self.thaw();
    }
}

/// Copies `from` to `to`, holding still (reading nothing, closing nothing) while the
/// switch is on. Towards the database it counts the bytes and throws the switch at
/// the threshold, after forwarding the chunk that crossed it.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    switch: Arc<Switch>,
    towards_database: bool,
) {
    let mut frozen = switch.frozen.subscribe();
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        if frozen.wait_for(|f| !*f).await.is_err() {
            return;
        }
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => {
                to.shutdown().await.ok();
                return;
            }
            Ok(n) => n,
        };
        // A chunk read just as the switch was thrown waits for the thaw.
        if frozen.wait_for(|f| !*f).await.is_err() {
            return;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
        if towards_database {
            let total = switch.forwarded.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
            if total >= switch.freeze_at.load(Ordering::SeqCst) {
                switch.frozen.send_replace(true);
            }
        }
    }
}

/// `url` with its host and port replaced by `address`.
pub fn through(url: &str, address: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap();
    let credentials = authority
        .rsplit_once('@')
        .map(|(c, _)| format!("{c}@"))
        .unwrap_or_default();
    format!("{scheme}://{credentials}{address}/{path}")
}

/// `host:port` of a PostgreSQL URL.
pub fn host_of(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    let authority = rest.split('/').next().unwrap();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    }
}

impl Proxy {
    /// A proxy in front of the test PostgreSQL server.
    pub async fn to_postgres() -> Self {
        let admin = postgres_admin_url().expect("ORGDESIGN_TEST_POSTGRES_URL is set");
        Self::start(host_of(&admin)).await
    }

    /// `database_url`, a database on the proxied server, as reached through the proxy.
    pub fn route(&self, database_url: &str) -> String {
        through(database_url, &self.address)
    }
}
