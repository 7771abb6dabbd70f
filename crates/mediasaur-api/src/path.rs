//! Validated bucket names and object paths: anything that reaches storage or a URL passes through here.

use std::fmt;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// Longest object path, in bytes of NFC UTF-8.
pub const MAX_PATH_BYTES: usize = 1024;

/// Bucket names that would collide with the server's own routes.
pub const RESERVED_BUCKET_NAMES: &[&str] = &[
    "files",
    "uploads",
    "token",
    "tokens",
    "healthz",
    "signatures",
    "api",
    "admin",
    "buckets",
    "keys",
    "static",
    "assets",
];

/// Why a name or path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The object path breaks a rule; the message says which.
    #[error("invalid path: {0}")]
    InvalidPath(&'static str),
    /// The bucket name breaks a rule; the message says which.
    #[error("invalid bucket name: {0}")]
    InvalidBucket(&'static str),
}

impl PathError {
    /// The wire error code for this failure.
    pub fn code(&self) -> crate::ErrorCode {
        match self {
            Self::InvalidPath(_) => crate::ErrorCode::InvalidPath,
            Self::InvalidBucket(_) => crate::ErrorCode::InvalidBucket,
        }
    }
}

/// RFC 3986 unreserved characters stay; everything else in a segment is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// An object path: NFC UTF-8, `/`-separated, no empty, `.` or `..` segments, no `\`, NUL or control
/// characters, no leading `/`, at most 1024 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ObjectPath(String);

impl ObjectPath {
    /// Validates and NFC-normalizes `raw`.
    pub fn parse(raw: &str) -> Result<Self, PathError> {
        let normalized: String = raw.nfc().collect();
        if normalized.is_empty() {
            return Err(PathError::InvalidPath("the path is empty"));
        }
        if normalized.len() > MAX_PATH_BYTES {
            return Err(PathError::InvalidPath("the path is longer than 1024 bytes"));
        }
        if normalized.starts_with('/') {
            return Err(PathError::InvalidPath("the path must not start with '/'"));
        }
        if normalized.contains('\\') {
            return Err(PathError::InvalidPath("the path must not contain '\\'"));
        }
        if normalized.chars().any(char::is_control) {
            return Err(PathError::InvalidPath(
                "the path must not contain NUL or control characters",
            ));
        }
        for segment in normalized.split('/') {
            match segment {
                "" => return Err(PathError::InvalidPath("the path has an empty segment")),
                "." | ".." => {
                    return Err(PathError::InvalidPath(
                        "the path must not contain '.' or '..' segments",
                    ))
                }
                _ => {}
            }
        }
        Ok(Self(normalized))
    }

    /// The path as stored and compared.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last segment.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// Each segment percent-encoded (RFC 3986 unreserved kept), joined by `/`.
    pub fn encoded(&self) -> String {
        self.0
            .split('/')
            .map(|segment| utf8_percent_encode(segment, SEGMENT).to_string())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Whether this path starts with `prefix` (a plain string prefix, as listings use).
    pub fn starts_with(&self, prefix: &str) -> bool {
        self.0.starts_with(prefix)
    }
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ObjectPath {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(de)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// A bucket name: `[a-z0-9][a-z0-9-]{1,61}[a-z0-9]`, not one of [`RESERVED_BUCKET_NAMES`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct BucketName(String);

impl BucketName {
    /// Validates `raw`.
    pub fn parse(raw: &str) -> Result<Self, PathError> {
        let bytes = raw.as_bytes();
        if !(3..=63).contains(&bytes.len()) {
            return Err(PathError::InvalidBucket(
                "a bucket name has 3 to 63 characters",
            ));
        }
        let edge_ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        if !edge_ok(bytes[0]) || !edge_ok(bytes[bytes.len() - 1]) {
            return Err(PathError::InvalidBucket(
                "a bucket name starts and ends with a lowercase letter or digit",
            ));
        }
        if !bytes.iter().all(|&b| edge_ok(b) || b == b'-') {
            return Err(PathError::InvalidBucket(
                "a bucket name has only lowercase letters, digits and '-'",
            ));
        }
        if RESERVED_BUCKET_NAMES.contains(&raw) {
            return Err(PathError::InvalidBucket("that name is reserved"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BucketName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for BucketName {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(de)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_paths_and_normalizes_to_nfc() {
        assert_eq!(
            ObjectPath::parse("a/b/c.png").unwrap().as_str(),
            "a/b/c.png"
        );
        // "e" + combining acute becomes the single code point.
        let p = ObjectPath::parse("cafe\u{301}.txt").unwrap();
        assert_eq!(p.as_str(), "caf\u{e9}.txt");
        assert_eq!(p.encoded(), "caf%C3%A9.txt");
        assert_eq!(
            ObjectPath::parse("dir name/x+y?.png").unwrap().encoded(),
            "dir%20name/x%2By%3F.png"
        );
    }

    #[test]
    fn refuses_every_traversal_and_oddity() {
        let long = "a".repeat(1025);
        for bad in [
            "",
            "/abs",
            "../x",
            "a/../x",
            "a/./x",
            "..",
            ".",
            "a//b",
            "a/",
            "a\\b",
            "a\0b",
            "a\nb",
            "a\u{7f}b",
            long.as_str(),
        ] {
            let err = ObjectPath::parse(bad).unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::InvalidPath, "{bad:?}");
        }
        assert!(ObjectPath::parse(&"a".repeat(1024)).is_ok());
    }

    #[test]
    fn bucket_rules() {
        for good in ["abc", "my-bucket", "a1", "0-0"]
            .iter()
            .filter(|s| s.len() >= 3)
        {
            assert!(BucketName::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "ab", "-ab", "ab-", "Abc", "a_b", "files", "uploads", "token", "healthz",
        ] {
            assert!(BucketName::parse(bad).is_err(), "{bad}");
        }
        assert!(BucketName::parse(&"a".repeat(63)).is_ok());
        assert!(BucketName::parse(&"a".repeat(64)).is_err());
    }

    #[test]
    fn deserializing_validates() {
        assert!(serde_json::from_str::<ObjectPath>("\"../etc\"").is_err());
        assert!(serde_json::from_str::<BucketName>("\"files\"").is_err());
    }
}
