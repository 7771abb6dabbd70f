//! Shared setup: a real server, a real database and the files to send in one temp dir, a runner
//! with a short heartbeat over fixed credentials, and the runner's events kept as they arrive.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use mediasaur::store::queue::{NewTransfer, Transfer, TransferState};
use mediasaur::store::Database;
use mediasaur::transfers::{
    start_queue, Credentials, FixedCredentials, QueueConfig, QueueEvent, QueueHandle, RunSummary,
};
use mediasaur::upload::RetryPolicy;
use mediasaur::{ApiKey, ClientConfig, Strategy};
use mediasaur_e2e::{test_bytes, TestServer};
use tokio::sync::mpsc::unbounded_channel;
use url::Url;

pub const MIB: usize = 1024 * 1024;

/// Long enough for anything that should happen, on a loaded machine.
pub const PATIENCE: Duration = Duration::from_secs(90);

/// The profile every transfer is queued for.
pub const PROFILE: &str = "default";

/// A server, and a temp dir holding the database and the local files.
pub struct Setup {
    pub server: TestServer,
    pub temp: tempfile::TempDir,
    pub db: Database,
}

impl Setup {
    pub async fn new() -> Self {
        Self::with_server(TestServer::start().await).await
    }

    pub async fn with_server(server: TestServer) -> Self {
        let temp = tempfile::tempdir().expect("temp dir");
        let db = Database::open_in(&temp.path().join("data"))
            .await
            .expect("open the database");
        Self { server, temp, db }
    }

    /// Another handle on the same database file, as another process (the CLI) would open it.
    pub async fn other_process_db(&self) -> Database {
        Database::open_in(&self.temp.path().join("data"))
            .await
            .expect("open the database a second time")
    }

    /// Writes `len` deterministic bytes to `name` in the temp dir.
    pub fn write(&self, name: &str, len: usize, seed: u64) -> (PathBuf, Vec<u8>) {
        let bytes = test_bytes(len, seed);
        let path = self.temp.path().join(name);
        std::fs::write(&path, &bytes).expect("write a test file");
        (path, bytes)
    }

    /// Fixed credentials for this server.
    pub fn credentials(&self) -> Arc<dyn Credentials> {
        credentials_for(self.server.base.clone(), &self.server.api_key)
    }

    /// Queues one file; returns its transfer id.
    pub async fn enqueue(&self, item: NewTransfer) -> i64 {
        let queued = self.db.enqueue(&[item]).await.expect("enqueue");
        queued[0].id()
    }

    /// Starts a runner over this database with `config`.
    pub fn start(&self, config: QueueConfig) -> Runner {
        Runner::start(self.db.clone(), self.credentials(), config)
    }

    /// Runs a runner that exits when idle to its end.
    pub async fn run_until_idle(&self, config: QueueConfig) -> (RunSummary, Vec<QueueEvent>) {
        self.start(QueueConfig {
            exit_when_idle: true,
            ..config
        })
        .finish()
        .await
    }

    /// Transfer `id` as the database holds it now.
    pub async fn row(&self, id: i64) -> Transfer {
        self.db.transfer(id).await.expect("read a transfer")
    }

    /// The File objects the server lists under `prefix` in `default` (`GET /files`, up to 1000).
    pub async fn server_files(&self, prefix: &str) -> Vec<serde_json::Value> {
        let response = self
            .server
            .http()
            .get(self.server.url("/files"))
            .query(&[("bucket", "default"), ("prefix", prefix), ("limit", "1000")])
            .header("Authorization", self.server.bearer())
            .send()
            .await
            .expect("list files");
        assert_eq!(response.status(), 200, "GET /files?prefix={prefix}");
        let body: serde_json::Value = response.json().await.expect("a JSON envelope");
        body["data"]["files"]
            .as_array()
            .unwrap_or_else(|| panic!("no data.files in {body}"))
            .clone()
    }

    /// The bytes the server serves for `default/path`.
    pub async fn stored_bytes(&self, path: &str) -> Vec<u8> {
        let (status, bytes) = self.server.download("default", path).await;
        assert_eq!(status, 200, "download {path}");
        bytes
    }

    /// The status of `HEAD` on a tus upload URL.
    pub async fn head_upload(&self, upload_url: &str) -> u16 {
        self.server
            .http()
            .head(upload_url)
            .header("Authorization", self.server.bearer())
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            .expect("HEAD the upload")
            .status()
            .as_u16()
    }

