//! Shared setup: a real server, a session over fresh config and data dirs and a keyring service of
//! its own, with profile `main` (the server, bucket `default`) and its key stored; the session's
//! events kept as they arrive; and ways to look at what the server holds.

use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mediasaur::api::FileObject;
use mediasaur::keyring::KeyringStore;
use mediasaur::local::LocalStores;
use mediasaur::profile::ProfileStore;
use mediasaur::session::{
    AddReport, BatchSummary, ProfileInput, Session, SessionEvent, UploadTarget,
};
use mediasaur::store::history::HistoryEntry;
use mediasaur::store::queue::{Transfer, TransferQuery, TransferState};
use mediasaur::store::search::HistoryQuery;
use mediasaur::transfers::QueueEvent;
use mediasaur::{ClientError, ClientResult};
use mediasaur_e2e::events::EventLog;
use mediasaur_e2e::{random_hex, require_keyring_session, test_bytes, TestServer};
use tokio::sync::mpsc::unbounded_channel;

pub const MIB: usize = 1024 * 1024;

/// Long enough for anything that should happen, on a loaded machine (nextest kills at 120 s).
pub const PATIENCE: Duration = Duration::from_secs(45);

/// The profile every test saves.
pub const PROFILE: &str = "main";

/// The bucket the server creates at init.
pub const BUCKET: &str = "default";

/// What the session reported.
pub type Events = EventLog<SessionEvent>;

/// A server, a temp dir holding `config/`, `data/` and the local files (`files/`), and a session.
pub struct Harness {
    pub server: TestServer,
    pub temp: tempfile::TempDir,
    /// The keyring service this test's keys live under.
    pub service: String,
    pub session: Session,
    pub events: Events,
}

impl Harness {
    /// A session with profile [`PROFILE`] (default bucket [`BUCKET`], no prefix) and the server's
    /// key stored through the session.
    pub async fn new() -> Self {
        let harness = Self::bare().await;
        harness
            .session
            .save_profile(harness.profile_input())
            .await
            .expect("save the profile");
        harness
            .session
            .set_api_key(PROFILE, harness.server.api_key.clone().into())
            .await
            .expect("store the key");
        harness
    }

    /// A session over empty stores: no profile, no key.
    pub async fn bare() -> Self {
        require_keyring_session();
        let server = TestServer::start().await;
        let temp = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(temp.path().join("files")).expect("files dir");
        let service = format!("mediasaur-session-test-{}", random_hex());
        let stores = stores_in(temp.path(), &service);
        let (session, events) = open(stores).await;
        Self {
            server,
            temp,
            service,
            session,
            events,
        }
    }

    /// Profile [`PROFILE`] for this server, made default.
    pub fn profile_input(&self) -> ProfileInput {
        ProfileInput {
            name: PROFILE.into(),
            endpoint: self.server.base.to_string(),
            bucket: Some(BUCKET.into()),
            prefix: String::new(),
            make_default: true,
        }
    }

    pub fn config_dir(&self) -> PathBuf {
        self.temp.path().join("config")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.temp.path().join("data")
    }

    /// Where the local files to upload are (canonical, as watches store folders).
    pub fn files_dir(&self) -> PathBuf {
        self.temp
            .path()
            .join("files")
            .canonicalize()
            .expect("files dir")
    }

    /// Stores over the same dirs and keyring service, as a new run of the app opens them.
    pub fn stores(&self) -> LocalStores {
        stores_in(self.temp.path(), &self.service)
    }

    /// Shuts the session down and opens a new one on the same stores, with a new event log.
    pub async fn reopen(&mut self) {
        self.session.shutdown().await;
        let (session, events) = open(self.stores()).await;
        self.session = session;
        self.events = events;
    }

    /// Writes `bytes` to `relative` under `files/`, creating folders as needed.
    pub fn write(&self, relative: &str, bytes: &[u8]) -> PathBuf {
        let path = self.files_dir().join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("folders");
        std::fs::write(&path, bytes).expect("write a test file");
        path
    }

    /// Writes `len` deterministic bytes to `relative` under `files/`.
    pub fn write_random(&self, relative: &str, len: usize, seed: u64) -> (PathBuf, Vec<u8>) {
        let bytes = test_bytes(len, seed);
        (self.write(relative, &bytes), bytes)
    }

    /// Adds `paths` under `prefix` with the default profile and bucket.
    pub async fn add(&self, paths: &[&Path], prefix: &str) -> AddReport {
        self.session
            .add_paths(
                paths.iter().map(|p| p.to_path_buf()).collect(),
                target(prefix),
            )
            .await
            .expect("add paths")
    }

    /// Forgets the events seen so far (after taking in those already sent), so the next waits only
    /// see what happens from now on.
    pub fn forget_events(&mut self) {
        self.events.drain();
        self.events.seen.clear();
    }

    /// Waits until the runner reports the transfer to `path` done (failing fast on a failure), and
    /// returns the row and its File.
    pub async fn done_at(&mut self, path: &str) -> (Transfer, FileObject) {
        let event = self
            .events
            .wait_for(&format!("the transfer to {path} finished"), |e| {
                changed(e).is_some_and(|(t, f)| {
                    t.path == path
                        && (t.state == TransferState::Failed
                            || (t.state == TransferState::Done && f.is_some()))
                })
            })
            .await;
        let (transfer, file) = changed(&event).expect("a Changed event");
        assert_eq!(transfer.state, TransferState::Done, "{transfer:#?}");
        (transfer.clone(), file.expect("a File").clone())
    }

