//! Shared setup: a watched folder and a real SQLite database in a temp dir, a watcher with a short
//! stability window, the transfers it queued (read with plain SQL), and its events.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};

use mediasaur::store::watches::{NewWatch, Watch};
use mediasaur::store::Database;
use mediasaur::watch::{FolderWatcher, WatchEvent, WatchHandle, WatchOptions};
use tokio::sync::mpsc::unbounded_channel;

/// Long enough for anything that should happen, on a loaded machine.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A short window so tests are quick; events are gathered for 50 ms.
pub fn quick_options() -> WatchOptions {
    WatchOptions {
        stability_window: Duration::from_millis(300),
        max_stability_window: Duration::from_millis(1200),
        debounce: Duration::from_millis(50),
    }
}

/// A transfer row as the queue stores it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Row {
    pub id: i64,
    pub source: String,
    pub size: i64,
    pub modified_ns: i64,
    pub bucket: String,
    pub path: String,
    pub watch_id: Option<i64>,
}

/// A temp dir holding the watched folder `in/` and the database.
pub struct Setup {
    pub temp: tempfile::TempDir,
    pub folder: PathBuf,
    pub db: Database,
}

impl Setup {
    pub async fn new() -> Self {
        let temp = tempfile::tempdir().expect("temp dir");
        let folder = temp.path().join("in");
        std::fs::create_dir(&folder).expect("folder");
        // The watch stores the folder canonical; files are named the same way in assertions.
        let folder = folder.canonicalize().expect("canonical folder");
        let db = Database::open(&temp.path().join("mediasaur.sqlite3"))
            .await
            .expect("database");
        Self { temp, folder, db }
    }

    /// Adds a watch of the folder (recursive, to bucket `photos`, no prefix) after `edit`.
    pub async fn add_watch(&self, edit: impl FnOnce(&mut NewWatch)) -> Watch {
        let mut new = NewWatch {
            folder: self.folder.clone(),
            profile: "default".into(),
            bucket: "photos".into(),
            recursive: true,
            ..NewWatch::default()
        };
        edit(&mut new);
        self.db.add_watch(&new).await.expect("add watch")
    }

    /// Starts `watch` with [`quick_options`].
    pub fn start(&self, watch: &Watch) -> Watcher {
        self.start_with(watch, quick_options())
    }

    pub fn start_with(&self, watch: &Watch, options: WatchOptions) -> Watcher {
        let (tx, rx) = unbounded_channel();
        let handle = FolderWatcher::start(self.db.clone(), watch.clone(), options, tx)
            .expect("start watching");
        Watcher {
            handle: Some(handle),
            events: Events::new(rx, PATIENCE),
        }
    }

    /// Writes `bytes` to `relative` inside the folder, creating folders as needed.
    pub fn write(&self, relative: &str, bytes: &[u8]) -> PathBuf {
        let path = self.folder.join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("folders");
        std::fs::write(&path, bytes).expect("write");
        path
    }

    pub fn path(&self, relative: &str) -> String {
        self.folder
            .join(relative)
            .to_str()
            .expect("utf-8")
            .to_owned()
    }

    /// Every transfer, in id order.
    pub async fn transfers(&self) -> Vec<Row> {
        sqlx::query_as(
            "SELECT id, source, size, modified_ns, bucket, path, watch_id FROM transfers ORDER BY id",
        )
        .fetch_all(self.db.pool())
        .await
        .expect("list transfers")
    }

    /// The source of every transfer, in queue order.
    pub async fn sources(&self) -> Vec<String> {
        self.transfers()
            .await
            .into_iter()
            .map(|r| r.source)
            .collect()
    }

    /// Waits until some transfer comes from `relative`, and returns it.
    pub async fn queued(&self, relative: &str) -> Row {
        let source = self.path(relative);
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(row) = self
                .transfers()
                .await
                .into_iter()
                .find(|r| r.source == source)
            {
                return row;
            }
            assert!(Instant::now() < deadline, "{relative} was never queued");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until at least `count` transfers exist, and returns them all.
    pub async fn at_least(&self, count: usize) -> Vec<Row> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let rows = self.transfers().await;
            if rows.len() >= count {
                return rows;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {count} transfers were queued",
                rows.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Writes a file written after everything else under test and waits until it is queued. Files
    /// are looked at in the order their windows end, so anything the watch would (wrongly) queue
    /// from before is queued by then too.
    pub async fn sentinel(&self, name: &str) -> Row {
        self.write(name, b"sentinel");
        self.queued(name).await
    }
}

/// A running watcher and what it reported.
pub struct Watcher {
    pub handle: Option<WatchHandle>,
    pub events: Events,
}

impl Watcher {
    pub fn handle(&self) -> &WatchHandle {
        self.handle.as_ref().expect("still watching")
    }
}

/// The watcher's events, kept as they arrive.
pub type Events = mediasaur_e2e::events::EventLog<WatchEvent>;

/// The event's file, if it names one.
pub fn event_path(event: &WatchEvent) -> Option<&Path> {
    match event {
        WatchEvent::Waiting { path, .. }
        | WatchEvent::Queued { path, .. }
        | WatchEvent::Skipped { path, .. } => Some(path),
        WatchEvent::Error { path, .. } => path.as_deref(),
    }
}

/// The mtime as the client core records it.
pub fn modified_ns(path: &Path) -> i64 {
    let modified = std::fs::metadata(path)
        .expect("metadata")
        .modified()
        .expect("mtime");
    let since = modified.duration_since(UNIX_EPOCH).expect("after 1970");
    i64::try_from(since.as_nanos()).expect("fits")
}
