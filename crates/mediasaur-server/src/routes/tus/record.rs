//! The `uploads` table and the tus header formats around it (`Upload-Metadata`, `Upload-Expires`).

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{TimeZone, Utc};
use mediasaur_api::ErrorCode;
use sqlx::SqlitePool;

use crate::db;
use crate::error::{ApiError, ApiResult};

/// Upload states as stored.
pub(crate) const RECEIVING: &str = "receiving";
pub(crate) const COMPLETE: &str = "complete";
pub(crate) const FAILED: &str = "failed";
pub(crate) const EXPIRED: &str = "expired";

/// An `uploads` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct UploadRow {
    pub id: String,
    pub bucket: String,
    pub path: String,
    pub length: Option<i64>,
    pub offset: i64,
    pub max_size: i64,
    pub metadata: String,
    pub token_jti: Option<String>,
    pub state: String,
    pub file_id: Option<String>,
    pub error_code: Option<String>,
    pub expires_at: i64,
}

impl UploadRow {
    pub fn offset(&self) -> u64 {
        u64::try_from(self.offset).unwrap_or_default()
    }

    pub fn length(&self) -> Option<u64> {
        self.length.and_then(|l| u64::try_from(l).ok())
    }

    pub fn max_size(&self) -> u64 {
        u64::try_from(self.max_size).unwrap_or_default()
    }

    /// Fails unless the upload can still take bytes.
    pub fn require_receiving(&self) -> ApiResult<()> {
        match self.state.as_str() {
            RECEIVING if self.expires_at > db::unix_now() => Ok(()),
            RECEIVING | EXPIRED => Err(ApiError::new(
                ErrorCode::UploadExpired,
                "this upload expired before it was finished; start a new one",
            )),
            COMPLETE => Err(ApiError::new(
                ErrorCode::OffsetMismatch,
                "this upload is already complete",
            )),
            _ => Err(ApiError::new(
                self.error_code
                    .as_deref()
                    .and_then(|c| serde_json::from_value(c.into()).ok())
                    .unwrap_or(ErrorCode::Internal),
                "this upload failed when it was completed; start a new one",
            )),
        }
    }
}

const COLUMNS: &str = r#"id, bucket, path, length, "offset", max_size, metadata, token_jti, state, file_id,
                         error_code, expires_at"#;

/// Whether `id` has the shape of an id this server generates.
pub(super) fn plausible_id(id: &str) -> bool {
    id.strip_prefix("up_")
        .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric()))
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(ErrorCode::NotFound, format!("no upload with id {id}"))
}

/// Fails with `not_found` for ids this server could not have generated.
pub(super) fn check_id(id: &str) -> ApiResult<()> {
    if plausible_id(id) {
        Ok(())
    } else {
        Err(not_found(id))
    }
}

/// One upload by id; ids that could not have been generated here are simply not found.
pub(super) async fn load(db: &SqlitePool, id: &str) -> ApiResult<UploadRow> {
    let row = if plausible_id(id) {
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM uploads WHERE id = ?"))
            .bind(id)
            .fetch_optional(db)
            .await?
    } else {
        None
    };
    row.ok_or_else(|| not_found(id))
}

/// Records a new upload.
pub(super) async fn insert(
    db: &SqlitePool,
    row: &UploadRow,
    key_id: Option<&str>,
) -> ApiResult<()> {
    let now = db::now_text();
    sqlx::query(&format!(
        "INSERT INTO uploads ({COLUMNS}, key_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&row.id)
    .bind(&row.bucket)
    .bind(&row.path)
    .bind(row.length)
    .bind(row.offset)
    .bind(row.max_size)
    .bind(&row.metadata)
    .bind(&row.token_jti)
    .bind(&row.state)
    .bind(&row.file_id)
    .bind(&row.error_code)
    .bind(row.expires_at)
    .bind(key_id)
    .bind(&now)
    .bind(&now)
    .execute(db)
    .await?;
    Ok(())
}

/// Saves the offset (and a length that was deferred until now).
pub(super) async fn save_progress(db: &SqlitePool, row: &UploadRow) -> ApiResult<()> {
    sqlx::query(r#"UPDATE uploads SET "offset" = ?, length = ?, updated_at = ? WHERE id = ?"#)
        .bind(row.offset)
        .bind(row.length)
        .bind(db::now_text())
        .bind(&row.id)
        .execute(db)
        .await?;
    Ok(())
}

/// Records how the upload ended.
pub(super) async fn finish(
    db: &SqlitePool,
    id: &str,
    state: &str,
    file_id: Option<&str>,
    error: Option<ErrorCode>,
) -> ApiResult<()> {
    sqlx::query(
        "UPDATE uploads SET state = ?, file_id = ?, error_code = ?, updated_at = ? WHERE id = ?",
    )
    .bind(state)
    .bind(file_id)
    .bind(error.map(ErrorCode::as_str))
    .bind(db::now_text())
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets an upload (termination).
pub(super) async fn delete(db: &SqlitePool, id: &str) -> ApiResult<()> {
    sqlx::query("DELETE FROM uploads WHERE id = ?")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Parses `Upload-Metadata`: comma-separated `key base64value` pairs, the value optional.
pub(super) fn parse_metadata(header: &str) -> ApiResult<BTreeMap<String, String>> {
    let invalid = |why: &str| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("Upload-Metadata is malformed: {why}"),
        )
    };
    let mut out = BTreeMap::new();
    for pair in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once(' ').unwrap_or((pair, ""));
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid("a key is empty or not printable ASCII"));
        }
        let value = STANDARD
            .decode(value.trim())
            .map_err(|_| invalid("a value is not base64"))?;
        let value = String::from_utf8(value).map_err(|_| invalid("a value is not UTF-8"))?;
        if out.insert(key.to_owned(), value).is_some() {
            return Err(invalid("a key appears twice"));
        }
    }
    Ok(out)
}

/// `Upload-Expires` in the RFC 9110 date format.
pub(super) fn http_date(unix: i64) -> String {
    Utc.timestamp_opt(unix, 0)
        .single()
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_parsing() {
        let m = parse_metadata("path YS9iLnBuZw==,bucket ZGVmYXVsdA==, is_confidential").unwrap();
        assert_eq!(m["path"], "a/b.png");
        assert_eq!(m["bucket"], "default");
        assert_eq!(m["is_confidential"], "");
        assert!(parse_metadata("path !!!").is_err());
        assert!(parse_metadata("a YQ==,a YQ==").is_err());
        assert_eq!(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
    }
}
