//! Envelope responses: handlers describe data or an error, and one middleware stamps the request id and
//! writes the `{meta, data, error, links}` body, so every response has the same shape.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mediasaur_api::{new_id, ErrorBody, ErrorCode, IdPrefix, Meta};
use serde::Serialize;

/// A response whose envelope body is written by [`envelope_middleware`].
#[derive(Debug, Clone)]
pub struct PendingEnvelope {
    status: StatusCode,
    data: serde_json::Value,
    error: Option<ErrorBody>,
    links: BTreeMap<String, String>,
    /// Logged with the request id, never sent.
    detail: Option<String>,
}

impl PendingEnvelope {
    /// A success with `data`.
    pub fn data(status: StatusCode, data: impl Serialize) -> Self {
        Self {
            status,
            data: serde_json::to_value(data).unwrap_or(serde_json::Value::Null),
            error: None,
            links: BTreeMap::new(),
            detail: None,
        }
    }

    /// A failure.
    pub fn error(code: ErrorCode, message: String, detail: Option<String>) -> Self {
        let status = code.status();
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            data: serde_json::Value::Null,
            error: Some(ErrorBody {
                code,
                message,
                status,
            }),
            links: BTreeMap::new(),
            detail,
        }
    }

    /// Adds a link such as `self` or `next`.
    pub fn link(mut self, name: &str, href: impl Into<String>) -> Self {
        self.links.insert(name.to_owned(), href.into());
        self
    }
}

impl IntoResponse for PendingEnvelope {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

#[derive(Serialize)]
struct WireEnvelope<'a> {
    meta: Meta,
    data: &'a serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: &'a Option<ErrorBody>,
    links: &'a BTreeMap<String, String>,
}

/// Gives each request an id and renders [`PendingEnvelope`]s into JSON bodies.
pub async fn envelope_middleware(request: Request, next: Next) -> Response {
    let request_id = new_id(IdPrefix::Request);
    let method = request.method().clone();
    let uri_path = request.uri().path().to_owned();
    let sent_body = request.headers().contains_key(header::TRANSFER_ENCODING)
        || request
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_some_and(|len| len.as_bytes() != b"0");
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    let Some(pending) = response.extensions_mut().remove::<PendingEnvelope>() else {
        return response;
    };
    if let Some(detail) = &pending.detail {
        tracing::error!(%request_id, %method, path = %uri_path, "{detail}");
    } else if let Some(error) = &pending.error {
        tracing::info!(%request_id, %method, path = %uri_path, code = %error.code, "{}", error.message);
    }
    let body = serde_json::to_vec(&WireEnvelope {
        meta: Meta { request_id },
        data: &pending.data,
        error: &pending.error,
        links: &pending.links,
    })
    .unwrap_or_default();
    let (mut parts, _) = response.into_parts();
    parts.status = pending.status;
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    if pending.error.is_some() && sent_body {
        // A refusal may come before the body was read (a taken path, a bad signature); the connection
        // then closes after this answer, so tell the client not to send its next request on it.
        parts
            .headers
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    if parts.status.as_u16() == 460 {
        // tus's own status code has no standard reason phrase.
        parts
            .extensions
            .insert(hyper::ext::ReasonPhrase::from_static(b"Checksum Mismatch"));
    }
    Response::from_parts(parts, Body::from(body))
}
