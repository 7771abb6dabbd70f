//! tus 1.0 resumable uploads at `/uploads`: core, creation, creation-with-upload,
//! creation-defer-length, expiration, checksum (sha1, sha256) and termination.

mod create;
mod patch;
mod record;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use mediasaur_api::messages::UploadStatus;
use mediasaur_api::{ErrorCode, TUS_VERSION};
use tokio::sync::OwnedMutexGuard;

use self::record::UploadRow;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::files;
use crate::response::PendingEnvelope;
use crate::state::{AppState, UploadSlot};

pub(crate) use self::record::EXPIRED;

const EXTENSIONS: &str =
    "creation,creation-with-upload,creation-defer-length,expiration,checksum,termination";

/// How long a request waits for another writer of the same upload before answering `upload_locked`.
const LOCK_WAIT: Duration = Duration::from_secs(5);

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/uploads", post(create::create).options(options))
        .route(
            "/uploads/{id}",
            get(status)
                .head(head)
                .patch(patch::patch)
                .delete(terminate)
                .options(options),
        )
}

/// Every response under `/uploads` carries `Tus-Resumable`, including the router's own 404s and 405s,
/// so `app` wraps the whole router with this.
pub(crate) async fn stamp_tus_resumable(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let is_tus = request.uri().path().starts_with("/uploads");
    let mut response = next.run(request).await;
    if !is_tus {
        return response;
    }
    let precondition_failed = response.status() == StatusCode::PRECONDITION_FAILED;
    let headers = response.headers_mut();
    headers.insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    if precondition_failed {
        headers.insert("tus-version", HeaderValue::from_static(TUS_VERSION));
    }
    response
}

/// tus clients behind proxies that only pass GET and POST send `X-HTTP-Method-Override`. It must be
/// applied before routing, so `app` wraps the whole router with this.
pub(crate) fn apply_method_override(mut request: axum::extract::Request) -> axum::extract::Request {
    if request.method() == Method::POST && request.uri().path().starts_with("/uploads/") {
        let method = request
            .headers()
            .get("x-http-method-override")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| match v.to_ascii_uppercase().as_str() {
                "PATCH" => Some(Method::PATCH),
                "DELETE" => Some(Method::DELETE),
                "HEAD" => Some(Method::HEAD),
                _ => None,
            });
        if let Some(method) = method {
            *request.method_mut() = method;
        }
    }
    request
}

fn header(name: &'static str, value: impl ToString) -> (HeaderName, HeaderValue) {
    (
        HeaderName::from_static(name),
        HeaderValue::from_str(&value.to_string()).unwrap_or(HeaderValue::from_static("")),
    )
}

/// Refuses requests that do not speak tus 1.0.0.
fn require_tus(headers: &HeaderMap) -> ApiResult<()> {
    match headers.get("tus-resumable").and_then(|v| v.to_str().ok()) {
        Some(TUS_VERSION) => Ok(()),
        _ => Err(ApiError::new(
            ErrorCode::UnsupportedVersion,
            "this server speaks tus 1.0.0; send `Tus-Resumable: 1.0.0`",
        )),
    }
}

/// A header value parsed as a number of bytes.
fn number(headers: &HeaderMap, name: &str) -> ApiResult<Option<u64>> {
    headers
        .get(name)
        .map(|v| {
            v.to_str().ok().and_then(|s| s.parse().ok()).ok_or_else(|| {
                ApiError::new(
                    ErrorCode::InvalidRequest,
                    format!("{name} must be a non-negative integer"),
                )
            })
        })
        .transpose()
}

async fn options(State(state): State<AppState>) -> impl IntoResponse {
    (
        StatusCode::NO_CONTENT,
        [
            header("tus-version", TUS_VERSION),
            header("tus-extension", EXTENSIONS),
            header("tus-max-size", state.config().max_file_size),
            header("tus-checksum-algorithm", "sha1,sha256"),
        ],
    )
}

/// Loads upload `id` for `caller`: any key, or the one token that created it.
async fn load_for(state: &AppState, caller: &Caller, id: &str) -> ApiResult<UploadRow> {
    let row = record::load(state.db(), id).await?;
    if let Caller::Token { claims, .. } = caller {
        if row.token_jti.as_deref() != Some(claims.jti.as_str()) {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "this token may only continue the upload it created",
            ));
        }
    }
    Ok(row)
}

/// Waits briefly for the upload's single-writer lock.
async fn lock(state: &AppState, id: &str) -> Option<OwnedMutexGuard<UploadSlot>> {
    let slot: Arc<tokio::sync::Mutex<UploadSlot>> = state.upload_slot(id);
    tokio::time::timeout(LOCK_WAIT, slot.lock_owned())
        .await
        .ok()
}

fn locked() -> ApiError {
    ApiError::new(
        ErrorCode::UploadLocked,
        "another request is writing to this upload; retry shortly",
    )
}

fn progress_headers(row: &UploadRow) -> Vec<(HeaderName, HeaderValue)> {
    let mut headers = vec![
        header("upload-offset", row.offset()),
        header("cache-control", "no-store"),
    ];
    match row.length() {
        Some(length) => headers.push(header("upload-length", length)),
        None => headers.push(header("upload-defer-length", 1)),
    }
    if row.state == record::RECEIVING {
        headers.push(header("upload-expires", record::http_date(row.expires_at)));
    }
    headers
}

async fn head(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    require_tus(&headers)?;
    load_for(&state, &caller, &id).await?;
    // A PATCH cut off a moment ago may still be saving what it received: let it settle first.
    let _settled = lock(&state, &id).await;
    let row = record::load(state.db(), &id).await?;
    if row.state != record::COMPLETE {
        // A failed or expired upload has no bytes to resume; an offset would read as "done".
        row.require_receiving()?;
    }
    let mut response = StatusCode::OK.into_response();
    let out = response.headers_mut();
    for (name, value) in progress_headers(&row) {
        out.insert(name, value);
    }
    if !row.metadata.is_empty() {
        if let Ok(value) = HeaderValue::from_str(&row.metadata) {
            out.insert("upload-metadata", value);
        }
    }
    Ok(response)
}

/// The File object a complete upload became.
async fn stored_file(
    state: &AppState,
    row: &UploadRow,
) -> ApiResult<Option<mediasaur_api::FileObject>> {
    Ok(match &row.file_id {
        Some(file_id) => Some(
            files::get(state.db(), file_id)
                .await?
                .to_object(state.public_base()),
        ),
        None => None,
    })
}

async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<PendingEnvelope> {
    let row = load_for(&state, &caller, &id).await?;
    let file = stored_file(&state, &row).await?;
    let expired = row.state == record::RECEIVING && row.expires_at <= crate::db::unix_now();
    let data = UploadStatus {
        offset: row.offset(),
        length: row.length(),
        state: if expired {
            EXPIRED.to_owned()
        } else {
            row.state.clone()
        },
        expires_at: chrono::DateTime::from_timestamp(row.expires_at, 0)
            .map(crate::db::to_text)
            .unwrap_or_default(),
        error: row.error_code.clone(),
        file,
        id: row.id,
        bucket: row.bucket,
        path: row.path,
    };
    Ok(PendingEnvelope::data(StatusCode::OK, data))
}

async fn terminate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    require_tus(&headers)?;
    load_for(&state, &caller, &id).await?;
    let _guard = lock(&state, &id).await.ok_or_else(locked)?;
    crate::blobs::remove_if_exists(&state.blobs().partial_path(&id))?;
    record::delete(state.db(), &id).await?;
    state.forget_upload(&id);
    Ok(StatusCode::NO_CONTENT)
}
