//! The queue runner: takes queued transfers from the database, uploads them with the engine under a
//! concurrency limit, writes every state change back, and reports through a channel. It resumes what
//! a crashed or killed process left behind, and notices pauses and cancels made by other processes.

mod credentials;
mod task;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use mediasaur_api::FileObject;
use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::{watch, Notify, OnceCell};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

pub use credentials::{Credentials, FixedCredentials, ProfileCredentials};

use crate::error::{ClientError, ClientResult};
use crate::store::queue::{Transfer, TransferState};
use crate::store::{Database, SqliteResumeStore};
use crate::{ClientConfig, UploadClient};
use task::{Control, TaskContext};

/// What the runner reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum QueueEvent {
    /// A transfer changed state (as written to the database); `file` is the File object once done.
    Changed {
        /// The row after the change.
        transfer: Box<Transfer>,
        /// The File it became (for a duplicate: the File already there).
        file: Option<Box<FileObject>>,
    },
    /// Bytes moved.
    Progress {
        /// Which transfer.
        transfer: i64,
        /// Bytes sent (the server's offset after a failure).
        sent: u64,
        /// The file's size.
        total: u64,
        /// Recent speed.
        bytes_per_second: f64,
        /// Seconds left at that speed, when known.
        eta_seconds: Option<f64>,
    },
    /// A request failed and will be retried.
    Retrying {
        /// Which transfer.
        transfer: i64,
        /// The retry about to happen (1 = first).
        attempt: u32,
        /// The wait before it.
        delay_ms: u64,
        /// The error's code.
        code: String,
        /// The error's message.
        message: String,
    },
    /// Nothing is queued and this runner runs nothing.
    Idle,
}

/// What to do with a file whose bytes the history already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DuplicatePolicy {
    /// Skip it only when the same bytes are already at the same bucket and path; upload copies to
    /// other paths.
    #[default]
    SameDestination,
    /// Skip it when the same bytes are anywhere in the same bucket.
    AnyPath,
    /// Never skip: always send (the server still reports bytes already at the destination).
    Never,
}

/// How the runner works.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// Transfers sending at once.
    pub concurrency: usize,
    /// The engine's settings (its own concurrency is raised to at least the runner's).
    pub client: ClientConfig,
    /// How long a claim on a running transfer holds without a heartbeat.
    pub lease: Duration,
    /// How often claims are renewed and other processes' pauses and cancels are noticed.
    pub heartbeat: Duration,
    /// Duplicate detection.
    pub duplicates: DuplicatePolicy,
    /// Stop once nothing is queued and nothing runs, here or under another runner's live lease
    /// (`mediasaur queue run`).
    pub exit_when_idle: bool,
    /// Take only transfers queued with this batch tag (`mediasaur upload` runs just its own files).
    pub batch: Option<String>,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            client: ClientConfig::default(),
            lease: Duration::from_secs(20),
            heartbeat: Duration::from_secs(2),
            duplicates: DuplicatePolicy::default(),
            exit_when_idle: false,
            batch: None,
        }
    }
}

/// What a runner did, when it stops.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    /// Transfers it finished as `done`.
    pub done: u64,
    /// Transfers that failed.
    pub failed: u64,
    /// Transfers stopped by a pause or cancel.
    pub stopped: u64,
    /// Transfers it handed back to the queue because it was stopped.
    pub interrupted: u64,
}

/// A running queue runner. Dropping it stops the runner; transfers in flight go back to the queue
/// with their server-side progress kept.
#[derive(Debug)]
pub struct QueueHandle {
    token: CancellationToken,
    wake: Arc<Notify>,
    clients: Arc<ClientCells>,
    task: Option<JoinHandle<ClientResult<RunSummary>>>,
}

impl QueueHandle {
    /// Looks at the queue now (after enqueueing, pausing or cancelling) instead of at the next
    /// heartbeat.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Drops the client made for `profile` (its key or endpoint changed); transfers that start
    /// after this make a new one from the current profile and key.
    pub fn forget_client(&self, profile: &str) {
        self.clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(profile);
    }

