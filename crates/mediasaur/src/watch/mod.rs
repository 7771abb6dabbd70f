//! Watched folders: files that appear in a folder (created, or renamed into place from a temporary
//! name) are queued for upload once finished — size and mtime unchanged for a stability window and
//! readable — exactly once each. A [`WatchHandle`] runs one watch in the background and reports
//! what happens through [`WatchEvent`]s; dropping it stops the watch.

mod ignore;
mod recheck;
mod report;
mod scan;
mod stability;
mod uploaded;
mod worker;

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mediasaur_api::ObjectPath;
use notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer_opt, RecommendedCache};
use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::error::{ClientError, ClientResult};
use crate::store::watches::Watch;
use crate::store::Database;

pub use ignore::{IgnoreMatch, IgnoreRules, DEFAULT_IGNORE};
pub use stability::WaitReason;
pub use uploaded::{apply_after_upload, move_to_uploaded, UPLOADED_FOLDER};

/// How a watch decides that a file is finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchOptions {
    /// How long a file's size and mtime must hold still.
    pub stability_window: Duration,
    /// The longest window: a file seen growing waits twice as long each time, up to this.
    pub max_stability_window: Duration,
    /// How long the file system's events are gathered before they are looked at. Kept below half
    /// the stability window, so an event is always seen before the window it belongs to ends.
    pub debounce: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self {
            stability_window: Duration::from_secs(2),
            max_stability_window: Duration::from_secs(30),
            debounce: Duration::from_millis(50),
        }
    }
}

/// Why a finished file was not queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SkipReason {
    /// The history holds an upload of this very file (path, size, mtime and SHA-256).
    AlreadyUploaded {
        /// The bytes' SHA-256.
        sha256: String,
    },
    /// An unfinished transfer of this file to the same destination is in the queue.
    AlreadyQueued {
        /// That transfer.
        transfer: i64,
    },
    /// A temporary or system file, or one of the watch's ignore patterns.
    Ignored {
        /// The pattern that matched.
        pattern: String,
    },
}

/// What a watch reports, in the order it happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WatchEvent {
    /// A file is not queued yet, for this reason (sent when the reason changes).
    Waiting {
        /// The watch's id.
        watch: i64,
        /// The local file.
        path: PathBuf,
        /// Why it waits.
        reason: WaitReason,
    },
    /// A finished file was added to the transfer queue.
    Queued {
        /// The watch's id.
        watch: i64,
        /// The local file.
        path: PathBuf,
        /// The new transfer.
        transfer: i64,
    },
    /// A file that will not be queued.
    Skipped {
        /// The watch's id.
        watch: i64,
        /// The local file.
        path: PathBuf,
        /// Why.
        reason: SkipReason,
    },
    /// Something went wrong with one file (or, without a path, with the watch); the watch goes on.
    Error {
        /// The watch's id.
        watch: i64,
        /// The file or folder concerned.
        path: Option<PathBuf>,
        /// The stable code of the [`ClientError`].
        code: String,
        /// What happened.
        message: String,
    },
}

/// A file the watch has seen but not queued, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PendingFile {
    /// The local file.
    pub path: PathBuf,
    /// Why it is not queued (yet).
    pub reason: WaitReason,
}

/// What each waiting file waits for, shared between the watch's task and its handle.
type PendingMap = Arc<Mutex<BTreeMap<PathBuf, WaitReason>>>;

/// Starts watches.
#[derive(Debug)]
pub struct FolderWatcher;

impl FolderWatcher {
    /// Starts watching `watch.folder` in the background (on the current tokio runtime): first a scan
    /// of what is already there, then the file system's events. Files are queued in `db`; progress
    /// goes to `events`. A paused watch (`watch.paused`) tracks files but queues nothing until
    /// [`WatchHandle::set_paused`] resumes it.
    pub fn start(
        db: Database,
        watch: Watch,
        options: WatchOptions,
        events: UnboundedSender<WatchEvent>,
    ) -> ClientResult<WatchHandle> {
        let rules = IgnoreRules::new(&watch.ignore)?;
        let failed = |message: String| ClientError::WatchFailed {
            folder: watch.folder.clone(),
            message,
        };
        match std::fs::metadata(&watch.folder) {
            Ok(metadata) if metadata.is_dir() => {}
            Ok(_) => return Err(failed("it is not a folder".into())),
            Err(error) => return Err(failed(error.to_string())),
        }
        let options = WatchOptions {
            debounce: options.debounce.min(options.stability_window / 2),
            ..options
        };
        let (raw_tx, raw_rx) = tokio::sync::mpsc::unbounded_channel();
        let mut debouncer = new_debouncer_opt::<_, RecommendedWatcher, _>(
            options.debounce.max(Duration::from_millis(1)),
            None,
            move |result| {
                // The receiver is gone only once the watch stopped.
                let _ = raw_tx.send(result);
            },
            RecommendedCache::new(),
            // A link to a folder is never entered, so a link loop cannot make the watch recurse.
            notify::Config::default().with_follow_symlinks(false),
        )
        .map_err(|e| failed(describe_notify(&e)))?;
        let mode = if watch.recursive {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        };
        debouncer
            .watch(&watch.folder, mode)
            .map_err(|e| failed(describe_notify(&e)))?;

        let cancel = CancellationToken::new();
        let (paused_tx, paused_rx) = tokio::sync::watch::channel(watch.paused);
        let pending = PendingMap::default();
        let watch_id = watch.id;
        let worker = worker::Worker::new(
            db,
            watch,
            rules,
            options,
            report::Reporter::new(watch_id, events, pending.clone()),
            paused_rx,
        );
        let task = tokio::spawn(worker.run(raw_rx, debouncer, cancel.clone()));
        Ok(WatchHandle {
            watch_id,
            cancel,
            paused: paused_tx,
            pending,
            task: Some(task),
        })
    }
}

