//! The transfer queue: one row per upload, written before its first byte is sent, so that a crash,
//! a restart or a reboot loses nothing. Rows move `queued → running → done | failed | canceled`, and
//! `paused`; a running row is claimed by one process under a lease it keeps renewing.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{database, now_ms, path_text, Database};
use crate::error::{ClientError, ClientResult};
use crate::Strategy;

/// Where a transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum TransferState {
    /// Waiting for a runner.
    Queued,
    /// A runner is sending it.
    Running,
    /// Held by the user; keeps its place and its server-side progress.
    Paused,
    /// Gave up with a coded reason; can be retried.
    Failed,
    /// Finished; see its outcome.
    Done,
    /// Stopped by the user for good.
    Canceled,
}

impl TransferState {
    /// Every state, in display order.
    pub const ALL: [Self; 6] = [
        Self::Queued,
        Self::Running,
        Self::Paused,
        Self::Failed,
        Self::Done,
        Self::Canceled,
    ];

    /// The state's name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Failed => "failed",
            Self::Done => "done",
            Self::Canceled => "canceled",
        }
    }
}

impl std::fmt::Display for TransferState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a `done` transfer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum TransferOutcome {
    /// The bytes were sent.
    Uploaded,
    /// The server already held exactly these bytes at the destination.
    AlreadyThere,
    /// The history already held these bytes at the destination; nothing was sent.
    Duplicate,
}

/// A file to queue.
#[derive(Debug, Clone)]
pub struct NewTransfer {
    /// The local file.
    pub source: PathBuf,
    /// Its size when queued.
    pub size: u64,
    /// Its mtime when queued, nanoseconds since the epoch.
    pub modified_ns: i64,
    /// The profile to upload with.
    pub profile: String,
    /// Destination bucket.
    pub bucket: String,
    /// Destination object path.
    pub path: String,
    /// How to send it.
    pub strategy: Strategy,
    /// The watched folder that queued it.
    pub watch_id: Option<i64>,
    /// Tags the transfer (and an unfinished one it matches) for a runner limited to this batch.
    pub batch: Option<String>,
}

/// What [`Database::enqueue`] did with one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// A new transfer with this id.
    New(i64),
    /// An unfinished transfer of the same file to the same destination already exists.
    AlreadyQueued(i64),
}

impl Enqueued {
    /// The transfer's id either way.
    pub fn id(self) -> i64 {
        match self {
            Self::New(id) | Self::AlreadyQueued(id) => id,
        }
    }
}

/// One transfer as the queue holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Transfer {
    /// Row id.
    pub id: i64,
    /// The local file.
    pub source: PathBuf,
    /// Its size when queued.
    pub size: u64,
    /// Its mtime when queued (ns).
    pub modified_ns: i64,
    /// Profile.
    pub profile: String,
    /// Destination bucket.
    pub bucket: String,
    /// Destination path.
    pub path: String,
    /// How it is sent.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub strategy: Strategy,
    /// Where it stands.
    pub state: TransferState,
    /// The server-side upload (tus) it continues, if any.
    pub upload_url: Option<String>,
    /// Bytes the server acknowledged.
    pub acked_bytes: u64,
    /// Tries so far: each run and each retry inside a run.
    pub attempts: u32,
    /// The last failure's code.
    pub error_code: Option<String>,
    /// The last failure's message.
    pub error_message: Option<String>,
    /// Why the last run started over instead of resuming.
    pub restart_reason: Option<String>,
    /// How it ended, once `done`.
    pub outcome: Option<TransferOutcome>,
    /// The File it became, once `done`.
    pub file_id: Option<String>,
    /// The watched folder that queued it.
    pub watch_id: Option<i64>,
    /// Times, ms since the epoch.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
    /// First claimed by a runner.
    pub started_at: Option<i64>,
    /// Reached `done`, `failed` or `canceled`.
    pub finished_at: Option<i64>,
}

pub(crate) const TRANSFER_COLUMNS: &str = "id, source, size, modified_ns, profile, bucket, path, \
    strategy, state, upload_url, acked_bytes, attempts, error_code, error_message, restart_reason, \
    outcome, file_id, watch_id, created_at, updated_at, started_at, finished_at";

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TransferRow {
    id: i64,
    source: String,
    size: i64,
    modified_ns: i64,
    profile: String,
    bucket: String,
    path: String,
    strategy: String,
    state: TransferState,
    upload_url: Option<String>,
    acked_bytes: i64,
    attempts: i64,
    error_code: Option<String>,
    error_message: Option<String>,
    restart_reason: Option<String>,
    outcome: Option<TransferOutcome>,
    file_id: Option<String>,
    watch_id: Option<i64>,
    created_at: i64,
    updated_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
}

