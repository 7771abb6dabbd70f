//! The history of uploaded File objects: the server's answer plus what only this machine knows (the
//! source file, our SHA-256, the profile), and the lookups that find duplicates before uploading.

use std::path::PathBuf;

use mediasaur_api::FileObject;
use serde::Serialize;
use sqlx::SqliteConnection;

use super::{database, now_ms, path_text, Database};
use crate::error::ClientResult;

/// One uploaded file as the history keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HistoryEntry {
    /// Local row id (also the search cursor's unit).
    pub id: i64,
    /// The profile it was uploaded with.
    pub profile: String,
    /// The local file it came from, when it came from one.
    pub source: Option<PathBuf>,
    /// SHA-256 computed locally while reading the file.
    pub sha256: String,
    /// The server's SHA-256 equals ours.
    pub verified: bool,
    /// When the upload finished, milliseconds since the Unix epoch.
    pub uploaded_at: i64,
    /// The server's File object.
    pub file: FileObject,
}

/// What is recorded when an upload finishes.
#[derive(Debug, Clone)]
pub struct NewHistoryEntry {
    /// The profile it was uploaded with.
    pub profile: String,
    /// The local file, its size and mtime (ns) when it was read.
    pub source: Option<(PathBuf, u64, i64)>,
    /// SHA-256 computed locally.
    pub sha256: String,
    /// The server's File object.
    pub file: FileObject,
}

/// The columns [`HistoryEntry`] is read from, in this order.
pub(crate) const ENTRY_COLUMNS: &str =
    "id, profile, source, sha256, verified, uploaded_at, file_json";

/// A row of [`ENTRY_COLUMNS`].
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct EntryRow {
    pub id: i64,
    pub profile: String,
    pub source: Option<String>,
    pub sha256: String,
    pub verified: bool,
    pub uploaded_at: i64,
    pub file_json: String,
}

impl TryFrom<EntryRow> for HistoryEntry {
    type Error = crate::ClientError;

    fn try_from(row: EntryRow) -> ClientResult<Self> {
        let file =
            serde_json::from_str(&row.file_json).map_err(|e| crate::ClientError::Database {
                doing: "reading a history entry",
                message: format!(
                    "history row {} holds an unreadable File object: {e}",
                    row.id
                ),
            })?;
        Ok(Self {
            id: row.id,
            profile: row.profile,
            source: row.source.map(PathBuf::from),
            sha256: row.sha256,
            verified: row.verified,
            uploaded_at: row.uploaded_at,
            file,
        })
    }
}

/// The file's name: the last segment of its path.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Records `entry` (or refreshes it, when the server answered with a File id already recorded for the
/// profile) on `conn`, so the caller can make it part of a larger transaction. Returns the row id.
pub(crate) async fn insert_entry(
    conn: &mut SqliteConnection,
    entry: &NewHistoryEntry,
) -> ClientResult<i64> {
    let file = &entry.file;
    let file_json = serde_json::to_string(file).map_err(|e| crate::ClientError::Database {
        doing: "recording an upload",
        message: e.to_string(),
    })?;
    let (source, source_size, source_modified_ns) = match &entry.source {
        Some((path, size, modified_ns)) => (
            Some(path_text(path)?),
            Some(i64::try_from(*size).unwrap_or(i64::MAX)),
            Some(*modified_ns),
        ),
        None => (None, None, None),
    };
    let kind = file.kind.as_str();
    let name = file_name(&file.path);
    let size = i64::try_from(file.filesize).unwrap_or(i64::MAX);
    let width = file.width.map(i64::from);
    let height = file.height.map(i64::from);
    let duration_ms = file
        .duration
        .map(|seconds| (seconds * 1000.0).round() as i64);
    let verified = file.sha256.eq_ignore_ascii_case(&entry.sha256);
    let uploaded_at = now_ms();
    let id = sqlx::query_scalar!(
        r#"INSERT INTO history (file_id, profile, bucket, path, name, kind, mime_type, size, width,
                height, duration_ms, url, sha256, verified, source, source_size, source_modified_ns,
                uploaded_at, file_json)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (profile, file_id) DO UPDATE SET
                bucket = excluded.bucket, path = excluded.path, name = excluded.name,
                kind = excluded.kind, mime_type = excluded.mime_type, size = excluded.size,
                width = excluded.width, height = excluded.height, duration_ms = excluded.duration_ms,
                url = excluded.url, sha256 = excluded.sha256, verified = excluded.verified,
                source = excluded.source, source_size = excluded.source_size,
                source_modified_ns = excluded.source_modified_ns,
                uploaded_at = excluded.uploaded_at, file_json = excluded.file_json
           RETURNING id as "id!""#,
        file.id,
        entry.profile,
        file.bucket,
        file.path,
        name,
        kind,
        file.mime_type,
        size,
        width,
        height,
        duration_ms,
        file.url,
        entry.sha256,
        verified,
        source,
        source_size,
        source_modified_ns,
        uploaded_at,
        file_json,
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(database("recording an upload"))?;
    Ok(id)
}

impl Database {
    /// Records a finished upload on its own (uploads from the queue are recorded with their row).
    pub async fn record_upload(&self, entry: &NewHistoryEntry) -> ClientResult<i64> {
        let mut conn = self
            .writer()
            .acquire()
            .await
            .map_err(database("recording an upload"))?;
        insert_entry(&mut conn, entry).await
    }

