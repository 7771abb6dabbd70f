//! How a watch tells the world: its events, and the shared list of waiting files kept in step with
//! them.

use std::path::Path;
use std::sync::PoisonError;

use tokio::sync::mpsc::UnboundedSender;

use super::stability::WaitReason;
use super::{PendingMap, SkipReason, WatchEvent};
use crate::error::ClientError;

/// Sends a watch's events and keeps the shared list of waiting files in step with them.
#[derive(Debug)]
pub(super) struct Reporter {
    watch: i64,
    events: UnboundedSender<WatchEvent>,
    pending: PendingMap,
}

impl Reporter {
    pub fn new(watch: i64, events: UnboundedSender<WatchEvent>, pending: PendingMap) -> Self {
        Self {
            watch,
            events,
            pending,
        }
    }

    fn send(&self, event: WatchEvent) {
        // Nobody listening is fine: the queue is the result, events only describe it.
        let _ = self.events.send(event);
    }

    /// Records `reason` for `path`; whether it differs from what was recorded.
    fn set(&self, path: &Path, reason: WaitReason) -> bool {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending.insert(path.to_path_buf(), reason.clone()) != Some(reason)
    }

    pub fn clear(&self, path: &Path) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending.remove(path);
    }

    pub fn waiting(&self, path: &Path, reason: WaitReason) {
        if self.set(path, reason.clone()) {
            self.send(WatchEvent::Waiting {
                watch: self.watch,
                path: path.to_path_buf(),
                reason,
            });
        }
    }

    pub fn ignored(&self, path: &Path, pattern: String) {
        if self.set(
            path,
            WaitReason::Ignored {
                pattern: pattern.clone(),
            },
        ) {
            self.skipped(path, SkipReason::Ignored { pattern }, false);
        }
    }

    pub fn skipped(&self, path: &Path, reason: SkipReason, done: bool) {
        if done {
            self.clear(path);
        }
        self.send(WatchEvent::Skipped {
            watch: self.watch,
            path: path.to_path_buf(),
            reason,
        });
    }

    pub fn queued(&self, path: &Path, transfer: i64) {
        self.clear(path);
        self.send(WatchEvent::Queued {
            watch: self.watch,
            path: path.to_path_buf(),
            transfer,
        });
    }

    pub fn error(&self, path: Option<&Path>, error: &ClientError) {
        if let Some(path) = path {
            self.clear(path);
        }
        self.send(WatchEvent::Error {
            watch: self.watch,
            path: path.map(Path::to_path_buf),
            code: error.code().to_owned(),
            message: error.to_string(),
        });
    }
}
