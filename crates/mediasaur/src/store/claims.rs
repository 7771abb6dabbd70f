//! What a queue runner does to rows: claim queued transfers under a lease, renew it, notice rows the
//! user paused or canceled meanwhile, take back rows whose runner died, and record how each ended.

use std::path::Path;

use super::history::{insert_entry, NewHistoryEntry};
use super::queue::{Transfer, TransferOutcome, TransferRow, TransferState, TRANSFER_COLUMNS};
use super::{database, now_ms, Database};
use crate::error::ClientResult;

impl Database {
    /// Claims up to `limit` queued transfers, oldest first, for `runner` until `lease_ms` from now.
    pub(crate) async fn claim_transfers(
        &self,
        runner: &str,
        lease_ms: i64,
        limit: u32,
        batch: Option<&str>,
    ) -> ClientResult<Vec<Transfer>> {
        let now = now_ms();
        let rows: Vec<TransferRow> = sqlx::query_as(&format!(
            "UPDATE transfers SET state = 'running', runner = ?1, lease_until = ?2,
                 started_at = COALESCE(started_at, ?3), updated_at = ?3, attempts = attempts + 1,
                 error_code = NULL, error_message = NULL, restart_reason = NULL
             WHERE id IN (SELECT id FROM transfers WHERE state = 'queued' AND (?5 IS NULL OR batch = ?5)
                          ORDER BY id LIMIT ?4)
             RETURNING {TRANSFER_COLUMNS}"
        ))
        .bind(runner)
        .bind(now + lease_ms)
        .bind(now)
        .bind(i64::from(limit))
        .bind(batch)
        .fetch_all(self.writer())
        .await
        .map_err(database("claiming queued transfers"))?;
        let mut claimed: Vec<Transfer> = rows.into_iter().map(Transfer::from).collect();
        claimed.sort_by_key(|t| t.id);
        Ok(claimed)
    }

    /// Extends `runner`'s claims and returns the states of `ids` (its transfers), so the runner sees
    /// the ones paused or canceled by someone else.
    pub(crate) async fn renew_claims(
        &self,
        runner: &str,
        lease_ms: i64,
        ids: &[i64],
    ) -> ClientResult<Vec<(i64, TransferState)>> {
        let until = now_ms() + lease_ms;
        sqlx::query!(
            "UPDATE transfers SET lease_until = ? WHERE runner = ? AND state = 'running'",
            until,
            runner
        )
        .execute(self.writer())
        .await
        .map_err(database("renewing transfer claims"))?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = sqlx::QueryBuilder::new("SELECT id, state FROM transfers WHERE id IN (");
        let mut list = sql.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        sql.push(")");
        sql.build_query_as()
            .fetch_all(self.pool())
            .await
            .map_err(database("checking running transfers"))
    }

    /// How many transfers (of `batch`, when given) are `running` under another runner: an idle
    /// runner that should exit when nothing is left waits for them, since a crashed runner's rows
    /// come back to the queue when its lease runs out.
    pub(crate) async fn running_elsewhere(
        &self,
        runner: &str,
        batch: Option<&str>,
    ) -> ClientResult<i64> {
        sqlx::query_scalar!(
            r#"SELECT COUNT(*) as "count!: i64" FROM transfers
               WHERE state = 'running' AND (runner IS NULL OR runner != ?1)
                 AND (?2 IS NULL OR batch = ?2)"#,
            runner,
            batch
        )
        .fetch_one(self.pool())
        .await
        .map_err(database("looking for transfers running elsewhere"))
    }

    /// Puts back in the queue the running transfers whose runner is gone: its lease ran out, or (on
    /// Linux) its process no longer exists. Returns how many.
    pub(crate) async fn release_stale_claims(&self) -> ClientResult<u64> {
        let now = now_ms();
        let runners = sqlx::query_scalar!(
            r#"SELECT DISTINCT runner as "runner!" FROM transfers
               WHERE state = 'running' AND runner IS NOT NULL"#
        )
        .fetch_all(self.pool())
        .await
        .map_err(database("looking for abandoned transfers"))?;
        let mut released = 0;
        for runner in runners {
            let dead = runner_is_dead(&runner);
            released += sqlx::query!(
                "UPDATE transfers SET state = 'queued', runner = NULL, lease_until = NULL,
                     updated_at = ?
                 WHERE state = 'running' AND runner = ? AND (? OR lease_until < ?)",
                now,
                runner,
                dead,
                now
            )
            .execute(self.writer())
            .await
            .map_err(database("taking back abandoned transfers"))?
            .rows_affected();
        }
        Ok(released)
    }

