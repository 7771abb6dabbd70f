//! Receives one whole upload body (signed PUT or multipart file field) into a temp file, enforcing size
//! limits and stalls, and hands back complete, fsynced bytes or a coded error with nothing left behind.

use std::fs::OpenOptions;

use bytes::Bytes;
use futures_util::Stream;
use mediasaur_api::ErrorCode;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};
use crate::files::CompleteBytes;
use crate::ingest::{ingest, IngestStop, IngestTarget};
use crate::state::AppState;

/// The `file_too_large` error for a limit of `limit` bytes.
pub fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        ErrorCode::FileTooLarge,
        format!("the file is larger than the {limit} bytes allowed"),
    )
}

/// The error for a body that stopped early for `stop`.
pub fn stopped(stop: IngestStop, limit: u64) -> ApiError {
    match stop {
        IngestStop::TooLarge => too_large(limit),
        IngestStop::Interrupted => ApiError::new(
            ErrorCode::InvalidRequest,
            "the request body broke off before it was complete",
        ),
        IngestStop::TimedOut => ApiError::new(
            ErrorCode::RequestTimeout,
            "the request body stalled for too long",
        ),
    }
}

/// Streams `body` to a new temp file. `expected` is the declared length, if any.
pub async fn receive_whole<S, E>(
    state: &AppState,
    body: S,
    limit: u64,
    expected: Option<u64>,
) -> ApiResult<CompleteBytes>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    if expected.is_some_and(|len| len > limit) {
        return Err(too_large(limit));
    }
    let path = state.blobs().temp_path();
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    // From here on, dropping `bytes` removes the temp file.
    let mut bytes = CompleteBytes {
        path,
        size: 0,
        sha256: String::new(),
    };
    let target = IngestTarget {
        file,
        sha256: Some(Sha256::new()),
        checksum: None,
        limit,
        idle_timeout: state.config().idle_timeout,
    };
    let out = ingest(body, target).await?;
    if let Some(stop) = out.stop {
        return Err(stopped(stop, limit));
    }
    if expected.is_some_and(|len| len != out.written) {
        return Err(ApiError::new(
            ErrorCode::LengthMismatch,
            "the body is shorter or longer than its Content-Length",
        ));
    }
    let file = out.file;
    tokio::task::spawn_blocking(move || file.sync_all())
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))??;
    bytes.size = out.written;
    bytes.sha256 = hex::encode(out.sha256.unwrap_or_default().finalize());
    Ok(bytes)
}
