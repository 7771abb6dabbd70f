//! `POST /`: multipart upload (`file`, `path`, `bucket`) with an API key or a single-use token.

use axum::extract::multipart::{Field, MultipartRejection};
use axum::extract::{Multipart, State};
use mediasaur_api::ErrorCode;

use axum::http::StatusCode;

use super::files::file_response;
use super::tokens::require_bucket;
use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiResult};
use crate::files::{self, CompleteBytes};
use crate::receive::receive_whole;
use crate::response::PendingEnvelope;
use crate::state::AppState;

const TEXT_FIELD_LIMIT: usize = 4096;

pub(super) async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<PendingEnvelope> {
    caller.require_fresh()?;
    let multipart = multipart.map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("expected a multipart/form-data body: {}", e.body_text()),
        )
    })?;
    let token = match &caller {
        Caller::Token { claims, .. } => {
            auth::consume_token(&state, claims, None).await?;
            Some(claims.clone())
        }
        Caller::Key { .. } => None,
    };
    let result = receive_and_store(&state, &caller, multipart).await;
    if let (Err(_), Some(claims)) = (&result, &token) {
        // Nothing was stored, so the token may be tried again.
        auth::release_token(&state, claims).await;
    }
    result
}

async fn receive_and_store(
    state: &AppState,
    caller: &Caller,
    mut multipart: Multipart,
) -> ApiResult<PendingEnvelope> {
    let mut bucket: Option<String> = None;
    let mut path: Option<String> = None;
    let mut received: Option<CompleteBytes> = None;
    let limit = state
        .config()
        .max_file_size
        .min(caller.token_limit().unwrap_or(u64::MAX));
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        match field.name() {
            Some("bucket") => bucket = Some(text(field).await?),
            Some("path") => path = Some(text(field).await?),
            Some("file") => {
                if received.is_some() {
                    return Err(ApiError::new(
                        ErrorCode::InvalidRequest,
                        "send exactly one `file` field",
                    ));
                }
                let bucket_known = bucket.is_some() || matches!(caller, Caller::Token { .. });
                if path.is_some() && bucket_known {
                    // Fail before receiving the bytes when the fields that came first are wrong.
                    let (b, p) = caller.upload_target(bucket.as_deref(), path.as_deref())?;
                    require_bucket(state, &b).await?;
                    files::ensure_free(state.db(), &b, &p).await?;
                }
                received = Some(receive_whole(state, field, limit, None).await?);
            }
            _ => drop(text(field).await),
        }
    }
    let bytes = received
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidRequest, "the `file` field is missing"))?;
    // The seed's form requires `path` even with a token (tus creation may leave it to the token).
    let path =
        path.ok_or_else(|| ApiError::new(ErrorCode::InvalidPath, "the `path` field is required"))?;
    let (bucket, path) = caller.upload_target(bucket.as_deref(), Some(&path))?;
    require_bucket(state, &bucket).await?;
    let file = files::store_complete(state, &bucket, &path, bytes).await?;
    Ok(file_response(state, StatusCode::CREATED, file))
}

fn malformed(e: axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidRequest,
        format!("the multipart body is malformed: {}", e.body_text()),
    )
}

async fn text(field: Field<'_>) -> ApiResult<String> {
    let name = field.name().unwrap_or("").to_owned();
    let bytes = read_limited(field, TEXT_FIELD_LIMIT).await?;
    String::from_utf8(bytes).map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("the `{name}` field is not UTF-8 text"),
        )
    })
}

async fn read_limited(mut field: Field<'_>, limit: usize) -> ApiResult<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(malformed)? {
        if out.len() + chunk.len() > limit {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                "a text field is longer than 4 KiB",
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}