    /// A token that stops the runner when cancelled, for stopping it (on Ctrl-C, from another task)
    /// while [`QueueHandle::wait`] owns the handle.
    pub fn stop_token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// Wakes the runner from another task (see [`QueueHandle::wake`]).
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Asks the runner to stop; [`QueueHandle::wait`] returns once it has.
    pub fn stop(&self) {
        self.token.cancel();
    }

    /// Waits for the runner to stop (on its own with `exit_when_idle`, or after [`QueueHandle::stop`]).
    pub async fn wait(mut self) -> ClientResult<RunSummary> {
        let Some(task) = self.task.take() else {
            return Ok(RunSummary::default());
        };
        match task.await {
            Ok(result) => result,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(_) => Err(ClientError::Interrupted),
        }
    }
}

impl Drop for QueueHandle {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

/// Cancels transfer `id` for good. When it had begun a tus upload, the server is told to drop it;
/// a runner that is sending it (in this process or another) stops at its next heartbeat. The
/// cancel stands even if the server cannot be reached (the upload then expires there).
pub async fn cancel_transfer(
    db: &Database,
    credentials: &dyn Credentials,
    id: i64,
) -> ClientResult<Transfer> {
    let row = db.cancel_transfer(id).await?;
    let Some(url) = row
        .upload_url
        .as_deref()
        .filter(|_| row.acked_bytes < row.size)
    else {
        return Ok(row);
    };
    let discarded = async {
        let url = url::Url::parse(url)
            .map_err(|e| ClientError::InvalidResponse(format!("a saved upload URL: {e}")))?;
        let (endpoint, key) = credentials.for_profile(&row.profile).await?;
        UploadClient::new(&endpoint, key, ClientConfig::default())?
            .discard_upload(&url)
            .await
    };
    if let Err(error) = discarded.await {
        tracing::warn!(transfer = id, %error, "the canceled upload could not be dropped on the server");
    }
    Ok(row)
}

/// Starts a runner over `db`'s queue. Clients are made per profile from `credentials`.
pub fn start_queue(
    db: Database,
    credentials: Arc<dyn Credentials>,
    config: QueueConfig,
    events: UnboundedSender<QueueEvent>,
) -> ClientResult<QueueHandle> {
    if config.concurrency == 0 {
        return Err(ClientError::invalid(
            mediasaur_api::ErrorCode::InvalidRequest,
            "the queue's concurrency must be at least 1",
        ));
    }
    let token = CancellationToken::new();
    let wake = Arc::new(Notify::new());
    let clients = Arc::new(ClientCells::default());
    let runner = Runner {
        context: Arc::new(TaskContext {
            resume_store: Arc::new(SqliteResumeStore::new(db.clone())),
            db,
            credentials,
            clients: clients.clone(),
            events,
            duplicates: config.duplicates,
            client_config: ClientConfig {
                concurrency: config.client.concurrency.max(config.concurrency),
                ..config.client.clone()
            },
        }),
        runner_id: crate::store::new_runner_id(),
        config,
        token: token.clone(),
        wake: wake.clone(),
    };
    let task = tokio::spawn(runner.run());
    Ok(QueueHandle {
        token,
        wake,
        clients,
        task: Some(task),
    })
}

struct Runner {
    context: Arc<TaskContext>,
    runner_id: String,
    config: QueueConfig,
    token: CancellationToken,
    wake: Arc<Notify>,
}

/// One transfer this runner is sending, and the way to stop it.
struct Active {
    control: watch::Sender<Control>,
}

impl Runner {
    async fn run(self) -> ClientResult<RunSummary> {
        let db = &self.context.db;
        let lease_ms = i64::try_from(self.config.lease.as_millis()).unwrap_or(i64::MAX);
        db.release_stale_claims().await?;
        let mut active: HashMap<i64, Active> = HashMap::new();
        let mut tasks: JoinSet<(i64, task::Ended)> = JoinSet::new();
        let mut summary = RunSummary::default();
        let mut heartbeat = tokio::time::interval(self.config.heartbeat);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut was_idle = false;
        loop {
            let free = self.config.concurrency.saturating_sub(active.len());
            if free > 0 && !self.token.is_cancelled() {
                let limit = u32::try_from(free).unwrap_or(u32::MAX);
                for transfer in db
                    .claim_transfers(
                        &self.runner_id,
                        lease_ms,
                        limit,
                        self.config.batch.as_deref(),
                    )
                    .await?
                {
                    let id = transfer.id;
                    if active.contains_key(&id) {
                        // Paused and resumed before its old task finished stopping: hand it back,
                        // and claim it again once that task is gone, so two tasks never share a row.
                        db.unclaim_transfer(id).await?;
                        continue;
                    }
                    let (control, control_rx) = watch::channel(Control::Run);
                    self.context.changed(transfer.clone(), None);
                    tasks.spawn(task::run(self.context.clone(), transfer, control_rx));
                    active.insert(id, Active { control });
                    was_idle = false;
                }
            }
            if active.is_empty() {
                if self.token.is_cancelled() {
                    break;
                }
                if !was_idle {
                    was_idle = true;
                    let _ = self.context.events.send(QueueEvent::Idle);
                }
                if self.config.exit_when_idle
                    && db
                        .running_elsewhere(&self.runner_id, self.config.batch.as_deref())
                        .await?
                        == 0
                {
                    break;
                }
            }
            tokio::select! {
                () = self.token.cancelled() => {
                    for running in active.values() {
                        running.control.send_replace(Control::Stop);
                    }
                    if active.is_empty() {
                        break;
                    }
                    // Wait for the tasks to hand their rows back.
                    while let Some(joined) = tasks.join_next().await {
                        if let Ok((id, ended)) = joined {
                            active.remove(&id);
                            summary.count(ended);
                        }
                    }
                    break;
                }
                () = self.wake.notified() => {
                    self.check_claims(&mut active).await?;
                }
                _ = heartbeat.tick() => {
                    self.check_claims(&mut active).await?;
                    db.release_stale_claims().await?;
                }
                Some(joined) = tasks.join_next() => {
                    match joined {
                        Ok((id, ended)) => {
                            active.remove(&id);
                            summary.count(ended);
                        }
                        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                        Err(_) => {}
                    }
                }
            }
        }
        Ok(summary)
    }