impl From<TransferRow> for Transfer {
    fn from(row: TransferRow) -> Self {
        Self {
            id: row.id,
            source: PathBuf::from(row.source),
            size: u64::try_from(row.size).unwrap_or_default(),
            modified_ns: row.modified_ns,
            profile: row.profile,
            bucket: row.bucket,
            path: row.path,
            strategy: Strategy::from_name(&row.strategy).unwrap_or_default(),
            state: row.state,
            upload_url: row.upload_url,
            acked_bytes: u64::try_from(row.acked_bytes).unwrap_or_default(),
            attempts: u32::try_from(row.attempts).unwrap_or(u32::MAX),
            error_code: row.error_code,
            error_message: row.error_message,
            restart_reason: row.restart_reason,
            outcome: row.outcome,
            file_id: row.file_id,
            watch_id: row.watch_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
        }
    }
}

/// Which transfers to list.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TransferQuery {
    /// Only these states (all when empty).
    #[serde(default)]
    pub states: Vec<TransferState>,
    /// Only ids greater than this (the previous page's last id).
    pub after: Option<i64>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
}

/// How many transfers are in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TransferCounts {
    /// `queued`.
    pub queued: u64,
    /// `running`.
    pub running: u64,
    /// `paused`.
    pub paused: u64,
    /// `failed`.
    pub failed: u64,
    /// `done`.
    pub done: u64,
    /// `canceled`.
    pub canceled: u64,
}

impl TransferCounts {
    /// Transfers not finished (`queued`, `running`, `paused`).
    pub fn pending(&self) -> u64 {
        self.queued + self.running + self.paused
    }
}

