//! Runs one claimed transfer: checks the file is still there, skips duplicates the history already
//! holds, uploads with the engine (resuming from the row's saved state), and records how it ended.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::mpsc::{self, UnboundedSender};
use tokio::sync::watch;

use super::{ClientCells, Credentials, DuplicatePolicy, QueueEvent};
use crate::error::{blocking, ClientError, ClientResult};
use crate::store::history::{HistoryEntry, NewHistoryEntry};
use crate::store::queue::{Transfer, TransferOutcome, TransferState};

use crate::store::Database;
use crate::upload::{sha256_of_file, ResumeStore, UploadEvent, UploadState};
use crate::watch::apply_after_upload;
use crate::{ClientConfig, Destination, UploadOptions, UploadOutcome};

/// What the runner wants a task to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Control {
    /// Keep going.
    Run,
    /// Stop, keeping the server-side progress (paused by the user, or the runner is stopping).
    Stop,
    /// Stop and drop the server-side upload.
    Cancel,
}

/// How a task ended, for the runner's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ended {
    Done,
    Failed,
    /// Paused or canceled by the user.
    Stopped,
    /// Handed back to the queue because the runner is stopping.
    Interrupted,
}

/// What every task of one runner shares.
pub(super) struct TaskContext {
    pub(super) db: Database,
    pub(super) credentials: Arc<dyn Credentials>,
    pub(super) resume_store: Arc<dyn ResumeStore>,
    pub(super) clients: Arc<ClientCells>,
    pub(super) events: UnboundedSender<QueueEvent>,
    pub(super) duplicates: DuplicatePolicy,
    pub(super) client_config: ClientConfig,
}

impl std::fmt::Debug for TaskContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskContext")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

/// Runs `transfer` to its end and records it; never fails (every failure is written to its row).
pub(super) async fn run(
    context: Arc<TaskContext>,
    transfer: Transfer,
    mut control: watch::Receiver<Control>,
) -> (i64, Ended) {
    let id = transfer.id;
    let result = attempt(&context, &transfer, &mut control).await;
    let ended = match result {
        Ok((outcome, file, entry)) => {
            let file_id = file.as_ref().map(|f| f.id.clone());
            let recorded = retry_database(|| {
                context
                    .db
                    .finish_transfer(id, outcome, file_id.as_deref(), entry.as_ref())
            })
            .await;
            if let (Ok(row), Some(watch_id)) = (&recorded, transfer.watch_id) {
                after_upload(&context, row, watch_id).await;
            }
            let ended = if recorded.is_ok() {
                Ended::Done
            } else {
                Ended::Failed
            };
            report(&context, recorded, file);
            ended
        }
        Err(ClientError::Interrupted | ClientError::Cancelled) => {
            if *control.borrow() == Control::Stop && !stopped_by_user(&context, id).await {
                report(&context, context.db.unclaim_transfer(id).await, None);
                Ended::Interrupted
            } else {
                report(&context, context.db.transfer(id).await, None);
                Ended::Stopped
            }
        }
        Err(error) => {
            let failed = context
                .db
                .fail_transfer(id, error.code(), &error.to_string())
                .await;
            let ended = match &failed {
                Ok(row) if row.state == TransferState::Failed => Ended::Failed,
                _ => Ended::Stopped,
            };
            report(&context, failed, None);
            ended
        }
    };
    (id, ended)
}

