//! `POST /uploads`: tus creation, with deferred length and with the first bytes in the same request.

use std::fs::OpenOptions;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header as http_header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use mediasaur_api::{new_id, ErrorCode, IdPrefix};
use sha2::{Digest, Sha256};

use super::patch::{append, appended, complete, has_tus_body};
use super::record::{self, UploadRow};
use super::{lock, locked, number, require_tus};
use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiResult};
use crate::receive::too_large;
use crate::routes::tokens::require_bucket;
use crate::state::AppState;
use crate::{db, files};

pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    require_tus(&headers)?;
    caller.require_fresh()?;
    let length = number(&headers, "upload-length")?;
    let deferred = match headers.get("upload-defer-length").map(|v| v.as_bytes()) {
        None => false,
        Some(b"1") => true,
        Some(_) => {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                "Upload-Defer-Length must be 1",
            ))
        }
    };
    if length.is_some() == deferred {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "send exactly one of Upload-Length and Upload-Defer-Length: 1",
        ));
    }
    let raw_metadata = headers
        .get("upload-metadata")
        .map(|v| v.to_str().unwrap_or("\u{0}"))
        .unwrap_or("");
    let metadata = record::parse_metadata(raw_metadata)?;
    let (bucket, path) = caller.upload_target(
        metadata.get("bucket").map(String::as_str),
        metadata.get("path").map(String::as_str),
    )?;
    require_bucket(&state, &bucket).await?;
    files::ensure_free(state.db(), &bucket, &path).await?;
    let max_size = state
        .config()
        .max_file_size
        .min(caller.token_limit().unwrap_or(u64::MAX));
    if length.is_some_and(|l| l > max_size) {
        return Err(too_large(max_size));
    }

    let id = new_id(IdPrefix::Upload);
    let token_jti = match &caller {
        Caller::Token { claims, .. } => {
            auth::consume_token(&state, claims, Some(&id)).await?;
            Some(claims.jti.clone())
        }
        Caller::Key { .. } => None,
    };
    let expiry = i64::try_from(state.config().upload_expiry.as_secs()).unwrap_or(i64::MAX);
    let mut row = UploadRow {
        id: id.clone(),
        bucket: bucket.to_string(),
        path: path.to_string(),
        length: length.map(|l| i64::try_from(l).unwrap_or(i64::MAX)),
        offset: 0,
        max_size: i64::try_from(max_size).unwrap_or(i64::MAX),
        metadata: raw_metadata.to_owned(),
        token_jti,
        state: record::RECEIVING.to_owned(),
        file_id: None,
        error_code: None,
        expires_at: db::unix_now().saturating_add(expiry),
    };
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(state.blobs().partial_path(&id))?;
    let key_id = match &caller {
        Caller::Key { key_id } => Some(key_id.as_str()),
        Caller::Token { .. } => None,
    };
    record::insert(state.db(), &row, key_id).await?;

    // Relative to the origin, under the public URL's path: behind a reverse proxy that serves the API
    // under a prefix, clients must come back through that prefix.
    let prefix = state.config().public_url.path().trim_end_matches('/');
    let location = HeaderValue::from_str(&format!("{prefix}/uploads/{id}"))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut slot = lock(&state, &id).await.ok_or_else(locked)?;
    // Hash as the bytes arrive so completion need not read the whole file again.
    slot.sha256 = Some((0, Sha256::new()));
    let outcome = if has_tus_body(&headers) {
        append(&state, &mut row, &mut slot, &headers, body).await
    } else if row.length() == Some(0) {
        complete(&state, &mut row, &mut slot).await.map(Some)
    } else {
        Ok(None)
    };
    // The upload exists whatever happened to its first bytes: a client told why and where can HEAD it
    // and resume (or learn it failed for good) rather than retry a creation its token no longer allows.
    let mut response = match outcome {
        Ok(file) => appended(StatusCode::CREATED, &row, file.as_ref()),
        Err(e) => e.into_response(),
    };
    response
        .headers_mut()
        .insert(http_header::LOCATION, location);
    Ok(response)
}
