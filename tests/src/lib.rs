//! Shared helpers for the end-to-end tests: a real server on a loopback port with its own data dir.

use std::net::SocketAddr;

use mediasaur_server::{init_data_dir, serve, AppState, ServerConfig};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use url::Url;

pub mod api_client;
pub mod events;
pub mod fake_http;
pub mod fault_proxy;
pub mod tus_client;
pub mod tus_node_server;

/// A real `mediasaur-server` serving HTTP on `127.0.0.1:<random port>` from a temporary data dir.
/// Stops when dropped.
#[derive(Debug)]
pub struct TestServer {
    /// `http://127.0.0.1:<port>`, also the server's public URL.
    pub base: Url,
    /// The socket the server listens on.
    pub addr: SocketAddr,
    /// The API key `init` created.
    pub api_key: String,
    /// The server's data directory.
    pub data_dir: tempfile::TempDir,
    /// The server's state, for tests that inspect it.
    pub state: AppState,
    shutdown: CancellationToken,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Starts a server with the default configuration.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts a server after `edit` has adjusted its configuration.
    pub async fn start_with(edit: impl FnOnce(&mut ServerConfig)) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let api_key = init_data_dir(data_dir.path())
            .await
            .expect("init data dir")
            .expect("a fresh data dir yields a key");
        Self::serve_dir(data_dir, api_key, edit).await
    }

    async fn serve_dir(
        data_dir: tempfile::TempDir,
        api_key: String,
        edit: impl FnOnce(&mut ServerConfig),
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let base = Url::parse(&format!("http://{addr}")).expect("url");
        let mut config = ServerConfig::new(data_dir.path().to_path_buf(), base.clone());
        edit(&mut config);
        let state = AppState::open(config).await.expect("open state");
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(serve(listener, state.clone(), shutdown.clone()));
        Self {
            base,
            addr,
            api_key,
            data_dir,
            state,
            shutdown,
            task: Some(task),
        }
    }

    /// An absolute URL on this server.
    pub fn url(&self, path_and_query: &str) -> String {
        format!(
            "{}{}",
            self.base.as_str().trim_end_matches('/'),
            path_and_query
        )
    }

    /// A plain HTTP client.
    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::new()
    }

    /// `Authorization` header value with the API key.
    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.api_key)
    }

    /// The status and body of `GET /<bucket>/<path>` with the API key.
    pub async fn download(&self, bucket: &str, path: &str) -> (u16, Vec<u8>) {
        let response = self
            .http()
            .get(self.url(&format!("/{bucket}/{path}")))
            .header("Authorization", self.bearer())
            .send()
            .await
            .expect("download");
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("body").to_vec())
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        self.halt().await;
    }

    async fn halt(&mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Stops the server and starts a new process-equivalent on the same data dir (a new port): what
    /// survives this is what survives a server restart.
    pub async fn restart(mut self) -> Self {
        self.halt().await;
        let data_dir = tempfile::TempDir::new_in(self.data_dir.path().parent().expect("parent"))
            .expect("placeholder dir");
        let data_dir = std::mem::replace(&mut self.data_dir, data_dir);
        let api_key = std::mem::take(&mut self.api_key);
        drop(self);
        Self::serve_dir(data_dir, api_key, |_| {}).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Deterministic pseudo-random bytes, so failures reproduce.
pub fn test_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as u8
        })
        .collect()
}

/// Fails the test unless `scripts/test` (`with_test_session`) provides a private Secret Service.
pub fn require_keyring_session() {
    assert!(
        std::env::var_os("MEDIASAUR_TEST_KEYRING").is_some(),
        "run the tests through scripts/test (needs a Secret Service session)"
    );
}

/// `secret-tool lookup service <service> username <profile>`: the secret the Secret Service holds,
/// or `None` when it holds none.
pub fn secret_tool_lookup(service: &str, profile: &str) -> Option<String> {
    let output = std::process::Command::new("secret-tool")
        .args(["lookup", "service", service, "username", profile])
        .output()
        .expect("run secret-tool (libsecret-tools)");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    (output.status.success() && !stdout.is_empty())
        .then(|| stdout.trim_end_matches('\n').to_owned())
}

/// 32 random hex digits (std's hasher keys are random per process and per `RandomState`), for names
/// tests must not share: keyring services, keys no server knows.
pub fn random_hex() -> String {
    use std::hash::{BuildHasher, Hasher};
    let word = || {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        hasher.finish()
    };
    format!("{:016x}{:016x}", word(), word())
}
