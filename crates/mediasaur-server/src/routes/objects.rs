//! `/{bucket}/{path}`: signed PUT uploads and GET downloads (public buckets, signed GET URLs, or a key).

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use mediasaur_api::signed_url::{parse_query, verify_url, SignedMethod, MAX_SIZE_PARAM};
use mediasaur_api::{BucketName, ErrorCode, ObjectPath};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use axum::http::StatusCode;

use super::files::file_response;
use super::tokens::require_bucket;
use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiResult};
use crate::files;
use crate::keys;
use crate::media::serve_as_attachment;
use crate::receive::receive_whole;
use crate::state::AppState;

/// RFC 8187 attr-chars that need no escaping in `filename*`.
const FILENAME: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~');

fn etag_listed(header: Option<&HeaderValue>, etag: &str) -> Option<bool> {
    let listed = header?.to_str().ok()?;
    Some(
        listed
            .split(',')
            .map(|tag| tag.trim().trim_start_matches("W/"))
            .any(|tag| tag == "*" || tag == etag),
    )
}

/// ETag conditions, which `ServeFile` (dates only) does not check: `If-None-Match` → 304,
/// a failed `If-Match` → 412, and an `If-Range` naming another version drops the range so the client
/// gets the whole current file instead of mixing versions.
fn etag_preconditions(request: &mut Request, etag: &str) -> Option<Response> {
    let headers = request.headers_mut();
    if etag_listed(headers.get(header::IF_MATCH), etag) == Some(false) {
        return Some(StatusCode::PRECONDITION_FAILED.into_response());
    }
    if etag_listed(headers.get(header::IF_NONE_MATCH), etag) == Some(true) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(value) = HeaderValue::from_str(etag) {
            response.headers_mut().insert(header::ETAG, value);
        }
        return Some(response);
    }
    let if_range = headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok());
    if if_range.is_some_and(|v| v.starts_with('"') || v.starts_with("W/")) {
        if if_range != Some(etag) {
            headers.remove(header::RANGE);
        }
        headers.remove(header::IF_RANGE);
    }
    None
}

fn parse_target(bucket: &str, path: &str) -> ApiResult<(BucketName, ObjectPath)> {
    Ok((BucketName::parse(bucket)?, ObjectPath::parse(path)?))
}

/// How a request to an object was authorized.
enum Access {
    /// An API key or a public bucket.
    Full,
    /// A signed URL, with its signed constraints.
    Signed(std::collections::BTreeMap<String, String>),
}

async fn authorize(
    state: &AppState,
    method: SignedMethod,
    request_method: &Method,
    bucket: &BucketName,
    path: &ObjectPath,
    query: Option<&str>,
    headers: &HeaderMap,
) -> ApiResult<Option<Access>> {
    if let Some(signed) = parse_query(query).map_err(|e| ApiError::new(e.code(), e.to_string()))? {
        let candidates = keys::active_signing_keys(state.db()).await?;
        let method = SignedMethod::parse(request_method.as_str()).unwrap_or(method);
        verify_url(
            candidates.iter().map(|(_, key)| key),
            method,
            state.public_host(),
            bucket,
            path,
            &signed,
            crate::db::unix_now(),
        )
        .map_err(|e| ApiError::new(e.code(), e.to_string()))?;
        return Ok(Some(Access::Signed(signed.constraints)));
    }
    match auth::from_headers(state, headers).await? {
        Some(Caller::Key { .. }) => Ok(Some(Access::Full)),
        Some(Caller::Token { .. }) => Err(ApiError::new(
            ErrorCode::Forbidden,
            "upload tokens are used with POST / or /uploads, not here",
        )),
        None => Ok(None),
    }
}

pub(super) async fn put(
    State(state): State<AppState>,
    Path((bucket, path)): Path<(String, String)>,
    request: Request,
) -> ApiResult<impl IntoResponse> {
    let (bucket, path) = parse_target(&bucket, &path)?;
    let (parts, body) = request.into_parts();
    let access = authorize(
        &state,
        SignedMethod::Put,
        &parts.method,
        &bucket,
        &path,
        parts.uri.query(),
        &parts.headers,
    )
    .await?
    .ok_or_else(|| {
        ApiError::new(
            ErrorCode::Unauthorized,
            "uploading here needs a signed PUT URL (?expiry=…&signature=…) or an API key",
        )
    })?;
    require_bucket(&state, &bucket).await?;
    let mut limit = state.config().max_file_size;
    if let Access::Signed(constraints) = &access {
        if let Some(max) = constraints.get(MAX_SIZE_PARAM) {
            let max: u64 = max.parse().map_err(|_| {
                ApiError::new(ErrorCode::InvalidRequest, "max_size is not a number")
            })?;
            limit = limit.min(max);
        }
    }
    files::ensure_free(state.db(), &bucket, &path).await?;
    let expected = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let bytes = receive_whole(&state, body.into_data_stream(), limit, expected).await?;
    let file = files::store_complete(&state, &bucket, &path, bytes).await?;
    Ok(file_response(&state, StatusCode::CREATED, file))
}

pub(super) async fn get(
    State(state): State<AppState>,
    Path((bucket, path)): Path<(String, String)>,
    request: Request,
) -> ApiResult<Response> {
    let (bucket, path) = parse_target(&bucket, &path)?;
    let found = require_bucket(&state, &bucket).await?;
    let access = authorize(
        &state,
        SignedMethod::Get,
        request.method(),
        &bucket,
        &path,
        request.uri().query(),
        request.headers(),
    )
    .await?;
    let signed = matches!(access, Some(Access::Signed(_)));
    if access.is_none() && !found.public {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "this bucket is private: use a signed GET URL or an API key",
        ));
    }
    let row = files::get_by_path(state.db(), &bucket, &path).await?;
    let blob = state.blobs().blob_path(&row.blob_id);
    let mime = HeaderValue::from_str(&row.mime)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    let etag = format!("\"{}\"", row.sha256);
    let mut request = request;
    if let Some(early) = etag_preconditions(&mut request, &etag) {
        return Ok(early);
    }
    let mut response = ServeFile::new(blob)
        .oneshot(request)
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?
        .map(Body::new);
    let headers = response.headers_mut();
    if headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(header::CONTENT_TYPE, mime);
    }
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static("sandbox"),
    );
    let disposition = if serve_as_attachment(&row.mime) {
        "attachment"
    } else {
        "inline"
    };
    let name = utf8_percent_encode(path.file_name(), FILENAME);
    if let Ok(value) = HeaderValue::from_str(&format!("{disposition}; filename*=UTF-8''{name}")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    let cache = if signed || !found.public {
        "private, max-age=300"
    } else {
        "public, max-age=3600"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(response)
}
