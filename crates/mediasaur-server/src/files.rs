//! Stored files: turning complete bytes into a File object, and reading, listing and deleting them.

use std::path::{Path, PathBuf};

use mediasaur_api::{new_id, BucketName, ErrorCode, FileKind, FileObject, IdPrefix, ObjectPath};
use sqlx::SqlitePool;

use crate::blobs::remove_if_exists;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::{db, media};

/// A `files` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FileRow {
    id: String,
    bucket: String,
    path: String,
    /// Where the bytes are.
    pub blob_id: String,
    kind: String,
    /// The MIME type derived from the bytes.
    pub mime: String,
    width: Option<i64>,
    height: Option<i64>,
    duration: Option<f64>,
    filesize: i64,
    /// Lowercase hex SHA-256.
    pub sha256: String,
    created_at: String,
    updated_at: String,
}

const COLUMNS: &str = "id, bucket, path, blob_id, kind, mime, width, height, duration, filesize, \
                       sha256, created_at, updated_at";

impl FileRow {
    /// The wire File object; `public_base` is the server's public URL.
    pub fn to_object(&self, public_base: &str) -> FileObject {
        let path = ObjectPath::parse(&self.path).map(|p| p.encoded());
        FileObject {
            id: self.id.clone(),
            kind: FileKind::parse(&self.kind).unwrap_or(FileKind::Other),
            mime_type: self.mime.clone(),
            width: self.width.and_then(|w| u32::try_from(w).ok()),
            height: self.height.and_then(|h| u32::try_from(h).ok()),
            duration: self.duration,
            filesize: u64::try_from(self.filesize).unwrap_or_default(),
            sha256: self.sha256.clone(),
            bucket: self.bucket.clone(),
            path: self.path.clone(),
            url: format!(
                "{public_base}/{}/{}",
                self.bucket,
                path.unwrap_or_else(|_| self.path.clone())
            ),
            created: db::from_text(&self.created_at),
            updated: db::from_text(&self.updated_at),
        }
    }
}

/// Bytes that are complete on disk, fsynced, with their size and hash. Dropping this without storing it
/// deletes the file, so an upload that fails at any step leaves nothing behind.
#[derive(Debug)]
pub struct CompleteBytes {
    /// The temp or partial file holding them.
    pub path: PathBuf,
    /// Their length.
    pub size: u64,
    /// Their lowercase hex SHA-256.
    pub sha256: String,
}

impl Drop for CompleteBytes {
    fn drop(&mut self) {
        // After a successful store the file has been renamed away and this is a no-op.
        let _ = remove_if_exists(&self.path);
    }
}

/// Fails with `file_exists` when `bucket/path` is taken: a cheap early check before receiving bytes.
pub async fn ensure_free(db: &SqlitePool, bucket: &BucketName, path: &ObjectPath) -> ApiResult<()> {
    let taken: Option<String> =
        sqlx::query_scalar("SELECT id FROM files WHERE bucket = ? AND path = ?")
            .bind(bucket.as_str())
            .bind(path.as_str())
            .fetch_optional(db)
            .await?;
    match taken {
        Some(_) => Err(exists(bucket, path)),
        None => Ok(()),
    }
}

fn exists(bucket: &BucketName, path: &ObjectPath) -> ApiError {
    ApiError::new(
        ErrorCode::FileExists,
        format!("a file already exists at {bucket}/{path}"),
    )
}