    /// Waits until transfer `id` satisfies `wanted` (read from the database), and returns it.
    pub async fn row_when(
        &self,
        id: i64,
        what: &str,
        wanted: impl Fn(&Transfer) -> bool,
    ) -> Transfer {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let row = self.row(id).await;
            if wanted(&row) {
                return row;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "transfer {id} never got {what}: {row:#?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Fixed credentials for `endpoint` with `key`.
pub fn credentials_for(endpoint: Url, key: &str) -> Arc<dyn Credentials> {
    Arc::new(FixedCredentials::new(
        endpoint,
        ApiKey::parse(key).expect("a well-formed key"),
    ))
}

/// A transfer of `source` (as it is now on disk) to `bucket`/`path`.
pub fn transfer(source: &Path, bucket: &str, path: &str, strategy: Strategy) -> NewTransfer {
    let meta = std::fs::metadata(source).expect("stat a test file");
    NewTransfer {
        source: source.to_path_buf(),
        size: meta.len(),
        modified_ns: mediasaur::upload::modified_ns(&meta),
        profile: PROFILE.into(),
        bucket: bucket.into(),
        path: path.into(),
        strategy,
        watch_id: None,
        batch: None,
    }
}

/// Small thresholds (1 MiB single-request limit and tus chunks), quick retries.
pub fn small_client() -> ClientConfig {
    ClientConfig {
        single_request_max: MIB as u64,
        chunk_size: MIB as u64,
        retry: RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(100),
        },
        ..ClientConfig::default()
    }
}

/// [`small_client`] limited to `bytes_per_second`.
pub fn slow_client(bytes_per_second: u64) -> ClientConfig {
    ClientConfig {
        bandwidth_limit: Some(bytes_per_second),
        ..small_client()
    }
}

/// A runner with a 100 ms heartbeat, a 2 s lease and [`small_client`].
pub fn config() -> QueueConfig {
    QueueConfig {
        concurrency: 4,
        client: small_client(),
        lease: Duration::from_secs(2),
        heartbeat: Duration::from_millis(100),
        ..QueueConfig::default()
    }
}

/// A running runner and what it reported.
pub struct Runner {
    pub handle: QueueHandle,
    pub events: Events,
}

impl Runner {
    pub fn start(db: Database, credentials: Arc<dyn Credentials>, config: QueueConfig) -> Self {
        let (tx, rx) = unbounded_channel();
        let handle = start_queue(db, credentials, config, tx).expect("start the queue runner");
        Self {
            handle,
            events: Events::new(rx, PATIENCE),
        }
    }

    /// Waits for the runner to end on its own (it exits when idle) or after a stop; returns its
    /// summary and every event it sent.
    pub async fn finish(self) -> (RunSummary, Vec<QueueEvent>) {
        let Self { handle, mut events } = self;
        let summary = tokio::time::timeout(PATIENCE, handle.wait())
            .await
            .unwrap_or_else(|_| panic!("the runner never stopped; events: {:#?}", events.drain()))
            .expect("the runner ends without an error");
        // The runner's sender is gone once it has stopped: everything it sent is in the channel.
        events.drain();
        (summary, events.seen)
    }

    /// Stops the runner and waits for it.
    pub async fn stop(self) -> (RunSummary, Vec<QueueEvent>) {
        self.handle.stop();
        self.finish().await
    }
}

/// A runner's events, kept as they arrive.
pub type Events = mediasaur_e2e::events::EventLog<QueueEvent>;

/// What the runner reports of a queue.
pub trait QueueEvents {
    /// Waits until transfer `id` is reported in `state`, and returns that row.
    async fn changed_to(&mut self, id: i64, state: TransferState) -> Transfer;
}

impl QueueEvents for Events {
    async fn changed_to(&mut self, id: i64, state: TransferState) -> Transfer {
        let event = self
            .wait_for(&format!("transfer {id} {state}"), |e| {
                changed(e).is_some_and(|(t, _)| t.id == id && t.state == state)
            })
            .await;
        *changed_parts(event).0
    }
}

/// The row and File of a `Changed` event.
pub fn changed(event: &QueueEvent) -> Option<(&Transfer, Option<&mediasaur::api::FileObject>)> {
    match event {
        QueueEvent::Changed { transfer, file } => Some((transfer, file.as_deref())),
        _ => None,
    }
}

fn changed_parts(event: QueueEvent) -> (Box<Transfer>, Option<Box<mediasaur::api::FileObject>>) {
    match event {
        QueueEvent::Changed { transfer, file } => (transfer, file),
        other => panic!("not a Changed event: {other:?}"),
    }
}

/// The states the runner reported for transfer `id`, in order.
pub fn states_of(events: &[QueueEvent], id: i64) -> Vec<TransferState> {
    events
        .iter()
        .filter_map(changed)
        .filter(|(t, _)| t.id == id)
        .map(|(t, _)| t.state)
        .collect()
}

/// The ids of the transfers the runner reported as claimed (`running`).
pub fn claimed(events: &[QueueEvent]) -> Vec<i64> {
    events
        .iter()
        .filter_map(changed)
        .filter(|(t, _)| t.state == TransferState::Running)
        .map(|(t, _)| t.id)
        .collect()
}