impl Database {
    /// Queues `items` in one transaction. A file that already has an unfinished transfer to the same
    /// profile, bucket and path is not queued twice.
    pub async fn enqueue(&self, items: &[NewTransfer]) -> ClientResult<Vec<Enqueued>> {
        let doing = "queueing files";
        let mut tx = self.begin_write().await.map_err(database(doing))?;
        let now = now_ms();
        let mut results = Vec::with_capacity(items.len());
        for item in items {
            let source = path_text(&item.source)?;
            let existing = sqlx::query_scalar!(
                r#"SELECT id as "id!" FROM transfers
                   WHERE source = ? AND bucket = ? AND path = ? AND profile = ?
                     AND state IN ('queued', 'running', 'paused', 'failed')
                   ORDER BY id DESC LIMIT 1"#,
                source,
                item.bucket,
                item.path,
                item.profile,
            )
            .fetch_optional(&mut *tx)
            .await
            .map_err(database(doing))?;
            if let Some(id) = existing {
                if let Some(batch) = &item.batch {
                    // Asked for again: the old row joins this batch and runs again if it had stopped.
                    sqlx::query!(
                        "UPDATE transfers SET batch = ?,
                             state = CASE WHEN state IN ('failed', 'paused') THEN 'queued' ELSE state END,
                             updated_at = ?
                         WHERE id = ?",
                        batch,
                        now,
                        id
                    )
                    .execute(&mut *tx)
                    .await
                    .map_err(database(doing))?;
                }
                results.push(Enqueued::AlreadyQueued(id));
                continue;
            }
            let size = i64::try_from(item.size).unwrap_or(i64::MAX);
            let strategy = item.strategy.name();
            let id = sqlx::query_scalar!(
                r#"INSERT INTO transfers (source, size, modified_ns, profile, bucket, path, strategy,
                       state, watch_id, batch, created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)
                   RETURNING id as "id!""#,
                source,
                size,
                item.modified_ns,
                item.profile,
                item.bucket,
                item.path,
                strategy,
                item.watch_id,
                item.batch,
                now,
                now,
            )
            .fetch_one(&mut *tx)
            .await
            .map_err(database(doing))?;
            results.push(Enqueued::New(id));
        }
        tx.commit().await.map_err(database(doing))?;
        Ok(results)
    }

    /// The transfer with id `id`.
    pub async fn transfer(&self, id: i64) -> ClientResult<Transfer> {
        let row: Option<TransferRow> = sqlx::query_as(&format!(
            "SELECT {TRANSFER_COLUMNS} FROM transfers WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(database("reading a transfer"))?;
        row.map(Transfer::from)
            .ok_or_else(|| ClientError::NotFound {
                what: format!("transfer {id}"),
            })
    }

    /// A page of transfers in id order (oldest first), filtered by state.
    pub async fn transfers(&self, query: &TransferQuery) -> ClientResult<Vec<Transfer>> {
        let limit = query.limit.unwrap_or(100).clamp(1, 1000);
        let mut sql = sqlx::QueryBuilder::new(format!(
            "SELECT {TRANSFER_COLUMNS} FROM transfers WHERE id > "
        ));
        sql.push_bind(query.after.unwrap_or(0));
        if !query.states.is_empty() {
            sql.push(" AND state IN (");
            let mut states = sql.separated(", ");
            for state in &query.states {
                states.push_bind(state.as_str());
            }
            sql.push(")");
        }
        sql.push(" ORDER BY id LIMIT ");
        sql.push_bind(i64::from(limit));
        let rows: Vec<TransferRow> = sql
            .build_query_as()
            .fetch_all(self.pool())
            .await
            .map_err(database("listing transfers"))?;
        Ok(rows.into_iter().map(Transfer::from).collect())
    }

    /// How many transfers are in each state (one indexed count per state).
    pub async fn transfer_counts(&self) -> ClientResult<TransferCounts> {
        let rows = sqlx::query!(
            r#"SELECT state as "state!: TransferState", COUNT(*) as "count!: i64"
               FROM transfers GROUP BY state"#
        )
        .fetch_all(self.pool())
        .await
        .map_err(database("counting transfers"))?;
        let mut counts = TransferCounts::default();
        for row in rows {
            let count = u64::try_from(row.count).unwrap_or_default();
            match row.state {
                TransferState::Queued => counts.queued = count,
                TransferState::Running => counts.running = count,
                TransferState::Paused => counts.paused = count,
                TransferState::Failed => counts.failed = count,
                TransferState::Done => counts.done = count,
                TransferState::Canceled => counts.canceled = count,
            }
        }
        Ok(counts)
    }

    /// Moves transfer `id` to `to` if it is in one of `from`; says which state it was in otherwise.
    pub async fn move_transfer(
        &self,
        id: i64,
        from: &[TransferState],
        to: TransferState,
    ) -> ClientResult<Transfer> {
        only_a_runner_claims(to)?;
        let current = self.transfer(id).await?;
        if !from.contains(&current.state) {
            return Err(ClientError::InvalidState(format!(
                "transfer {id} is {}; only a {} transfer can become {to}",
                current.state,
                from.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )));
        }
        let now = now_ms();
        let (from_state, to_state) = (current.state, to);
        let finished = matches!(to, TransferState::Canceled).then_some(now);
        let changed = sqlx::query!(
            "UPDATE transfers SET state = ?, updated_at = ?, finished_at = COALESCE(?, finished_at),
                 error_code = CASE WHEN ? = 'queued' THEN NULL ELSE error_code END,
                 error_message = CASE WHEN ? = 'queued' THEN NULL ELSE error_message END,
                 runner = NULL, lease_until = NULL
             WHERE id = ? AND state = ?",
            to_state,
            now,
            finished,
            to_state,
            to_state,
            id,
            from_state,
        )
        .execute(self.writer())
        .await
        .map_err(database("changing a transfer's state"))?
        .rows_affected();
        if changed == 0 {
            // Someone else moved it in between; report what it is now.
            return Box::pin(self.move_transfer(id, from, to)).await;
        }
        self.transfer(id).await
    }

    /// Holds a queued or running transfer; a runner running it stops at its next heartbeat and
    /// keeps what the server acknowledged.
    pub async fn pause_transfer(&self, id: i64) -> ClientResult<Transfer> {
        use TransferState::*;
        self.move_transfer(id, &[Queued, Running], Paused).await
    }

    /// Puts a paused transfer back in the queue.
    pub async fn resume_transfer(&self, id: i64) -> ClientResult<Transfer> {
        use TransferState::*;
        self.move_transfer(id, &[Paused], Queued).await
    }

    /// Puts a failed or canceled transfer back in the queue.
    pub async fn retry_transfer(&self, id: i64) -> ClientResult<Transfer> {
        use TransferState::*;
        self.move_transfer(id, &[Failed, Canceled], Queued).await
    }

    /// Stops a transfer for good.
    pub async fn cancel_transfer(&self, id: i64) -> ClientResult<Transfer> {
        use TransferState::*;
        self.move_transfer(id, &[Queued, Running, Paused, Failed], Canceled)
            .await
    }

    /// Moves every transfer in state `from` to `to`, as [`Database::move_transfer`] moves one;
    /// returns how many moved.
    pub async fn move_all_transfers(
        &self,
        from: TransferState,
        to: TransferState,
    ) -> ClientResult<u64> {
        only_a_runner_claims(to)?;
        let now = now_ms();
        let finished = matches!(to, TransferState::Canceled).then_some(now);
        let moved = sqlx::query!(
            "UPDATE transfers SET state = ?, updated_at = ?, finished_at = COALESCE(?, finished_at),
                 error_code = CASE WHEN ? = 'queued' THEN NULL ELSE error_code END,
                 error_message = CASE WHEN ? = 'queued' THEN NULL ELSE error_message END,
                 runner = NULL, lease_until = NULL
             WHERE state = ?",
            to,
            now,
            finished,
            to,
            to,
            from,
        )
        .execute(self.writer())
        .await
        .map_err(database("changing transfers' state"))?
        .rows_affected();
        Ok(moved)
    }
}

impl Database {
    /// Removes finished rows (`done` and `canceled`) from the queue; the history keeps what was
    /// uploaded. Returns how many were removed.
    pub async fn clear_finished_transfers(&self) -> ClientResult<u64> {
        let removed = sqlx::query("DELETE FROM transfers WHERE state IN ('done', 'canceled')")
            .execute(self.writer())
            .await
            .map_err(database("clearing finished transfers"))?
            .rows_affected();
        Ok(removed)
    }
}

/// Only a runner's claim makes a transfer `running` (with a lease); no one may move it there.
fn only_a_runner_claims(to: TransferState) -> ClientResult<()> {
    if to == TransferState::Running {
        return Err(ClientError::InvalidState(
            "a transfer becomes running only when a runner claims it".into(),
        ));
    }
    Ok(())
}
