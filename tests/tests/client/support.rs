//! Shared setup: a client for a test server, files on disk, and collected upload events.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use mediasaur::upload::{MemoryResumeStore, RetryPolicy, UploadEvent, UploadState};
use mediasaur::{
    ApiKey, ClientConfig, Destination, Strategy, UploadClient, UploadHandle, UploadOptions,
};
use mediasaur_e2e::{test_bytes, TestServer};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use url::Url;

pub const MIB: usize = 1024 * 1024;

/// Retries quickly, so tests that provoke failures stay fast.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
    }
}

/// A config with small thresholds so a few MiB exercise every path.
pub fn small_config() -> ClientConfig {
    ClientConfig {
        single_request_max: MIB as u64,
        chunk_size: MIB as u64,
        retry: quick_retries(),
        ..ClientConfig::default()
    }
}

/// A client for `endpoint` with the server's key, keeping resume states in `store`.
pub fn client_at(
    endpoint: &str,
    key: &str,
    config: ClientConfig,
    store: Arc<MemoryResumeStore>,
) -> UploadClient {
    let endpoint = Url::parse(endpoint).expect("endpoint");
    UploadClient::with_resume_store(&endpoint, ApiKey::parse(key).expect("key"), config, store)
        .expect("client")
}

/// A client for `server` directly.
pub fn client(server: &TestServer, config: ClientConfig) -> UploadClient {
    client_at(
        server.base.as_str(),
        &server.api_key,
        config,
        Arc::default(),
    )
}

/// Writes `len` deterministic bytes to `dir/name`.
pub fn write_file(dir: &Path, name: &str, len: usize, seed: u64) -> (PathBuf, Vec<u8>) {
    let bytes = test_bytes(len, seed);
    let path = dir.join(name);
    std::fs::write(&path, &bytes).expect("write test file");
    (path, bytes)
}

/// `default` bucket, `path`.
pub fn dest(path: &str) -> Destination {
    Destination::parse("default", path).expect("destination")
}

/// An event channel.
pub fn events() -> (UnboundedSender<UploadEvent>, UnboundedReceiver<UploadEvent>) {
    unbounded_channel()
}

/// Everything received so far.
pub fn drain(rx: &mut UnboundedReceiver<UploadEvent>) -> Vec<UploadEvent> {
    let mut all = Vec::new();
    while let Ok(event) = rx.try_recv() {
        all.push(event);
    }
    all
}

/// The states among `events`, in order.
pub fn states(events: &[UploadEvent]) -> Vec<UploadState> {
    events
        .iter()
        .filter_map(|e| match e {
            UploadEvent::State { state, .. } => Some(state.clone()),
            UploadEvent::Progress { .. } => None,
        })
        .collect()
}

/// Waits until an event satisfies `pred`, returning it (panics after 30 s).
pub async fn wait_for(
    rx: &mut UnboundedReceiver<UploadEvent>,
    mut pred: impl FnMut(&UploadEvent) -> bool,
) -> UploadEvent {
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let event = rx.recv().await.expect("event channel open");
            if pred(&event) {
                return event;
            }
        }
    })
    .await
    .expect("the awaited event came within 30 s")
}

/// The bytes the server serves for `path` in `default`.
pub async fn stored_bytes(server: &TestServer, path: &str) -> Vec<u8> {
    let response = server
        .http()
        .get(server.url(&format!("/default/{path}")))
        .header("Authorization", server.bearer())
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), 200, "download {path}");
    response.bytes().await.expect("body").to_vec()
}

/// The paths of the File objects the server lists under `prefix` in `default` (`GET /files` with the
/// key, up to 1000).
pub async fn listed_paths(server: &TestServer, prefix: &str) -> Vec<String> {
    let response = server
        .http()
        .get(server.url("/files"))
        .query(&[("bucket", "default"), ("prefix", prefix), ("limit", "1000")])
        .header("Authorization", server.bearer())
        .send()
        .await
        .expect("list files");
    assert_eq!(response.status(), 200, "GET /files?prefix={prefix}");
    let body: serde_json::Value = response.json().await.expect("a JSON envelope");
    body["data"]["files"]
        .as_array()
        .unwrap_or_else(|| panic!("no data.files in {body}"))
        .iter()
        .map(|file| file["path"].as_str().expect("a path").to_owned())
        .collect()
}

/// The `Retrying` states among `events`, as `(attempt, delay_ms, code)`.
pub fn retries(events: &[UploadEvent]) -> Vec<(u32, u64, String)> {
    states(events)
        .into_iter()
        .filter_map(|state| match state {
            UploadState::Retrying {
                attempt,
                delay_ms,
                code,
                ..
            } => Some((attempt, delay_ms, code)),
            _ => None,
        })
        .collect()
}

/// A well-formed API key no server knows.
pub fn unknown_key() -> String {
    "sk_unknownKey0123456789abcdefABCDEF".to_owned()
}

/// Starts a tus upload of `path` to `default`/`to`, with an event channel.
pub fn start_tus(
    client: &UploadClient,
    path: &Path,
    to: &str,
) -> (UploadHandle, UnboundedReceiver<UploadEvent>) {
    let (tx, rx) = events();
    let options = UploadOptions {
        strategy: Strategy::Tus,
        events: Some(tx),
    };
    let handle = client
        .upload(path, dest(to), options)
        .expect("upload starts");
    (handle, rx)
}

/// Waits (on `rx`'s events) until the one upload in `store` has at least `offset` acknowledged bytes.
pub async fn acknowledged(
    rx: &mut UnboundedReceiver<UploadEvent>,
    store: &MemoryResumeStore,
    offset: u64,
) {
    wait_for(rx, |_| {
        store.all().first().is_some_and(|s| s.offset >= offset)
    })
    .await;
}
