//! The engine's resume state kept on the transfer's own row, written after every acknowledged chunk,
//! so a process killed at any moment resumes from the server's offset.

use futures_util::future::BoxFuture;

use super::{database, now_ms, path_text, Database};
use crate::error::{ClientError, ClientResult};
use crate::upload::{ResumeKey, ResumeState, ResumeStore};

/// A [`ResumeStore`] over the transfer queue: the state of an upload lives on the newest unfinished
/// transfer of the same file to the same destination.
#[derive(Debug, Clone)]
pub struct SqliteResumeStore {
    db: Database,
}

impl SqliteResumeStore {
    /// A store over `db`'s transfers.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn key_columns(key: &ResumeKey) -> ClientResult<(String, &str, &str)> {
    Ok((path_text(&key.source)?, &key.bucket, &key.path))
}

impl ResumeStore for SqliteResumeStore {
    fn load<'a>(&'a self, key: &'a ResumeKey) -> BoxFuture<'a, ClientResult<Option<ResumeState>>> {
        Box::pin(async move {
            let (source, bucket, path) = key_columns(key)?;
            let saved = sqlx::query_scalar!(
                r#"SELECT resume as "resume!" FROM transfers
                   WHERE source = ? AND bucket = ? AND path = ? AND resume IS NOT NULL
                     AND state IN ('queued', 'running', 'paused', 'failed')
                   ORDER BY id DESC LIMIT 1"#,
                source,
                bucket,
                path
            )
            .fetch_optional(self.db.pool())
            .await
            .map_err(database("reading a resume state"))?;
            // A state that no longer parses (written by another version) is as good as none.
            Ok(saved
                .and_then(|json| serde_json::from_str::<ResumeState>(&json).ok())
                .filter(|state| state.tus_endpoint == key.tus_endpoint))
        })
    }

    fn save<'a>(&'a self, state: &'a ResumeState) -> BoxFuture<'a, ClientResult<()>> {
        Box::pin(async move {
            let key = state.key();
            let (source, bucket, path) = key_columns(&key)?;
            let json = serde_json::to_string(state).map_err(|e| ClientError::Database {
                doing: "saving a resume state",
                message: e.to_string(),
            })?;
            let acked = i64::try_from(state.offset).unwrap_or(i64::MAX);
            let fingerprint = &state.fingerprint.edges_sha256;
            let now = now_ms();
            sqlx::query!(
                "UPDATE transfers SET resume = ?, upload_url = ?, acked_bytes = ?, fingerprint = ?,
                     updated_at = ?
                 WHERE id = (SELECT id FROM transfers
                             WHERE source = ? AND bucket = ? AND path = ?
                               AND state IN ('queued', 'running', 'paused', 'failed')
                             ORDER BY id DESC LIMIT 1)",
                json,
                state.upload_url,
                acked,
                fingerprint,
                now,
                source,
                bucket,
                path
            )
            .execute(self.db.writer())
            .await
            .map_err(database("saving a resume state"))?;
            Ok(())
        })
    }

    fn remove<'a>(&'a self, key: &'a ResumeKey) -> BoxFuture<'a, ClientResult<()>> {
        Box::pin(async move {
            let (source, bucket, path) = key_columns(key)?;
            sqlx::query!(
                "UPDATE transfers SET resume = NULL
                 WHERE source = ? AND bucket = ? AND path = ? AND resume IS NOT NULL",
                source,
                bucket,
                path
            )
            .execute(self.db.writer())
            .await
            .map_err(database("forgetting a resume state"))?;
            Ok(())
        })
    }
}
