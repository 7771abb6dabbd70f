//! Upload requests as stored: what was handed to a collaborator and whether its file arrived, so
//! the app keeps watching for it across restarts.

use super::{database, now_ms, Database};
use crate::error::{ClientError, ClientResult};

/// A request handed out.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredRequest {
    /// Local row id.
    pub id: i64,
    /// The profile that asked.
    pub profile: String,
    /// `token` or `signed_put`.
    pub method: String,
    /// Bucket.
    pub bucket: String,
    /// The exact path the file must land at.
    pub path: String,
    /// The signed PUT URL, or the endpoint to `POST` to with the token.
    pub url: String,
    /// The scoped upload token (method `token`).
    pub token: Option<String>,
    /// The ready command line.
    pub curl: String,
    /// When it was asked, ms since the Unix epoch; files made before do not count.
    pub asked_at: i64,
    /// When the token or URL stops working.
    pub expires_at: i64,
    /// When its file arrived.
    pub arrived_at: Option<i64>,
    /// The history entry the file became (cleared if that entry is deleted).
    pub history_id: Option<i64>,
}

/// A request to store; `id`, `arrived_at` and `history_id` come later.
#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    /// The profile that asks.
    pub profile: &'a str,
    /// `token` or `signed_put`.
    pub method: &'a str,
    /// Bucket.
    pub bucket: &'a str,
    /// Path.
    pub path: &'a str,
    /// Where to send the file.
    pub url: &'a str,
    /// The scoped upload token.
    pub token: Option<&'a str>,
    /// The command line.
    pub curl: &'a str,
    /// When it was asked.
    pub asked_at: i64,
    /// When it stops working.
    pub expires_at: i64,
}

const COLUMNS: &str = "id, profile, method, bucket, path, url, token, curl, asked_at, expires_at, \
                       arrived_at, history_id";

/// How long after expiring a request is still looked for: an upload may be finishing.
pub const ARRIVAL_GRACE_MS: i64 = 60_000;

impl Database {
    /// Stores a request; returns its id.
    pub async fn add_upload_request(&self, new: &NewRequest<'_>) -> ClientResult<i64> {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO upload_requests (profile, method, bucket, path, url, token, curl, asked_at,
                expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
             RETURNING id",
        )
        .bind(new.profile)
        .bind(new.method)
        .bind(new.bucket)
        .bind(new.path)
        .bind(new.url)
        .bind(new.token)
        .bind(new.curl)
        .bind(new.asked_at)
        .bind(new.expires_at)
        .fetch_one(self.writer())
        .await
        .map_err(database("storing an upload request"))
    }

    /// The newest `limit` requests, newest first.
    pub async fn upload_requests(&self, limit: i64) -> ClientResult<Vec<StoredRequest>> {
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM upload_requests ORDER BY id DESC LIMIT ?"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(database("listing upload requests"))
    }

    /// The request with id `id`.
    pub async fn upload_request(&self, id: i64) -> ClientResult<StoredRequest> {
        sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM upload_requests WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(database("reading an upload request"))?
        .ok_or_else(|| ClientError::NotFound {
            what: format!("upload request {id}"),
        })
    }

    /// Ids of the requests still worth looking for: not arrived, not long expired.
    pub async fn open_upload_requests(&self) -> ClientResult<Vec<i64>> {
        sqlx::query_scalar(
            "SELECT id FROM upload_requests WHERE arrived_at IS NULL AND expires_at > ? ORDER BY id",
        )
        .bind(now_ms() - ARRIVAL_GRACE_MS)
        .fetch_all(self.pool())
        .await
        .map_err(database("listing open upload requests"))
    }

    /// Records that request `id`'s file arrived as history entry `history_id`.
    pub async fn mark_request_arrived(&self, id: i64, history_id: i64) -> ClientResult<()> {
        sqlx::query("UPDATE upload_requests SET arrived_at = ?, history_id = ? WHERE id = ?")
            .bind(now_ms())
            .bind(history_id)
            .bind(id)
            .execute(self.writer())
            .await
            .map_err(database("recording an upload request's arrival"))?;
        Ok(())
    }
}