    /// Renews this runner's claims and stops the transfers someone paused or canceled.
    async fn check_claims(&self, active: &mut HashMap<i64, Active>) -> ClientResult<()> {
        let lease_ms = i64::try_from(self.config.lease.as_millis()).unwrap_or(i64::MAX);
        let ids: Vec<i64> = active.keys().copied().collect();
        let states = self
            .context
            .db
            .renew_claims(&self.runner_id, lease_ms, &ids)
            .await?;
        for (id, state) in states {
            let signal = match state {
                TransferState::Running => continue,
                TransferState::Canceled => Control::Cancel,
                _ => Control::Stop,
            };
            if let Some(running) = active.get(&id) {
                running.control.send_replace(signal);
            }
        }
        Ok(())
    }
}

impl RunSummary {
    fn count(&mut self, ended: task::Ended) {
        match ended {
            task::Ended::Done => self.done += 1,
            task::Ended::Failed => self.failed += 1,
            task::Ended::Stopped => self.stopped += 1,
            task::Ended::Interrupted => self.interrupted += 1,
        }
    }
}

/// Clients made so far, one per profile; made once even when many transfers ask at the same time.
type ClientCells = Mutex<HashMap<String, Arc<OnceCell<UploadClient>>>>;

impl TaskContext {
    fn changed(&self, transfer: Transfer, file: Option<FileObject>) {
        let _ = self.events.send(QueueEvent::Changed {
            transfer: Box::new(transfer),
            file: file.map(Box::new),
        });
    }

    /// The client for `profile`, made on first use.
    async fn client(&self, profile: &str) -> ClientResult<UploadClient> {
        let cell = self
            .clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(profile.to_owned())
            .or_default()
            .clone();
        cell.get_or_try_init(|| async {
            let (endpoint, key) = self.credentials.for_profile(profile).await?;
            UploadClient::with_resume_store(
                &endpoint,
                key,
                self.client_config.clone(),
                self.resume_store.clone(),
            )
        })
        .await
        .cloned()
    }
}
