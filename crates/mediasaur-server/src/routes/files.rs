//! `/files`: read, list and delete File objects with an API key.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mediasaur_api::messages::FileList;
use mediasaur_api::{BucketName, ErrorCode};
use serde::Deserialize;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::files;
use crate::response::PendingEnvelope;
use crate::state::AppState;

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

/// The envelope for a File object, with its `self` link.
pub(super) fn file_response(
    state: &AppState,
    status: StatusCode,
    file: mediasaur_api::FileObject,
) -> PendingEnvelope {
    let link = format!("{}/files/{}", state.public_base(), file.id);
    PendingEnvelope::data(status, file).link("self", link)
}

pub(super) async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<PendingEnvelope> {
    caller.require_key()?;
    let row = files::get(state.db(), &id).await?;
    Ok(file_response(
        &state,
        StatusCode::OK,
        row.to_object(state.public_base()),
    ))
}

pub(super) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<PendingEnvelope> {
    caller.require_key()?;
    let row = files::delete(&state, &id).await?;
    Ok(file_response(
        &state,
        StatusCode::OK,
        row.to_object(state.public_base()),
    ))
}

#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    bucket: Option<String>,
    #[serde(default)]
    prefix: String,
    cursor: Option<String>,
    limit: Option<u32>,
}

fn invalid(message: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidRequest, message)
}

fn encode_cursor(bucket: &str, path: &str) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&(bucket, path)).unwrap_or_default())
}

fn decode_cursor(cursor: &str) -> ApiResult<(String, String)> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| invalid("the cursor is not one this server returned"))
}

pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<PendingEnvelope> {
    caller.require_key()?;
    let Query(query) = query.map_err(|e| invalid(&e.body_text()))?;
    let bucket = query.bucket.as_deref().map(BucketName::parse).transpose()?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(invalid("limit must be between 1 and 1000"));
    }
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let mut rows = files::list(state.db(), bucket.as_ref(), &query.prefix, after, limit).await?;
    let has_more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next = has_more
        .then(|| rows.last().map(|r| r.to_object("")))
        .flatten()
        .map(|last| encode_cursor(&last.bucket, &last.path));
    let data: Vec<_> = rows
        .iter()
        .map(|r| r.to_object(state.public_base()))
        .collect();
    let mut envelope = PendingEnvelope::data(
        StatusCode::OK,
        FileList {
            files: data,
            next_cursor: next.clone(),
        },
    );
    if let Some(cursor) = next {
        let mut next_url = url::Url::parse(&format!("{}/files", state.public_base()))
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        {
            let mut pairs = next_url.query_pairs_mut();
            if let Some(b) = &bucket {
                pairs.append_pair("bucket", b.as_str());
            }
            if !query.prefix.is_empty() {
                pairs.append_pair("prefix", &query.prefix);
            }
            pairs.append_pair("limit", &limit.to_string());
            pairs.append_pair("cursor", &cursor);
        }
        envelope = envelope.link("next", next_url.to_string());
    }
    Ok(envelope)
}
