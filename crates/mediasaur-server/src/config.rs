//! Server configuration: where data lives, the public URL signed URLs are made for, and limits.

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

/// Everything `serve` needs to know besides the data dir's contents.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Holds the SQLite database, blobs, temp files and partial uploads.
    pub data_dir: PathBuf,
    /// The URL clients reach this server at; its host is the one signed URLs are verified against.
    pub public_url: Url,
    /// Largest file accepted, in bytes.
    pub max_file_size: u64,
    /// How long an unfinished tus upload is kept after creation.
    pub upload_expiry: Duration,
    /// How often expired uploads and spent tokens are cleaned up.
    pub cleanup_interval: Duration,
    /// How long a client may take to send request headers.
    pub header_timeout: Duration,
    /// How long a request body may stall between two chunks.
    pub idle_timeout: Duration,
}

/// 5 GiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 5 * 1024 * 1024 * 1024;

impl ServerConfig {
    /// Defaults for a data dir and public URL.
    pub fn new(data_dir: PathBuf, public_url: Url) -> Self {
        Self {
            data_dir,
            public_url,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            upload_expiry: Duration::from_secs(24 * 3600),
            cleanup_interval: Duration::from_secs(300),
            header_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
        }
    }
}
