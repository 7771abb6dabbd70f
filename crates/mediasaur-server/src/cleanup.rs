//! Background clean-up: expires abandoned tus uploads and forgets long-spent tokens.

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::blobs::remove_if_exists;
use crate::db;
use crate::routes::EXPIRED;
use crate::state::AppState;

/// Spent tokens are kept this long past their expiry, so their `token_used` answer stays precise.
const TOKEN_RETENTION_SECS: i64 = 7 * 86_400;

/// Runs [`sweep`] every `cleanup_interval` until `cancel` fires.
pub fn spawn(state: AppState, cancel: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(state.config().cleanup_interval);
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                _ = tick.tick() => {
                    if let Err(e) = sweep(&state).await {
                        tracing::warn!("clean-up failed, will retry: {e}");
                    }
                }
            }
        }
    })
}

/// One pass: uploads past their expiry lose their bytes and are marked expired; old tokens go.
/// Returns how many uploads expired.
pub async fn sweep(state: &AppState) -> Result<usize, sqlx::Error> {
    let now = db::unix_now();
    let expired: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM uploads WHERE state = 'receiving' AND expires_at <= ? LIMIT 1000",
    )
    .bind(now)
    .fetch_all(state.db())
    .await?;
    for id in &expired {
        // Skip uploads a request is writing right now; the next pass gets them.
        let slot = state.upload_slot(id);
        let Ok(_guard) = slot.try_lock() else {
            continue;
        };
        if let Err(e) = remove_if_exists(&state.blobs().partial_path(id)) {
            tracing::warn!(upload = %id, "could not remove expired upload bytes: {e}");
            continue;
        }
        sqlx::query(
            "UPDATE uploads SET state = ?, updated_at = ? WHERE id = ? AND state = 'receiving'",
        )
        .bind(EXPIRED)
        .bind(db::now_text())
        .bind(id)
        .execute(state.db())
        .await?;
        state.forget_upload(id);
    }
    let upload_window = i64::try_from(state.config().upload_expiry.as_secs()).unwrap_or(i64::MAX);
    sqlx::query("DELETE FROM tokens WHERE expires_at < ?")
        .bind(now.saturating_sub(TOKEN_RETENTION_SECS.max(upload_window)))
        .execute(state.db())
        .await?;
    if !expired.is_empty() {
        tracing::info!(count = expired.len(), "expired abandoned uploads");
    }
    Ok(expired.len())
}