    /// Forgets entry `id` and its share links (after its File was deleted on the server). An
    /// unknown entry is `not_found`.
    pub async fn delete_history_entry(&self, id: i64) -> ClientResult<()> {
        let removed = sqlx::query("DELETE FROM history WHERE id = ?")
            .bind(id)
            .execute(self.writer())
            .await
            .map_err(database("removing a history entry"))?
            .rows_affected();
        if removed == 0 {
            return Err(crate::ClientError::NotFound {
                what: format!("history entry {id}"),
            });
        }
        Ok(())
    }

    /// The entry with row id `id`.
    pub async fn history_entry(&self, id: i64) -> ClientResult<HistoryEntry> {
        let row: EntryRow =
            sqlx::query_as(&format!("SELECT {ENTRY_COLUMNS} FROM history WHERE id = ?"))
                .bind(id)
                .fetch_optional(self.pool())
                .await
                .map_err(database("reading a history entry"))?
                .ok_or_else(|| crate::ClientError::NotFound {
                    what: format!("history entry {id}"),
                })?;
        row.try_into()
    }

    /// The newest entry for File `file_id` (any profile, when `profile` is `None`).
    pub async fn history_by_file_id(
        &self,
        file_id: &str,
        profile: Option<&str>,
    ) -> ClientResult<Option<HistoryEntry>> {
        let row: Option<EntryRow> = sqlx::query_as(&format!(
            "SELECT {ENTRY_COLUMNS} FROM history WHERE file_id = ? AND (?2 IS NULL OR profile = ?2)
             ORDER BY id DESC LIMIT 1"
        ))
        .bind(file_id)
        .bind(profile)
        .fetch_optional(self.pool())
        .await
        .map_err(database("looking up a file in the history"))?;
        row.map(TryInto::try_into).transpose()
    }

    /// The newest entry holding exactly these bytes at this destination: uploading them again would
    /// change nothing.
    pub async fn history_duplicate(
        &self,
        profile: &str,
        bucket: &str,
        path: &str,
        sha256: &str,
    ) -> ClientResult<Option<HistoryEntry>> {
        let row: Option<EntryRow> = sqlx::query_as(&format!(
            "SELECT {ENTRY_COLUMNS} FROM history
             WHERE profile = ? AND bucket = ? AND path = ? AND sha256 = ?
             ORDER BY id DESC LIMIT 1"
        ))
        .bind(profile)
        .bind(bucket)
        .bind(path)
        .bind(sha256)
        .fetch_optional(self.pool())
        .await
        .map_err(database("looking for a duplicate"))?;
        row.map(TryInto::try_into).transpose()
    }

    /// The newest entry holding these bytes anywhere in `bucket` (for "never upload the same bytes
    /// twice").
    pub async fn history_same_bytes(
        &self,
        profile: &str,
        bucket: &str,
        sha256: &str,
    ) -> ClientResult<Option<HistoryEntry>> {
        let row: Option<EntryRow> = sqlx::query_as(&format!(
            "SELECT {ENTRY_COLUMNS} FROM history WHERE sha256 = ? AND profile = ? AND bucket = ?
             ORDER BY id DESC LIMIT 1"
        ))
        .bind(sha256)
        .bind(profile)
        .bind(bucket)
        .fetch_optional(self.pool())
        .await
        .map_err(database("looking for a duplicate"))?;
        row.map(TryInto::try_into).transpose()
    }

    /// Whether this exact local file (path, size, mtime) was uploaded before: the SHA-256 recorded
    /// then, so the caller can confirm with the bytes.
    pub async fn uploaded_from_source(
        &self,
        source: &std::path::Path,
        size: u64,
        modified_ns: i64,
    ) -> ClientResult<Option<String>> {
        let source = path_text(source)?;
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        let sha256 = sqlx::query_scalar!(
            "SELECT sha256 FROM history
             WHERE source = ? AND source_size = ? AND source_modified_ns = ?
             ORDER BY id DESC LIMIT 1",
            source,
            size,
            modified_ns
        )
        .fetch_optional(self.pool())
        .await
        .map_err(database("looking up a local file in the history"))?;
        Ok(sha256)
    }

    /// Whether any entry is at this destination: a cheap filter before hashing a file to see if
    /// the bytes there are already its own.
    pub async fn history_has_destination(
        &self,
        profile: &str,
        bucket: &str,
        path: &str,
    ) -> ClientResult<bool> {
        let found = sqlx::query_scalar!(
            r#"SELECT 1 as "found!: i64" FROM history
               WHERE profile = ? AND bucket = ? AND path = ? LIMIT 1"#,
            profile,
            bucket,
            path
        )
        .fetch_optional(self.pool())
        .await
        .map_err(database("looking for a duplicate"))?;
        Ok(found.is_some())
    }

    /// Whether any entry has this size in this bucket: a cheap filter before hashing a file to look
    /// for the same bytes.
    pub async fn history_has_size(
        &self,
        profile: &str,
        bucket: &str,
        size: u64,
    ) -> ClientResult<bool> {
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        let found = sqlx::query_scalar!(
            r#"SELECT 1 as "found!: i64" FROM history WHERE size = ? AND profile = ? AND bucket = ? LIMIT 1"#,
            size,
            profile,
            bucket
        )
        .fetch_optional(self.pool())
        .await
        .map_err(database("looking for a duplicate"))?;
        Ok(found.is_some())
    }
}
