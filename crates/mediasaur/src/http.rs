//! Turning HTTP responses into data or coded errors: the envelope, tus's bare answers, and whatever a
//! broken server or proxy sends instead.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mediasaur_api::{Envelope, ErrorCode};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{ClientError, ClientResult};

/// Bodies larger than this are not the Upload API's JSON.
const MAX_JSON_BODY: usize = 4 * 1024 * 1024;

/// Sends `request`, mapping transport failures to [`ClientError::Network`].
pub(crate) async fn send(request: RequestBuilder, origin: &Url) -> ClientResult<Response> {
    request
        .send()
        .await
        .map_err(|e| ClientError::network(origin, &e))
}

/// How long a server may take to answer once it has every byte of a body (finishing a large file).
const ANSWER_WAIT: Duration = Duration::from_secs(300);

/// When a streaming request body last moved, so a stall is noticed while a slow but moving upload is
/// left alone (a whole-request deadline would fail every long PATCH on a slow link).
#[derive(Debug, Clone)]
pub(crate) struct BodyActivity(Arc<ActivityState>);

#[derive(Debug)]
struct ActivityState {
    since: Instant,
    /// Milliseconds after `since` of the last block handed to the connection.
    last_ms: AtomicU64,
    done: AtomicBool,
}

impl BodyActivity {
    pub(crate) fn new() -> Self {
        Self(Arc::new(ActivityState {
            since: Instant::now(),
            last_ms: AtomicU64::new(0),
            done: AtomicBool::new(false),
        }))
    }

    /// A block went out.
    pub(crate) fn touch(&self) {
        let ms = u64::try_from(self.0.since.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.last_ms.store(ms, Ordering::Relaxed);
    }

    /// The whole body went out; from now on the server is finishing.
    pub(crate) fn finish(&self) {
        self.touch();
        self.0.done.store(true, Ordering::Relaxed);
    }

    fn quiet_for(&self) -> Duration {
        self.0.since.elapsed().saturating_sub(Duration::from_millis(
            self.0.last_ms.load(Ordering::Relaxed),
        ))
    }
}

/// Sends a request whose body streams from `activity`'s source: it fails when the body stops moving for
/// `idle`, or when the answer takes longer than [`ANSWER_WAIT`] after the last byte.
pub(crate) async fn send_streaming(
    request: RequestBuilder,
    origin: &Url,
    activity: &BodyActivity,
    idle: Duration,
) -> ClientResult<Response> {
    let send = send(request, origin);
    tokio::pin!(send);
    let mut check = tokio::time::interval((idle / 4).max(Duration::from_millis(50)));
    loop {
        tokio::select! {
            result = &mut send => return result,
            _ = check.tick() => {
                let done = activity.0.done.load(Ordering::Relaxed);
                let limit = if done { ANSWER_WAIT } else { idle };
                if activity.quiet_for() > limit {
                    return Err(ClientError::Network {
                        endpoint: origin.origin().ascii_serialization(),
                        message: if done {
                            format!("no answer {}s after the last byte was sent", limit.as_secs())
                        } else {
                            format!("the upload stalled: no bytes moved for {}s", limit.as_secs())
                        },
                    });
                }
            }
        }
    }
}

/// The `data` of a successful enveloped answer, or the coded error of a failed one.
pub(crate) async fn envelope<T: DeserializeOwned>(response: Response) -> ClientResult<T> {
    if !response.status().is_success() {
        return Err(error_from(response).await);
    }
    let status = response.status();
    let body = read_body(response).await?;
    let envelope: Envelope<T> = serde_json::from_slice(&body).map_err(|e| {
        ClientError::InvalidResponse(format!(
            "HTTP {status} with a body that is not the expected envelope ({e})"
        ))
    })?;
    envelope.into_result().map_err(|error| {
        ClientError::InvalidResponse(format!(
            "HTTP {status} carrying an error ({}: {})",
            error.code,
            redact_credentials(&error.message)
        ))
    })
}

async fn read_body(response: Response) -> ClientResult<Vec<u8>> {
    let origin = response.url().clone();
    if response
        .content_length()
        .is_some_and(|len| len > MAX_JSON_BODY as u64)
    {
        return Err(ClientError::InvalidResponse(
            "the answer is far larger than any Upload API answer".into(),
        ));
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|e| ClientError::network(&origin, &e))?;
    Ok(bytes.to_vec())
}

/// The coded error a failed response carries. Answers that are not the Upload API's envelope (a proxy's
/// HTML page, a tus server's plain text) get the code their status implies.
pub(crate) async fn error_from(response: Response) -> ClientError {
    let status = response.status();
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let retry_after = retry_after(response.headers());
    let body = read_body(response).await.unwrap_or_default();
    match serde_json::from_slice::<Envelope<serde_json::Value>>(&body) {
        Ok(Envelope {
            error: Some(error),
            meta,
            ..
        }) => ClientError::Api {
            code: error.code,
            status: status.as_u16(),
            message: redact_credentials(&error.message),
            request_id: Some(meta.request_id)
                .filter(|id| !id.is_empty())
                .or(request_id),
            retry_after,
        },
        _ => {
            let text = String::from_utf8_lossy(&body);
            let snippet: String = redact_credentials(text.trim()).chars().take(200).collect();
            ClientError::Api {
                code: code_for_status(status),
                status: status.as_u16(),
                message: if snippet.is_empty() {
                    format!("HTTP {status}")
                } else {
                    format!("HTTP {status}: {snippet}")
                },
                request_id,
                retry_after,
            }
        }
    }
}

/// `text` from a server with anything shaped like an API key or upload token cut to its prefix, so
/// a server or proxy that echoes the request (headers included) cannot leak them into our errors.
pub(crate) fn redact_credentials(text: &str) -> String {
    const PREFIXES: [&str; 2] = [mediasaur_api::API_KEY_PREFIX, mediasaur_api::TOKEN_PREFIX];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let hit = PREFIXES
            .iter()
            .filter_map(|p| rest.find(p).map(|at| (at, p.len())))
            .min();
        let Some((at, prefix_len)) = hit else {
            out.push_str(rest);
            break;
        };
        let body_start = at + prefix_len;
        let glued = rest[..at]
            .chars()
            .next_back()
            // Digits do not glue: `Bearer%20sk_…` is still a key.
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '-' | '_'));
        if glued {
            // Part of a longer word (`task_sk_`), not a credential.
            out.push_str(&rest[..body_start]);
            rest = &rest[body_start..];
            continue;
        }
        let body_len = rest[body_start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(rest.len() - body_start);
        out.push_str(&rest[..body_start]);
        if body_len > 0 {
            out.push('…');
        }
        rest = &rest[body_start + body_len..];
    }
    out
}

