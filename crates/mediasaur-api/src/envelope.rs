//! The response envelope `{meta, data, error, links}` every endpoint answers with.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ErrorCode;

/// Facts about the request itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// Correlates the response with the server's logs.
    pub request_id: String,
}

/// What went wrong; present only on failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable code to branch on.
    pub code: ErrorCode,
    /// Human-readable explanation; never contains secrets.
    pub message: String,
    /// The HTTP status, repeated for clients that lose it.
    pub status: u16,
}

/// The response envelope. `data` is null on failure; `error` is present only on failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// Request facts.
    pub meta: Meta,
    /// The payload.
    pub data: Option<T>,
    /// The failure, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    /// Related resources, e.g. `self`.
    #[serde(default)]
    pub links: BTreeMap<String, String>,
}

impl<T> Envelope<T> {
    /// The payload, or the error it carries.
    pub fn into_result(self) -> Result<T, ErrorBody> {
        match (self.data, self.error) {
            (_, Some(error)) => Err(error),
            (Some(data), None) => Ok(data),
            (None, None) => Err(ErrorBody {
                code: ErrorCode::InvalidRequest,
                message: "the response carried neither data nor an error".into(),
                status: 0,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_envelope_shape() {
        let json = r#"{"meta":{"request_id":"req_1"},"data":null,
            "error":{"code":"token_used","message":"used","status":403},"links":{}}"#;
        let env: Envelope<serde_json::Value> = serde_json::from_str(json).unwrap();
        let err = env.into_result().unwrap_err();
        assert_eq!(err.code, ErrorCode::TokenUsed);
    }
}
