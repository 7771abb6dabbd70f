//! A long-running client session, as the desktop app runs one: the local stores, the settings,
//! one queue runner and a watcher per watched folder, with everything a UI shows leaving through
//! one channel of [`SessionEvent`]s. It knows nothing of any UI toolkit.

mod events;
mod history;
mod profiles;
mod pump;
mod queue;
mod requests;
mod watches;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::mpsc::{self, UnboundedSender};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use events::{BatchSummary, SessionEvent};
pub use history::ShareLinkMade;
pub use profiles::{AppStatus, ProfileCheck, ProfileInput, ProfileView, LOCAL_SERVER_ENV};
pub use queue::{AddReport, ClipboardImage, TransferAction, UploadTarget};
pub use requests::{RequestMethod, UploadRequest, UploadRequestInput};
pub use watches::WatchView;

use crate::error::ClientResult;
use crate::local::LocalStores;
use crate::settings::{Settings, SettingsStore};
use crate::store::Database;
use crate::transfers::{start_queue, QueueConfig, QueueHandle};
use crate::watch::WatchEvent;
use crate::ClientConfig;

/// The running session; cheap to clone.
#[derive(Debug, Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    stores: LocalStores,
    settings_store: SettingsStore,
    settings: Mutex<Settings>,
    db: Database,
    events: UnboundedSender<SessionEvent>,
    watch_events: UnboundedSender<WatchEvent>,
    runner: Mutex<Option<Runner>>,
    watches: Mutex<HashMap<i64, watches::RunningWatch>>,
    shutdown: CancellationToken,
}

/// The queue runner and the task that turns its events into session events.
#[derive(Debug)]
struct Runner {
    handle: QueueHandle,
    pump: JoinHandle<()>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Session {
    /// Opens the stores, starts the queue runner and every watch. Events go to `events` until
    /// [`Session::shutdown`]. Must be called on a tokio runtime.
    pub async fn open(
        stores: LocalStores,
        events: UnboundedSender<SessionEvent>,
    ) -> ClientResult<Self> {
        let settings_store = SettingsStore::in_dir(&stores.config_dir);
        let settings = settings_store.load()?;
        let db = stores.database().await?;
        let (watch_events, watch_events_rx) = mpsc::unbounded_channel();
        let session = Self {
            inner: Arc::new(Inner {
                stores,
                settings_store,
                settings: Mutex::new(settings),
                db,
                events,
                watch_events,
                runner: Mutex::new(None),
                watches: Mutex::new(HashMap::new()),
                shutdown: CancellationToken::new(),
            }),
        };
        session.start_runner()?;
        tokio::spawn(watches::pump(session.clone(), watch_events_rx));
        session.start_all_watches().await?;
        session.resume_requests().await?;
        Ok(session)
    }

    /// The local database.
    pub fn database(&self) -> &Database {
        &self.inner.db
    }

    /// The profiles, keyring and data dir.
    pub fn stores(&self) -> &LocalStores {
        &self.inner.stores
    }

    /// The current settings.
    pub fn settings(&self) -> Settings {
        lock(&self.inner.settings).clone()
    }

    /// Checks, saves and applies `settings`: the queue runner restarts with the new limits
    /// (transfers it was sending continue where the server left them).
    pub async fn save_settings(&self, settings: Settings) -> ClientResult<Settings> {
        self.inner.settings_store.save(&settings)?;
        let runner_changed = {
            let mut current = lock(&self.inner.settings);
            let changed = (
                current.concurrency,
                current.bandwidth_limit,
                current.chunk_size,
                current.duplicates,
            ) != (
                settings.concurrency,
                settings.bandwidth_limit,
                settings.chunk_size,
                settings.duplicates,
            );
            *current = settings.clone();
            changed
        };
        if runner_changed {
            self.stop_runner().await;
            self.start_runner()?;
        }
        Ok(settings)
    }

    /// Tells the runner that profile `name`'s endpoint or key changed, and to look at the queue.
    fn profile_changed(&self, name: &str) {
        if let Some(runner) = lock(&self.inner.runner).as_ref() {
            runner.handle.forget_client(name);
            runner.handle.wake();
        }
    }

    /// Tells the runner to look at the queue now.
    pub fn wake_runner(&self) {
        if let Some(runner) = lock(&self.inner.runner).as_ref() {
            runner.handle.wake();
        }
    }

    /// Stops the runner (unfinished transfers stay queued for the next start), every watch and the
    /// request checks; waits for them.
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        self.stop_runner().await;
        let running: Vec<_> = lock(&self.inner.watches).drain().collect();
        for (_, watch) in running {
            watch.shutdown().await;
        }
    }

    fn emit(&self, event: SessionEvent) {
        // No receiver means the app is closing; nothing is lost that the database does not hold.
        let _ = self.inner.events.send(event);
    }

    fn start_runner(&self) -> ClientResult<()> {
        let settings = self.settings();
        let concurrency = usize::try_from(settings.concurrency).unwrap_or(1);
        let config = QueueConfig {
            concurrency,
            client: ClientConfig {
                concurrency,
                bandwidth_limit: settings.bandwidth_limit,
                chunk_size: settings.chunk_size,
                ..ClientConfig::default()
            },
            duplicates: settings.duplicates,
            ..QueueConfig::default()
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let handle = start_queue(
            self.inner.db.clone(),
            self.inner.stores.credentials(),
            config,
            tx,
        )?;
        let pump = tokio::spawn(pump::run(self.clone(), rx));
        *lock(&self.inner.runner) = Some(Runner { handle, pump });
        Ok(())
    }

    async fn stop_runner(&self) {
        let runner = lock(&self.inner.runner).take();
        if let Some(Runner { handle, pump }) = runner {
            handle.stop();
            if let Err(error) = handle.wait().await {
                tracing::warn!(%error, "the queue runner stopped with an error");
            }
            // The pump ends once the runner's sender is gone.
            let _ = pump.await;
        }
    }
}