/// Probes the bytes, moves them into the blob area and records the File object. On any failure the
/// bytes are removed and no File object exists.
pub async fn store_complete(
    state: &AppState,
    bucket: &BucketName,
    path: &ObjectPath,
    mut bytes: CompleteBytes,
) -> ApiResult<FileObject> {
    let blobs = state.blobs().clone();
    let source = bytes.path.clone();
    let (info, blob_id) = tokio::task::spawn_blocking(move || probe_and_commit(&blobs, &source))
        .await
        .map_err(|e| std::io::Error::other(format!("probe task failed: {e}")))??;
    let now = db::now_text();
    let row = FileRow {
        id: new_id(IdPrefix::File),
        bucket: bucket.to_string(),
        path: path.to_string(),
        blob_id,
        kind: info.kind.as_str().to_owned(),
        mime: info.mime,
        width: info.width.map(i64::from),
        height: info.height.map(i64::from),
        duration: info.duration,
        filesize: i64::try_from(bytes.size).unwrap_or(i64::MAX),
        sha256: std::mem::take(&mut bytes.sha256),
        created_at: now.clone(),
        updated_at: now,
    };
    let inserted = sqlx::query(&format!(
        "INSERT INTO files ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&row.id)
    .bind(&row.bucket)
    .bind(&row.path)
    .bind(&row.blob_id)
    .bind(&row.kind)
    .bind(&row.mime)
    .bind(row.width)
    .bind(row.height)
    .bind(row.duration)
    .bind(row.filesize)
    .bind(&row.sha256)
    .bind(&row.created_at)
    .bind(&row.updated_at)
    .execute(state.db())
    .await;
    if let Err(e) = inserted {
        let _ = state.blobs().remove(&row.blob_id);
        return Err(if db::is_unique_violation(&e) {
            exists(bucket, path)
        } else {
            e.into()
        });
    }
    Ok(row.to_object(state.public_base()))
}

fn probe_and_commit(
    blobs: &crate::blobs::BlobStore,
    source: &Path,
) -> std::io::Result<(media::MediaInfo, String)> {
    let mut file = std::fs::File::open(source)?;
    let info = media::probe(&mut file)?;
    drop(file);
    let blob_id = blobs.commit(source)?;
    Ok((info, blob_id))
}

/// One file by id.
pub async fn get(db: &SqlitePool, id: &str) -> ApiResult<FileRow> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM files WHERE id = ?"))
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("no file with id {id}")))
}

/// One file by bucket and path.
pub async fn get_by_path(
    db: &SqlitePool,
    bucket: &BucketName,
    path: &ObjectPath,
) -> ApiResult<FileRow> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM files WHERE bucket = ? AND path = ?"
    ))
    .bind(bucket.as_str())
    .bind(path.as_str())
    .fetch_optional(db)
    .await?
    .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("no file at {bucket}/{path}")))
}

/// Files ordered by (bucket, path), after `after` (exclusive), optionally in one bucket and under a
/// path prefix. Fetches `limit + 1` so the caller knows whether there is a next page.
pub async fn list(
    db: &SqlitePool,
    bucket: Option<&BucketName>,
    prefix: &str,
    after: Option<(String, String)>,
    limit: u32,
) -> ApiResult<Vec<FileRow>> {
    // U+10FFFF sorts after every valid UTF-8 continuation of the prefix under BINARY collation.
    let upper = format!("{prefix}\u{10FFFF}");
    let (after_bucket, after_path) = after.unwrap_or_default();
    let rows = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM files
         WHERE (?1 IS NULL OR bucket = ?1)
           AND path >= ?2 AND path < ?3
           AND (bucket, path) > (?4, ?5)
         ORDER BY bucket, path
         LIMIT ?6"
    ))
    .bind(bucket.map(BucketName::as_str))
    .bind(prefix)
    .bind(upper)
    .bind(after_bucket)
    .bind(after_path)
    .bind(i64::from(limit) + 1)
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// Deletes a file's record, then its bytes.
pub async fn delete(state: &AppState, id: &str) -> ApiResult<FileRow> {
    let row = get(state.db(), id).await?;
    let done = sqlx::query("DELETE FROM files WHERE id = ?")
        .bind(id)
        .execute(state.db())
        .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            format!("no file with id {id}"),
        ));
    }
    state.blobs().remove(&row.blob_id)?;
    Ok(row)
}
