//! The server's error type: a stable code for the client, details only in the logs.

use axum::response::{IntoResponse, Response};
use mediasaur_api::ErrorCode;

use crate::response::PendingEnvelope;

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A failure the client caused or can act on; the message is safe to show.
    #[error("{code}: {message}")]
    Coded {
        /// Stable code.
        code: ErrorCode,
        /// Human-readable explanation.
        message: String,
    },
    /// A database failure; the client only learns the request id.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A storage failure; the client only learns the request id (or that the disk is full).
    #[error("storage: {0}")]
    Io(#[from] std::io::Error),
}

/// Result of a handler or a helper it calls.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// A coded error with a message for the client.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Coded {
            code,
            message: message.into(),
        }
    }

    /// The code the client will see.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Coded { code, .. } => *code,
            Self::Io(e) if is_out_of_space(e) => ErrorCode::InsufficientStorage,
            Self::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => ErrorCode::RequestTimeout,
            Self::Database(_) | Self::Io(_) => ErrorCode::Internal,
        }
    }
}

fn is_out_of_space(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull || e.raw_os_error() == Some(28)
}

impl From<mediasaur_api::PathError> for ApiError {
    fn from(e: mediasaur_api::PathError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.code();
        let (message, detail) = match &self {
            Self::Coded { message, .. } => (message.clone(), None),
            _ if code == ErrorCode::InsufficientStorage => (
                "the server is out of storage space".to_owned(),
                Some(self.to_string()),
            ),
            _ if code == ErrorCode::RequestTimeout => (
                "the request body stalled for too long".to_owned(),
                Some(self.to_string()),
            ),
            _ => (
                "the server failed; its log has the details under this request id".to_owned(),
                Some(self.to_string()),
            ),
        };
        PendingEnvelope::error(code, message, detail).into_response()
    }
}