/// A running watch. Dropping it stops the watch.
#[derive(Debug)]
pub struct WatchHandle {
    watch_id: i64,
    cancel: CancellationToken,
    paused: tokio::sync::watch::Sender<bool>,
    pending: PendingMap,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl WatchHandle {
    /// The watch's id.
    pub fn watch_id(&self) -> i64 {
        self.watch_id
    }

    /// Stops watching; files not queued yet are left alone.
    pub fn stop(&self) {
        self.cancel.cancel();
    }

    /// Stops watching and waits until the watch has stopped for good.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Pauses (nothing is queued; finished files wait) or resumes the watch. Files that finished
    /// while it was paused are looked at once more, one stability window after it resumes.
    pub fn set_paused(&self, paused: bool) {
        self.paused.send_replace(paused);
    }

    /// Whether the watch is paused.
    pub fn is_paused(&self) -> bool {
        *self.paused.borrow()
    }

    /// The files seen but not queued, and why, sorted by path.
    pub fn pending(&self) -> Vec<PendingFile> {
        let pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending
            .iter()
            .map(|(path, reason)| PendingFile {
                path: path.clone(),
                reason: reason.clone(),
            })
            .collect()
    }
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// The object path a file of `watch` is uploaded to: the watch's prefix, then the file's path
/// relative to the folder with `/` separators, NFC.
pub fn remote_path(watch: &Watch, file: &Path) -> ClientResult<String> {
    let relative = relative_path(&watch.folder, file).map_err(|reason| {
        ClientError::invalid(
            mediasaur_api::ErrorCode::InvalidPath,
            format!("{}: {reason}", file.display()),
        )
    })?;
    let joined = if watch.prefix.is_empty() {
        relative
    } else {
        format!("{}/{relative}", watch.prefix)
    };
    let path = ObjectPath::parse(&joined).map_err(|e| {
        ClientError::invalid(
            e.code(),
            format!("{} cannot be uploaded: {e}", file.display()),
        )
    })?;
    Ok(path.as_str().to_owned())
}

/// `path` relative to `folder`, `/`-separated; an error saying why there is none.
pub(crate) fn relative_path(folder: &Path, path: &Path) -> Result<String, &'static str> {
    let inside = path
        .strip_prefix(folder)
        .map_err(|_| "it is not inside the watched folder")?;
    let mut parts = Vec::new();
    for component in inside.components() {
        match component {
            Component::Normal(part) => parts.push(
                part.to_str()
                    .ok_or("its name is not valid UTF-8, which object paths must be")?,
            ),
            _ => return Err("it is not inside the watched folder"),
        }
    }
    if parts.is_empty() {
        return Err("it is the watched folder itself");
    }
    Ok(parts.join("/"))
}

/// notify's error, with what to do about the limits people actually hit.
fn describe_notify(error: &notify::Error) -> String {
    match &error.kind {
        notify::ErrorKind::MaxFilesWatch => "the system's limit on watched folders is reached \
             (on Linux, raise fs.inotify.max_user_watches)"
            .to_owned(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::watches::AfterUpload;

    fn watch(folder: &str, prefix: &str) -> Watch {
        Watch {
            id: 1,
            folder: PathBuf::from(folder),
            profile: "default".into(),
            bucket: "photos".into(),
            prefix: prefix.into(),
            recursive: true,
            ignore: vec![],
            after_upload: AfterUpload::Keep,
            paused: false,
            created_at: 0,
        }
    }

    #[test]
    fn remote_paths_are_the_prefix_then_the_relative_path_in_nfc() {
        let w = watch("/w", "camera/2026");
        assert_eq!(
            remote_path(&w, Path::new("/w/a/b.jpg")).unwrap(),
            "camera/2026/a/b.jpg"
        );
        let flat = watch("/w", "");
        assert_eq!(
            remote_path(&flat, Path::new("/w/cafe\u{301}.jpg")).unwrap(),
            "caf\u{e9}.jpg"
        );
    }

    #[test]
    fn files_that_cannot_be_object_paths_are_coded_errors() {
        let w = watch("/w", "");
        let err = remote_path(&w, Path::new("/elsewhere/a.jpg")).unwrap_err();
        assert_eq!(err.code(), "invalid_path");
        let err = remote_path(&w, Path::new("/w")).unwrap_err();
        assert_eq!(err.code(), "invalid_path");
        if cfg!(unix) {
            let err = remote_path(&w, Path::new("/w/back\\slash.jpg")).unwrap_err();
            assert_eq!(err.code(), "invalid_path");
            assert!(err.to_string().contains("back\\slash.jpg"), "{err}");
        }
    }

    #[test]
    fn events_serialize_with_a_type_tag() {
        let event = WatchEvent::Skipped {
            watch: 3,
            path: PathBuf::from("/w/a.part"),
            reason: SkipReason::Ignored {
                pattern: "*.part".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            serde_json::json!({
                "type": "skipped",
                "watch": 3,
                "path": "/w/a.part",
                "reason": {"kind": "ignored", "pattern": "*.part"}
            })
        );
    }
}
