//! A JSON body extractor with a small size limit and coded errors.

use axum::extract::{FromRequest, Request};
use mediasaur_api::ErrorCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

const JSON_LIMIT: usize = 64 * 1024;

/// A parsed JSON request body; malformed or oversized bodies are `invalid_request`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::to_bytes(request.into_body(), JSON_LIMIT)
            .await
            .map_err(|_| {
                ApiError::new(
                    ErrorCode::InvalidRequest,
                    "the JSON body is missing, broken off, or larger than 64 KiB",
                )
            })?;
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            // Path and bucket rules surface here through their Deserialize impls.
            let message = e.to_string();
            let code = if message.contains("invalid path") {
                ErrorCode::InvalidPath
            } else if message.contains("invalid bucket") {
                ErrorCode::InvalidBucket
            } else {
                ErrorCode::InvalidRequest
            };
            ApiError::new(code, format!("the JSON body is not valid: {message}"))
        })
    }
}
