//! Stable error codes: the only thing a client should branch on.

use serde::{Deserialize, Serialize};

/// Every error the API can answer with, serialized as a snake_case string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// No credentials, or credentials that are not valid.
    Unauthorized,
    /// Valid credentials that do not allow this request.
    Forbidden,
    /// An object path that breaks the path rules.
    InvalidPath,
    /// A bucket name that breaks the bucket rules.
    InvalidBucket,
    /// The path differs from the one the token was minted for.
    PathMismatch,
    /// An API key upload that names no bucket.
    BucketRequired,
    /// The upload token has expired.
    TokenExpired,
    /// The upload token was already used.
    TokenUsed,
    /// The signed URL's signature does not match.
    SignatureInvalid,
    /// The signed URL has expired.
    UrlExpired,
    /// A file already exists at that bucket and path.
    FileExists,
    /// The file is larger than allowed.
    FileTooLarge,
    /// The tus `Upload-Offset` does not match the server's offset.
    OffsetMismatch,
    /// The body does not match its checksum.
    ChecksumMismatch,
    /// The tus upload has expired.
    UploadExpired,
    /// Another request is writing to this upload right now.
    UploadLocked,
    /// The declared length and the bytes received disagree.
    LengthMismatch,
    /// The client speaks a tus version this server does not.
    UnsupportedVersion,
    /// The request body has the wrong content type.
    UnsupportedMediaType,
    /// Nothing found there.
    NotFound,
    /// The method is not allowed on this resource.
    MethodNotAllowed,
    /// Too many requests; retry later.
    RateLimited,
    /// The request is malformed.
    InvalidRequest,
    /// The server ran out of storage space.
    InsufficientStorage,
    /// The client was too slow sending its request.
    RequestTimeout,
    /// The server failed; details are in its logs under the request id.
    Internal,
    /// A code this version of the contract does not know yet.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The HTTP status the server answers with for this code.
    pub fn status(self) -> u16 {
        match self {
            Self::Unauthorized | Self::TokenExpired => 401,
            Self::Forbidden
            | Self::PathMismatch
            | Self::TokenUsed
            | Self::SignatureInvalid
            | Self::UrlExpired => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::RequestTimeout => 408,
            Self::FileExists | Self::OffsetMismatch => 409,
            Self::UploadExpired => 410,
            Self::UnsupportedVersion => 412,
            Self::FileTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::InvalidPath
            | Self::InvalidBucket
            | Self::BucketRequired
            | Self::LengthMismatch
            | Self::InvalidRequest => 400,
            Self::UploadLocked => 423,
            Self::RateLimited => 429,
            Self::ChecksumMismatch => 460,
            Self::InsufficientStorage => 507,
            Self::Internal | Self::Unknown => 500,
        }
    }

    /// The wire name, e.g. `invalid_path`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::InvalidPath => "invalid_path",
            Self::InvalidBucket => "invalid_bucket",
            Self::PathMismatch => "path_mismatch",
            Self::BucketRequired => "bucket_required",
            Self::TokenExpired => "token_expired",
            Self::TokenUsed => "token_used",
            Self::SignatureInvalid => "signature_invalid",
            Self::UrlExpired => "url_expired",
            Self::FileExists => "file_exists",
            Self::FileTooLarge => "file_too_large",
            Self::OffsetMismatch => "offset_mismatch",
            Self::ChecksumMismatch => "checksum_mismatch",
            Self::UploadExpired => "upload_expired",
            Self::UploadLocked => "upload_locked",
            Self::LengthMismatch => "length_mismatch",
            Self::UnsupportedVersion => "unsupported_version",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::RateLimited => "rate_limited",
            Self::InvalidRequest => "invalid_request",
            Self::InsufficientStorage => "insufficient_storage",
            Self::RequestTimeout => "request_timeout",
            Self::Internal => "internal",
            Self::Unknown => "unknown",
        }
    }

    /// Whether a client may succeed by sending the same request again later.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::UploadLocked
                | Self::RateLimited
                | Self::Internal
                | Self::RequestTimeout
                | Self::InsufficientStorage
                | Self::OffsetMismatch
                | Self::ChecksumMismatch
        )
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_serde() {
        for code in [
            ErrorCode::InvalidPath,
            ErrorCode::TokenUsed,
            ErrorCode::ChecksumMismatch,
            ErrorCode::Internal,
            ErrorCode::UnsupportedMediaType,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
        }
    }

    #[test]
    fn unknown_codes_from_newer_servers_still_parse() {
        let code: ErrorCode = serde_json::from_str("\"quota_exceeded\"").unwrap();
        assert_eq!(code, ErrorCode::Unknown);
    }
}
