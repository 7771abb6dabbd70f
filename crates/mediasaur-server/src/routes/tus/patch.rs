//! `PATCH /uploads/{id}`: append bytes at the agreed offset, check per-request checksums, and turn the
//! upload into a File object when the last byte arrives.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header as http_header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use mediasaur_api::{ErrorCode, FileObject, FILE_ID_HEADER};
use sha2::{Digest, Sha256};

use super::record::{self, UploadRow};
use super::{header, load_for, lock, locked, number, progress_headers, require_tus, stored_file};
use crate::auth;
use crate::error::{ApiError, ApiResult};
use crate::files::{self, CompleteBytes};
use crate::ingest::{ingest, ChecksumAlgorithm, IngestStop, IngestTarget};
use crate::receive::{stopped, too_large};
use crate::state::{AppState, UploadSlot};

const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

/// Whether the request carries tus bytes (`Content-Type: application/offset+octet-stream`).
pub(super) fn has_tus_body(headers: &HeaderMap) -> bool {
    headers
        .get(http_header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case(OFFSET_OCTET_STREAM))
}

fn parse_checksum(headers: &HeaderMap) -> ApiResult<Option<(ChecksumAlgorithm, Vec<u8>)>> {
    let Some(value) = headers.get("upload-checksum") else {
        return Ok(None);
    };
    let invalid =
        |why: &str| ApiError::new(ErrorCode::InvalidRequest, format!("Upload-Checksum {why}"));
    let value = value.to_str().map_err(|_| invalid("is not ASCII"))?;
    let (name, digest) = value
        .split_once(' ')
        .ok_or_else(|| invalid("must be `<algorithm> <base64 digest>`"))?;
    let algorithm = match name {
        "sha1" => ChecksumAlgorithm::Sha1,
        "sha256" => ChecksumAlgorithm::Sha256,
        _ => {
            return Err(invalid(
                "names an algorithm this server does not support (sha1, sha256)",
            ))
        }
    };
    let digest = STANDARD
        .decode(digest.trim())
        .map_err(|_| invalid("digest is not base64"))?;
    Ok(Some((algorithm, digest)))
}

/// Appends `body` to the upload at `row.offset` and saves the new offset; completes the upload when
/// the last byte arrived. Caller holds the upload's lock (`slot`).
pub(super) async fn append(
    state: &AppState,
    row: &mut UploadRow,
    slot: &mut UploadSlot,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<Option<FileObject>> {
    let checksum = parse_checksum(headers)?;
    let start = row.offset();
    if let Some(length) = number(headers, "upload-length")? {
        match row.length() {
            Some(known) if known != length => {
                return Err(ApiError::new(
                    ErrorCode::LengthMismatch,
                    "Upload-Length cannot change once set",
                ))
            }
            _ if length < start => {
                return Err(ApiError::new(
                    ErrorCode::LengthMismatch,
                    "Upload-Length is smaller than what was already received",
                ))
            }
            _ if length > row.max_size() => return Err(too_large(row.max_size())),
            _ => row.length = Some(i64::try_from(length).unwrap_or(i64::MAX)),
        }
    }
    let end = row.length().unwrap_or(row.max_size());
    let limit = end.saturating_sub(start);
    if number(headers, "content-length")?.is_some_and(|len| len > limit) {
        return Err(match row.length() {
            Some(_) => ApiError::new(
                ErrorCode::LengthMismatch,
                "the body goes past the declared Upload-Length",
            ),
            None => too_large(row.max_size()),
        });
    }

    let path = state.blobs().partial_path(&row.id);
    let mut file = OpenOptions::new().write(true).open(&path)?;
    file.seek(SeekFrom::Start(start))?;
    let running = slot
        .sha256
        .take()
        .filter(|(at, _)| *at == start)
        .map(|(_, hasher)| hasher);
    let before = running.clone();
    let out = ingest(
        body.into_data_stream(),
        IngestTarget {
            file,
            sha256: running,
            checksum: checksum.as_ref().map(|(algorithm, _)| *algorithm),
            limit,
            idle_timeout: state.config().idle_timeout,
        },
    )
    .await?;

    let mismatch = match (&checksum, &out.checksum) {
        (Some((_, expected)), Some(actual)) => expected != actual,
        _ => false,
    };
    // With a checksum, only a whole, matching body counts; without one, tus keeps what arrived.
    let discard = mismatch
        || out.stop == Some(IngestStop::TooLarge)
        || (checksum.is_some() && out.stop.is_some());
    if discard {
        out.file.set_len(start)?;
        slot.sha256 = before.map(|hasher| (start, hasher));
        if mismatch {
            return Err(ApiError::new(
                ErrorCode::ChecksumMismatch,
                "the body does not match its Upload-Checksum; nothing was kept",
            ));
        }
        let stop = out.stop.unwrap_or(IngestStop::Interrupted);
        return Err(match (stop, row.length()) {
            (IngestStop::TooLarge, Some(_)) => ApiError::new(
                ErrorCode::LengthMismatch,
                "the body goes past the declared Upload-Length",
            ),
            _ => stopped(stop, row.max_size()),
        });
    }

    let file = out.file;
    tokio::task::spawn_blocking(move || file.sync_data())
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))??;
    row.offset = i64::try_from(start + out.written).unwrap_or(i64::MAX);
    slot.sha256 = out.sha256.map(|hasher| (row.offset(), hasher));
    record::save_progress(state.db(), row).await?;
    if let Some(stop) = out.stop {
        return Err(stopped(stop, row.max_size()));
    }
    if row.length() == Some(row.offset()) {
        return complete(state, row, slot).await.map(Some);
    }
    Ok(None)
}