    /// Records a finished transfer and, when there is one, its history entry, in one transaction.
    /// A transfer the user paused or canceled while its last bytes landed is still `done`: the file
    /// is on the server.
    pub(crate) async fn finish_transfer(
        &self,
        id: i64,
        outcome: TransferOutcome,
        file_id: Option<&str>,
        history: Option<&NewHistoryEntry>,
    ) -> ClientResult<Transfer> {
        let doing = "recording a finished transfer";
        let mut tx = self.begin_write().await.map_err(database(doing))?;
        if let Some(entry) = history {
            insert_entry(&mut tx, entry).await?;
        }
        let now = now_ms();
        let row: TransferRow = sqlx::query_as(&format!(
            "UPDATE transfers SET state = 'done', outcome = ?1, file_id = ?2, finished_at = ?3,
                 updated_at = ?3, runner = NULL, lease_until = NULL, resume = NULL,
                 error_code = NULL, error_message = NULL,
                 acked_bytes = CASE WHEN ?1 = 'duplicate' THEN acked_bytes ELSE size END
             WHERE id = ?4
             RETURNING {TRANSFER_COLUMNS}"
        ))
        .bind(outcome)
        .bind(file_id)
        .bind(now)
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(database(doing))?;
        tx.commit().await.map_err(database(doing))?;
        Ok(row.into())
    }

    /// Records that a running transfer gave up. Rows the user paused or canceled meanwhile keep that
    /// state: stopping them was not a failure.
    pub(crate) async fn fail_transfer(
        &self,
        id: i64,
        code: &str,
        message: &str,
    ) -> ClientResult<Transfer> {
        let now = now_ms();
        sqlx::query!(
            "UPDATE transfers SET state = 'failed', error_code = ?, error_message = ?,
                 finished_at = ?, updated_at = ?, runner = NULL, lease_until = NULL
             WHERE id = ? AND state = 'running'",
            code,
            message,
            now,
            now,
            id
        )
        .execute(self.writer())
        .await
        .map_err(database("recording a failed transfer"))?;
        self.transfer(id).await
    }

    /// Gives a running transfer back to the queue (its runner is shutting down); its resume state
    /// stays, so the next runner continues from the server's offset.
    pub(crate) async fn unclaim_transfer(&self, id: i64) -> ClientResult<Transfer> {
        let now = now_ms();
        sqlx::query!(
            "UPDATE transfers SET state = 'queued', runner = NULL, lease_until = NULL,
                 updated_at = ?
             WHERE id = ? AND state = 'running'",
            now,
            id
        )
        .execute(self.writer())
        .await
        .map_err(database("putting a transfer back in the queue"))?;
        self.transfer(id).await
    }

    /// Counts one more try (a retry inside a run).
    pub(crate) async fn note_attempt(&self, id: i64) -> ClientResult<()> {
        sqlx::query!(
            "UPDATE transfers SET attempts = attempts + 1 WHERE id = ?",
            id
        )
        .execute(self.writer())
        .await
        .map_err(database("counting a retry"))?;
        Ok(())
    }

    /// Records why a transfer started over instead of resuming.
    pub(crate) async fn note_restart(&self, id: i64, reason: &str) -> ClientResult<()> {
        sqlx::query!(
            "UPDATE transfers SET restart_reason = ?, acked_bytes = 0, upload_url = NULL
             WHERE id = ?",
            reason,
            id
        )
        .execute(self.writer())
        .await
        .map_err(database("recording a restart"))?;
        Ok(())
    }

    /// Updates a transfer's file facts when the file changed between queueing and sending.
    pub(crate) async fn note_source(
        &self,
        id: i64,
        size: u64,
        modified_ns: i64,
    ) -> ClientResult<()> {
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        sqlx::query!(
            "UPDATE transfers SET size = ?, modified_ns = ? WHERE id = ?",
            size,
            modified_ns,
            id
        )
        .execute(self.writer())
        .await
        .map_err(database("recording a file's size"))?;
        Ok(())
    }
}

/// A runner id names its process: `pid-random`.
pub(crate) fn new_runner_id() -> String {
    format!("{}-{:016x}", std::process::id(), rand::random::<u64>())
}

/// Whether the process that owns `runner` is known to be gone. Only Linux can tell cheaply (by
/// `/proc`); elsewhere the lease alone decides.
fn runner_is_dead(runner: &str) -> bool {
    let Some(pid) = runner.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
        return false;
    };
    if pid == std::process::id() {
        return false;
    }
    let proc_root = Path::new("/proc");
    cfg!(target_os = "linux")
        && proc_root.join("self").exists()
        && !proc_root.join(pid.to_string()).exists()
}