    /// Waits until the events seen so far satisfy `done`.
    pub async fn until(&mut self, what: &str, done: impl Fn(&[SessionEvent]) -> bool) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if done(self.events.drain()) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never {what}: {:#?}",
                self.events.seen
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Every transfer in the queue, ids ascending.
    pub async fn rows(&self) -> Vec<Transfer> {
        self.session
            .transfers(&TransferQuery {
                limit: Some(1000),
                ..TransferQuery::default()
            })
            .await
            .expect("list transfers")
    }

    /// The queued transfer to `path`.
    pub async fn row_to(&self, path: &str) -> Transfer {
        let rows = self.rows().await;
        rows.iter()
            .find(|t| t.path == path)
            .unwrap_or_else(|| panic!("nothing queued for {path}: {rows:#?}"))
            .clone()
    }

    /// Waits for a `BatchFinished` event, and returns its summary.
    pub async fn batch_finished(&mut self) -> BatchSummary {
        match self
            .events
            .wait_for("a finished batch", |e| {
                matches!(e, SessionEvent::BatchFinished { .. })
            })
            .await
        {
            SessionEvent::BatchFinished { batch } => batch,
            _ => unreachable!(),
        }
    }

    /// Waits for an event equal to `wanted`.
    pub async fn event(&mut self, wanted: SessionEvent) {
        self.events
            .wait_for(&format!("{wanted:?}"), |e| *e == wanted)
            .await;
    }

    /// The File objects the server lists under `prefix` in [`BUCKET`] (`GET /files`).
    pub async fn server_files(&self, prefix: &str) -> Vec<FileObject> {
        let response = self
            .server
            .http()
            .get(self.server.url("/files"))
            .query(&[("bucket", BUCKET), ("prefix", prefix), ("limit", "1000")])
            .header("Authorization", self.server.bearer())
            .send()
            .await
            .expect("list files");
        assert_eq!(response.status(), 200, "GET /files?prefix={prefix}");
        let body: serde_json::Value = response.json().await.expect("a JSON envelope");
        serde_json::from_value(body["data"]["files"].clone())
            .unwrap_or_else(|e| panic!("no File objects in {body}: {e}"))
    }

    /// The status and body of `GET /default/<path>` with the API key.
    pub async fn download(&self, path: &str) -> (u16, Vec<u8>) {
        self.server.download(BUCKET, path).await
    }

    /// The history entries, newest first (up to 500).
    pub async fn history(&self) -> Vec<HistoryEntry> {
        self.session
            .search_history(&HistoryQuery {
                limit: 500,
                ..HistoryQuery::default()
            })
            .await
            .expect("search the history")
            .entries
    }

    /// The history entry for `path`, if any.
    pub async fn history_at(&self, path: &str) -> Option<HistoryEntry> {
        self.history()
            .await
            .into_iter()
            .find(|e| e.file.path == path)
    }

    /// Shuts the session down and forgets the test's key.
    pub async fn shutdown(self) {
        self.session.shutdown().await;
        let _ = KeyringStore::with_service(&self.service).delete(PROFILE);
    }
}

fn stores_in(root: &Path, service: &str) -> LocalStores {
    let config_dir = root.join("config");
    LocalStores {
        profiles: ProfileStore::in_dir(&config_dir),
        config_dir,
        keyring: KeyringStore::with_service(service),
        data_dir: root.join("data"),
    }
}

async fn open(stores: LocalStores) -> (Session, Events) {
    let (tx, rx) = unbounded_channel();
    let session = Session::open(stores, tx).await.expect("open the session");
    (session, Events::new(rx, PATIENCE))
}

/// Files under `prefix`, with the default profile and bucket.
pub fn target(prefix: &str) -> UploadTarget {
    UploadTarget {
        prefix: Some(prefix.into()),
        ..UploadTarget::default()
    }
}

/// The error of `result`, checked to have `code`.
pub fn error_with<T: Debug>(result: ClientResult<T>, code: &str) -> ClientError {
    let error = result.expect_err(&format!("a {code} error"));
    assert_eq!(error.code(), code, "{error} ({error:?})");
    error
}

/// The row and File of a runner's `Changed` event.
pub fn changed(event: &SessionEvent) -> Option<(&Transfer, Option<&FileObject>)> {
    match event {
        SessionEvent::Queue {
            event: QueueEvent::Changed { transfer, file },
        } => Some((transfer, file.as_deref())),
        _ => None,
    }
}

/// Bytes sent of transfer `id`, from a `Progress` event.
pub fn progress_of(event: &SessionEvent, id: i64) -> Option<u64> {
    match event {
        SessionEvent::Queue {
            event: QueueEvent::Progress { transfer, sent, .. },
        } if *transfer == id => Some(*sent),
        _ => None,
    }
}

/// How many `Changed` events reported transfer `id` in `state`.
pub fn times_changed_to(events: &[SessionEvent], id: i64, state: TransferState) -> usize {
    events
        .iter()
        .filter_map(changed)
        .filter(|(t, _)| t.id == id && t.state == state)
        .count()
}

/// Polls `check` every 100 ms until it returns `Some`, for at most [`PATIENCE`].
pub async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