/// Turns the finished partial file into a File object, or marks the upload failed with the reason.
pub(super) async fn complete(
    state: &AppState,
    row: &mut UploadRow,
    slot: &mut UploadSlot,
) -> ApiResult<FileObject> {
    let path = state.blobs().partial_path(&row.id);
    let sha256 = match slot.sha256.take() {
        Some((at, hasher)) if at == row.offset() => hex::encode(hasher.finalize()),
        _ => {
            let path = path.clone();
            tokio::task::spawn_blocking(move || hash_file(&path))
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))??
        }
    };
    let bucket = mediasaur_api::BucketName::parse(&row.bucket)?;
    let object = mediasaur_api::ObjectPath::parse(&row.path)?;
    let bytes = CompleteBytes {
        path,
        size: row.offset(),
        sha256,
    };
    match files::store_complete(state, &bucket, &object, bytes).await {
        Ok(file) => {
            record::finish(state.db(), &row.id, record::COMPLETE, Some(&file.id), None).await?;
            row.state = record::COMPLETE.to_owned();
            row.file_id = Some(file.id.clone());
            state.forget_upload(&row.id);
            Ok(file)
        }
        Err(e) => {
            record::finish(state.db(), &row.id, record::FAILED, None, Some(e.code())).await?;
            state.forget_upload(&row.id);
            Err(e)
        }
    }
}

fn hash_file(path: &std::path::Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1024 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Headers of a response to a request that appended bytes, plus the File id once complete.
pub(super) fn appended(status: StatusCode, row: &UploadRow, file: Option<&FileObject>) -> Response {
    let mut response = status.into_response();
    let headers = response.headers_mut();
    for (name, value) in progress_headers(row) {
        headers.insert(name, value);
    }
    if let Some(file) = file {
        let (name, value) = header("mediasaur-file-id", &file.id);
        debug_assert!(name.as_str().eq_ignore_ascii_case(FILE_ID_HEADER));
        headers.insert(name, value);
    }
    response
}

pub(super) async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    require_tus(&headers)?;
    if !has_tus_body(&headers) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "PATCH bodies must be `Content-Type: application/offset+octet-stream`",
        ));
    }
    let offset = number(&headers, "upload-offset")?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            "PATCH needs an Upload-Offset header",
        )
    })?;
    record::check_id(&id)?;
    // Take the upload's lock before anything that awaits (authentication queries the database): a
    // client whose PATCH was cut retries with HEAD at once, and that HEAD must wait for this PATCH to
    // save what it received, or the client re-sends bytes the server already has.
    let mut slot = lock(&state, &id).await.ok_or_else(locked)?;
    let caller = auth::from_headers(&state, &headers)
        .await?
        .ok_or_else(auth::missing_credentials)?;
    let loaded = load_for(&state, &caller, &id).await;
    if loaded
        .as_ref()
        .is_err_and(|e| e.code() == ErrorCode::NotFound)
    {
        state.forget_upload(&id);
    }
    let mut row = loaded?;
    if row.state == record::COMPLETE && row.length() == Some(offset) {
        // A retried final PATCH whose response was lost: answer it again.
        let file = stored_file(&state, &row).await?;
        return Ok(appended(StatusCode::NO_CONTENT, &row, file.as_ref()));
    }
    row.require_receiving()?;
    if offset != row.offset() {
        return Err(ApiError::new(
            ErrorCode::OffsetMismatch,
            format!(
                "Upload-Offset is {offset} but the server has {}; HEAD the upload and resume from there",
                row.offset()
            ),
        ));
    }
    let file = append(&state, &mut row, &mut slot, &headers, body).await?;
    Ok(appended(StatusCode::NO_CONTENT, &row, file.as_ref()))
}
