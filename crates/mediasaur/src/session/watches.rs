//! Watched folders in a session: one watcher per watch, started with the session, restarted when a
//! watch changes; their events wake the queue runner and tell the UI to look again.

use std::collections::HashMap;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::MissedTickBehavior;

use super::{lock, Session, SessionEvent};
use crate::error::ClientResult;
use crate::store::watches::{NewWatch, Watch};
use crate::watch::{FolderWatcher, PendingFile, WatchEvent, WatchHandle, WatchOptions};

/// How often, at most, the UI is told that watches changed.
const NOTIFY_EVERY: Duration = Duration::from_millis(250);

/// A watch as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WatchView {
    /// The watch.
    pub watch: Watch,
    /// Its watcher runs (false when the folder could not be watched).
    pub running: bool,
    /// The last problem, in words.
    pub error: Option<String>,
    /// Files seen but not queued, and why.
    pub pending: Vec<PendingFile>,
}

/// A watch's watcher, or why there is none, and its last error.
#[derive(Debug, Default)]
pub(super) struct RunningWatch {
    handle: Option<WatchHandle>,
    error: Option<String>,
}

impl RunningWatch {
    pub(super) async fn shutdown(self) {
        if let Some(handle) = self.handle {
            handle.shutdown().await;
        }
    }
}

impl Session {
    pub(super) async fn start_all_watches(&self) -> ClientResult<()> {
        for watch in self.database().watches().await? {
            self.start_watch(watch);
        }
        Ok(())
    }

    fn start_watch(&self, watch: Watch) {
        let id = watch.id;
        let started = FolderWatcher::start(
            self.database().clone(),
            watch,
            WatchOptions::default(),
            self.inner.watch_events.clone(),
        );
        let running = match started {
            Ok(handle) => RunningWatch {
                handle: Some(handle),
                error: None,
            },
            Err(error) => RunningWatch {
                handle: None,
                error: Some(format!("{error} [{}]", error.code())),
            },
        };
        lock(&self.inner.watches).insert(id, running);
    }

    async fn stop_watch(&self, id: i64) {
        let running = lock(&self.inner.watches).remove(&id);
        if let Some(running) = running {
            running.shutdown().await;
        }
    }

    /// Every watch with its state and waiting files, oldest first.
    pub async fn watches(&self) -> ClientResult<Vec<WatchView>> {
        let watches = self.database().watches().await?;
        let running = lock(&self.inner.watches);
        Ok(watches
            .into_iter()
            .map(|watch| {
                let state = running.get(&watch.id);
                let handle = state.and_then(|s| s.handle.as_ref());
                WatchView {
                    running: handle.is_some(),
                    error: state.and_then(|s| s.error.clone()),
                    pending: handle.map(WatchHandle::pending).unwrap_or_default(),
                    watch,
                }
            })
            .collect())
    }

    async fn watch_view(&self, id: i64) -> ClientResult<WatchView> {
        self.watches()
            .await?
            .into_iter()
            .find(|v| v.watch.id == id)
            .ok_or_else(|| crate::ClientError::NotFound {
                what: format!("watch {id}"),
            })
    }

    /// Adds a watch (checked by the database) and starts it.
    pub async fn add_watch(&self, new: NewWatch) -> ClientResult<WatchView> {
        let watch = self.database().add_watch(&new).await?;
        let id = watch.id;
        self.start_watch(watch);
        self.emit(SessionEvent::WatchesChanged);
        self.watch_view(id).await
    }

    /// Changes a watch and restarts its watcher.
    pub async fn update_watch(&self, id: i64, new: NewWatch) -> ClientResult<WatchView> {
        let watch = self.database().update_watch(id, &new).await?;
        self.stop_watch(id).await;
        self.start_watch(watch);
        self.emit(SessionEvent::WatchesChanged);
        self.watch_view(id).await
    }

    /// Pauses or resumes a watch.
    pub async fn set_watch_paused(&self, id: i64, paused: bool) -> ClientResult<WatchView> {
        self.database().set_watch_paused(id, paused).await?;
        if let Some(handle) = lock(&self.inner.watches)
            .get(&id)
            .and_then(|s| s.handle.as_ref())
        {
            handle.set_paused(paused);
        }
        self.emit(SessionEvent::WatchesChanged);
        self.watch_view(id).await
    }

    /// Stops and removes a watch; transfers it queued stay.
    pub async fn remove_watch(&self, id: i64) -> ClientResult<()> {
        self.database().remove_watch(id).await?;
        self.stop_watch(id).await;
        self.emit(SessionEvent::WatchesChanged);
        Ok(())
    }
}

/// Reads every watch's events: a queued file wakes the runner, an error is kept for its watch, and
/// the UI hears (at most four times a second) that something changed.
pub(super) async fn pump(session: Session, mut events: UnboundedReceiver<WatchEvent>) {
    let mut dirty = false;
    let mut errors: HashMap<i64, String> = HashMap::new();
    let mut tick = tokio::time::interval(NOTIFY_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break };
                dirty = true;
                match event {
                    WatchEvent::Queued { .. } => session.wake_runner(),
                    WatchEvent::Error { watch, path, code, message } => {
                        let place = path.map(|p| format!("{}: ", p.display())).unwrap_or_default();
                        errors.insert(watch, format!("{place}{message} [{code}]"));
                    }
                    WatchEvent::Waiting { .. } | WatchEvent::Skipped { .. } => {}
                }
            }
            () = session.inner.shutdown.cancelled() => break,
            _ = tick.tick() => {
                if !dirty {
                    continue;
                }
                dirty = false;
                let mut running = lock(&session.inner.watches);
                for (watch, error) in errors.drain() {
                    if let Some(state) = running.get_mut(&watch) {
                        state.error = Some(error);
                    }
                }
                drop(running);
                session.emit(SessionEvent::WatchesChanged);
            }
        }
    }
}
