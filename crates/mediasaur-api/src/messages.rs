//! Request and response bodies of the JSON endpoints (`/token`, `/signatures`, `/files`, `/uploads/{id}`),
//! so the server's handlers and the client's calls serialize the very same structs.

use serde::{Deserialize, Serialize};

use crate::{BucketName, FileObject, ObjectPath};

/// `POST /token` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    /// The bucket the token may write to.
    pub bucket: BucketName,
    /// The exact path the token may write to.
    pub path: ObjectPath,
    /// Lifetime in seconds; the server's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// Largest upload the token allows, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<u64>,
}

/// `POST /token` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenCreated {
    /// `token_` + the JWT.
    pub token: String,
    /// RFC 3339 expiry.
    pub expires_at: String,
    /// The bucket it may write to.
    pub bucket: String,
    /// The path it may write to.
    pub path: String,
    /// Its byte limit, if any.
    pub max_size: Option<u64>,
}

/// `POST /signatures` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSignatureRequest {
    /// The bucket.
    pub bucket: BucketName,
    /// The object path.
    pub path: ObjectPath,
    /// `"get"` or `"put"`, any case.
    pub method: String,
    /// Lifetime in seconds; the server's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// For `put`: the largest body accepted, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<u64>,
}

/// `POST /signatures` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureCreated {
    /// The signed URL.
    pub url: String,
    /// `GET` or `PUT`.
    pub method: String,
    /// Unix seconds after which the URL stops working.
    pub expiry: i64,
}

/// `GET /files` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileList {
    /// One page of File objects, ordered by bucket then path.
    pub files: Vec<FileObject>,
    /// Pass as `cursor` to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// `GET /uploads/{id}` answer: where a tus upload stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadStatus {
    /// `up_…`.
    pub id: String,
    /// Bytes received so far.
    pub offset: u64,
    /// Declared length; `None` while deferred.
    pub length: Option<u64>,
    /// `receiving`, `complete`, `failed` or `expired`.
    pub state: String,
    /// Destination bucket.
    pub bucket: String,
    /// Destination path.
    pub path: String,
    /// RFC 3339 expiry of the unfinished upload.
    pub expires_at: String,
    /// The error code when `failed`.
    pub error: Option<String>,
    /// The File object once `complete`.
    pub file: Option<FileObject>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_request_omits_absent_options_and_refuses_unknown_fields() {
        let request = CreateTokenRequest {
            bucket: BucketName::parse("default").unwrap(),
            path: ObjectPath::parse("a/b.png").unwrap(),
            expires_in: None,
            max_size: Some(10),
        };
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(
            json,
            r#"{"bucket":"default","path":"a/b.png","max_size":10}"#
        );
        let unknown = r#"{"bucket":"default","path":"a","extra":1}"#;
        assert!(serde_json::from_str::<CreateTokenRequest>(unknown).is_err());
        let bad_path = r#"{"bucket":"default","path":"../a"}"#;
        assert!(serde_json::from_str::<CreateTokenRequest>(bad_path).is_err());
    }
}
