//! The File object: what the API returns for every stored file.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Broad family of a file, derived by the server from the file's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum FileKind {
    /// Raster or vector images.
    Image,
    /// Video containers.
    Video,
    /// Audio containers.
    Audio,
    /// Text, PDF, office documents.
    Document,
    /// Zip, tar, gzip and other archives.
    Archive,
    /// Anything not recognised.
    Other,
}

impl FileKind {
    /// The wire name (`image`, `video`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Archive => "archive",
            Self::Other => "other",
        }
    }

    /// Parses a wire name; unknown names are `None`.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "image" => Self::Image,
            "video" => Self::Video,
            "audio" => Self::Audio,
            "document" => Self::Document,
            "archive" => Self::Archive,
            "other" => Self::Other,
            _ => return None,
        })
    }
}

/// A stored file, exactly as serialized on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FileObject {
    /// `file_` followed by at least 16 base62 characters.
    pub id: String,
    /// Family derived from the bytes.
    pub kind: FileKind,
    /// MIME type derived from the bytes.
    #[serde(rename = "type")]
    pub mime_type: String,
    /// Pixel width for images and video.
    pub width: Option<u32>,
    /// Pixel height for images and video.
    pub height: Option<u32>,
    /// Seconds, for audio and video when the container says so.
    pub duration: Option<f64>,
    /// Size in bytes.
    pub filesize: u64,
    /// Lowercase hex SHA-256 of the stored bytes.
    pub sha256: String,
    /// Bucket the file lives in.
    pub bucket: String,
    /// Object path inside the bucket.
    pub path: String,
    /// Where the file is served from.
    pub url: String,
    /// When the file was stored.
    pub created: DateTime<Utc>,
    /// When the file record last changed.
    pub updated: DateTime<Utc>,
}