/// Runs a database write again after a short wait when it fails, so a busy moment (another process
/// holding the write lock past the busy timeout) does not lose how a transfer ended.
async fn retry_database<T, F, Fut>(mut write: F) -> ClientResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ClientResult<T>>,
{
    let mut delay = std::time::Duration::from_millis(100);
    for _ in 0..4 {
        match write().await {
            Err(ClientError::Database { .. }) => {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            done => return done,
        }
    }
    write().await
}

/// Applies the watch's "after upload" action to a file it queued. A file that cannot be moved stays
/// where it is: it is uploaded, and the history keeps it from being sent again.
async fn after_upload(context: &TaskContext, transfer: &Transfer, watch_id: i64) {
    if let Err(error) = apply_after_upload(&context.db, watch_id, &transfer.source).await {
        let file = transfer.source.display();
        tracing::warn!(%error, %file, "cannot move an uploaded file");
    }
}

/// Whether the row was paused or canceled (rather than the runner stopping).
async fn stopped_by_user(context: &TaskContext, id: i64) -> bool {
    context
        .db
        .transfer(id)
        .await
        .map(|t| t.state != TransferState::Running)
        .unwrap_or(true)
}

fn report(
    context: &TaskContext,
    row: ClientResult<Transfer>,
    file: Option<mediasaur_api::FileObject>,
) {
    match row {
        Ok(row) => context.changed(row, file),
        Err(error) => tracing::error!(%error, "recording a transfer's end failed"),
    }
}

type Finished = (
    TransferOutcome,
    Option<mediasaur_api::FileObject>,
    Option<NewHistoryEntry>,
);

async fn attempt(
    context: &TaskContext,
    transfer: &Transfer,
    control: &mut watch::Receiver<Control>,
) -> ClientResult<Finished> {
    let source = transfer.source.clone();
    let (size, modified_ns) = stat(&source)?;
    if (size, modified_ns) != (transfer.size, transfer.modified_ns) {
        context
            .db
            .note_source(transfer.id, size, modified_ns)
            .await?;
    }
    if let Some(existing) = duplicate(context, transfer, &source, size).await? {
        return Ok((TransferOutcome::Duplicate, Some(existing.file), None));
    }
    let client = context.client(&transfer.profile).await?;
    let destination = Destination::parse(&transfer.bucket, &transfer.path)?;
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let options = UploadOptions {
        strategy: transfer.strategy,
        events: Some(events_tx),
    };
    let mut handle = client.upload(&source, destination, options)?;
    let outcome = loop {
        tokio::select! {
            result = handle.finished() => break result,
            Some(event) = events.recv() => forward(context, transfer.id, event).await?,
            changed = control.changed() => {
                let signal = if changed.is_ok() { *control.borrow_and_update() } else { Control::Stop };
                match signal {
                    Control::Run => {}
                    Control::Cancel => handle.cancel(),
                    // Dropping the handle stops the upload; its resume state stays on the row.
                    Control::Stop => return Err(ClientError::Interrupted),
                }
            }
        }
    };
    while let Ok(event) = events.try_recv() {
        forward(context, transfer.id, event).await?;
    }
    let outcome: UploadOutcome = outcome?;
    let kind = if outcome.reused {
        TransferOutcome::AlreadyThere
    } else {
        TransferOutcome::Uploaded
    };
    let entry = outcome.file.clone().map(|file| NewHistoryEntry {
        profile: transfer.profile.clone(),
        source: Some((source, size, modified_ns)),
        sha256: outcome.sha256.clone(),
        file,
    });
    Ok((kind, outcome.file, entry))
}

/// The file's size and mtime now; `source_missing` if it is gone.
fn stat(source: &Path) -> ClientResult<(u64, i64)> {
    let meta = std::fs::metadata(source).map_err(|e| ClientError::reading(source, e))?;
    if !meta.is_file() {
        return Err(ClientError::reading(
            source,
            std::io::Error::other("not a regular file"),
        ));
    }
    Ok((meta.len(), crate::upload::modified_ns(&meta)))
}

/// The history entry that already holds this file's bytes where the policy says it counts, if any.
/// Hashes the file only when the history has an entry at that destination (or, for `AnyPath`, of
/// that size in the bucket).
async fn duplicate(
    context: &TaskContext,
    transfer: &Transfer,
    source: &Path,
    size: u64,
) -> ClientResult<Option<HistoryEntry>> {
    let db = &context.db;
    let (profile, bucket, path) = (&transfer.profile, &transfer.bucket, &transfer.path);
    let maybe = match context.duplicates {
        DuplicatePolicy::Never => false,
        DuplicatePolicy::SameDestination => {
            db.history_has_destination(profile, bucket, path).await?
        }
        DuplicatePolicy::AnyPath => db.history_has_size(profile, bucket, size).await?,
    };
    if !maybe {
        return Ok(None);
    }
    let sha256 = sha256_file(source).await?;
    match context.duplicates {
        DuplicatePolicy::SameDestination => {
            db.history_duplicate(profile, bucket, path, &sha256).await
        }
        DuplicatePolicy::AnyPath => db.history_same_bytes(profile, bucket, &sha256).await,
        DuplicatePolicy::Never => Ok(None),
    }
}

/// The SHA-256 of a whole file, read on a blocking thread.
async fn sha256_file(path: &Path) -> ClientResult<String> {
    let path = path.to_path_buf();
    blocking(move || sha256_of_file(&path).map_err(|e| ClientError::reading(&path, e))).await
}

/// Passes an engine event on as a queue event, and records retries and restarts on the row.
async fn forward(context: &TaskContext, transfer: i64, event: UploadEvent) -> ClientResult<()> {
    let event = match event {
        UploadEvent::Progress {
            sent,
            total,
            bytes_per_second,
            eta_seconds,
            ..
        } => QueueEvent::Progress {
            transfer,
            sent,
            total,
            bytes_per_second,
            eta_seconds,
        },
        UploadEvent::State { state, .. } => match state {
            UploadState::Retrying {
                attempt,
                delay_ms,
                code,
                message,
            } => {
                context.db.note_attempt(transfer).await?;
                QueueEvent::Retrying {
                    transfer,
                    attempt,
                    delay_ms,
                    code,
                    message,
                }
            }
            UploadState::Restarting { reason } => {
                context.db.note_restart(transfer, &reason).await?;
                let row = context.db.transfer(transfer).await?;
                QueueEvent::Changed {
                    transfer: Box::new(row),
                    file: None,
                }
            }
            _ => return Ok(()),
        },
    };
    let _ = context.events.send(event);
    Ok(())
}