/// The code an un-enveloped error status stands for.
pub(crate) fn code_for_status(status: StatusCode) -> ErrorCode {
    match status.as_u16() {
        400 => ErrorCode::InvalidRequest,
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        409 => ErrorCode::OffsetMismatch,
        410 => ErrorCode::UploadExpired,
        413 => ErrorCode::FileTooLarge,
        423 => ErrorCode::UploadLocked,
        429 => ErrorCode::RateLimited,
        460 => ErrorCode::ChecksumMismatch,
        507 => ErrorCode::InsufficientStorage,
        _ => ErrorCode::Internal,
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

/// A header's value as text, or an error naming what the server failed to send.
pub(crate) fn header<'a>(response: &'a Response, name: &str) -> ClientResult<&'a str> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ClientError::InvalidResponse(format!(
                "HTTP {} without a readable {name} header",
                response.status()
            ))
        })
}

/// A numeric header.
pub(crate) fn header_u64(response: &Response, name: &str) -> ClientResult<u64> {
    header(response, name)?
        .trim()
        .parse()
        .map_err(|_| ClientError::InvalidResponse(format!("the {name} header is not a number")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_server_text_are_cut_to_their_prefix() {
        assert_eq!(
            redact_credentials("authorization: Bearer sk_AbC-12_x\nnext token_eyJ.a-b_c; ok"),
            "authorization: Bearer sk_…\nnext token_…; ok"
        );
        assert_eq!(
            redact_credentials("no secrets, task_sk_"),
            "no secrets, task_sk_"
        );
        assert_eq!(redact_credentials("é sk_ü"), "é sk_ü");
        assert_eq!(redact_credentials("Bearer%20sk_abc123"), "Bearer%20sk_…");
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = std::time::SystemTime::now() + Duration::from_secs(120);
        headers.insert(RETRY_AFTER, httpdate::fmt_http_date(later).parse().unwrap());
        let wait = retry_after(&headers).unwrap();
        assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120));
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }
}
