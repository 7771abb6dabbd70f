//! The client core's error: one enum with a stable `code()` the CLI and the UI branch on.

use std::path::PathBuf;

use mediasaur_api::ErrorCode;

/// Everything the client core can fail with. Messages never contain the API key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server answered with a coded error envelope.
    #[error("{message} ({code}, HTTP {status}{})", request_id.as_deref().map(|id| format!(", request {id}")).unwrap_or_default())]
    Api {
        /// The server's code.
        code: ErrorCode,
        /// HTTP status.
        status: u16,
        /// The server's message.
        message: String,
        /// `X-Request-Id`, to quote in bug reports.
        request_id: Option<String>,
        /// How long the server asked us to wait before retrying (`Retry-After`).
        retry_after: Option<std::time::Duration>,
    },
    /// The server could not be reached, or the connection broke.
    #[error("network error talking to {endpoint}: {message}")]
    Network {
        /// Scheme, host and port of the server.
        endpoint: String,
        /// What happened.
        message: String,
    },
    /// The server answered something that is not the Upload API (garbage, wrong status, missing header).
    #[error("the server's answer makes no sense: {0}")]
    InvalidResponse(String),
    /// A local file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The source file changed (size or modification time) while it was being uploaded.
    #[error("{} changed while it was being uploaded; upload it again once it is finished", path.display())]
    SourceChanged {
        /// The file.
        path: PathBuf,
    },
    /// The server stored bytes whose SHA-256 differs from the file's.
    #[error(
        "the server stored different bytes than were sent (local sha256 {local}, server {remote})"
    )]
    IntegrityMismatch {
        /// The SHA-256 computed while reading the file.
        local: String,
        /// The SHA-256 in the server's File object.
        remote: String,
    },
    /// The upload was cancelled by its owner.
    #[error("the upload was cancelled")]
    Cancelled,
    /// The upload's handle was dropped before it finished; it can be resumed later.
    #[error("the upload was interrupted before it finished; it can be resumed")]
    Interrupted,
    /// The server does not speak what this client needs (e.g. tus 1.0).
    #[error("the server does not support {0}")]
    Unsupported(String),
    /// Bad input from the caller (a path, a bucket, an option).
    #[error("{message}")]
    Invalid {
        /// The closest wire code (`invalid_path`, `invalid_bucket`, `invalid_request`…).
        code: ErrorCode,
        /// What is wrong.
        message: String,
    },
    /// The OS keyring could not be used.
    #[error("{0}")]
    Keyring(String),
    /// No API key is stored for the profile.
    #[error(
        "no API key stored for profile {profile:?}; run `mediasaur login --profile {profile}`"
    )]
    NoApiKey {
        /// The profile.
        profile: String,
    },
    /// The profile configuration could not be read or written, or names an unknown profile.
    #[error("{0}")]
    Config(String),
    /// The source file disappeared (deleted or moved away) before or while it was uploaded.
    #[error("{} no longer exists; it was deleted or moved before its upload finished", path.display())]
    SourceMissing {
        /// The file.
        path: PathBuf,
    },
    /// The local database failed (it is not a secret-bearing message: it names the query's purpose).
    #[error("local database error while {doing}: {message}")]
    Database {
        /// What was being done.
        doing: &'static str,
        /// SQLite's message.
        message: String,
    },
    /// A transfer, watch or history entry that does not exist.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. `transfer 12`.
        what: String,
    },
    /// The operation does not apply in the thing's current state (e.g. resuming a finished transfer).
    #[error("{0}")]
    InvalidState(String),
    /// A folder could not be watched for changes (gone, unreadable, or the system's limit on
    /// watches reached).
    #[error("cannot watch {}: {message}", folder.display())]
    WatchFailed {
        /// The watched folder.
        folder: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl ClientError {
    /// A stable snake_case code: the server's code for API errors, else the client's own.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Api { code, .. } | Self::Invalid { code, .. } => code.as_str(),
            Self::Network { .. } => "network",
            Self::InvalidResponse(_) => "invalid_response",
            Self::Unreadable { .. } => "unreadable_file",
            Self::SourceChanged { .. } => "source_changed",
            Self::IntegrityMismatch { .. } => "integrity_mismatch",
            Self::Cancelled => "cancelled",
            Self::Interrupted => "interrupted",
            Self::Unsupported(_) => "unsupported_server",
            Self::Keyring(_) => "keyring_unavailable",
            Self::NoApiKey { .. } => "no_api_key",
            Self::Config(_) => "config",
            Self::SourceMissing { .. } => "source_missing",
            Self::Database { .. } => "database",
            Self::NotFound { .. } => "not_found",
            Self::InvalidState(_) => "invalid_state",
            Self::WatchFailed { .. } => "watch_failed",
        }
    }

    /// A failure to read a local file: `source_missing` when it is gone, else `unreadable_file`.
    pub(crate) fn reading(path: &std::path::Path, source: std::io::Error) -> Self {
        let path = path.to_path_buf();
        if source.kind() == std::io::ErrorKind::NotFound {
            Self::SourceMissing { path }
        } else {
            Self::Unreadable { path, source }
        }
    }

    /// Whether trying the same request again may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Api { code, status, .. } => {
                code.is_retryable() || matches!(status, 423 | 429) || *status >= 500
            }
            Self::Network { .. } => true,
            _ => false,
        }
    }

    /// The wait the server asked for with `Retry-After`, if any.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Self::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The server's error code, if this is an API error.
    pub fn api_code(&self) -> Option<ErrorCode> {
        match self {
            Self::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub(crate) fn network(endpoint: &url::Url, error: &reqwest::Error) -> Self {
        Self::Network {
            endpoint: endpoint.origin().ascii_serialization(),
            message: describe_reqwest(error),
        }
    }

    pub(crate) fn invalid(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Invalid {
            code,
            message: message.into(),
        }
    }
}

impl From<mediasaur_api::PathError> for ClientError {
    fn from(error: mediasaur_api::PathError) -> Self {
        Self::invalid(error.code(), error.to_string())
    }
}

/// reqwest's error without its URL (a signed URL carries a signature), with the causes that say what
/// actually happened (refused, reset, timed out…).
fn describe_reqwest(error: &reqwest::Error) -> String {
    let mut message = if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else if error.is_body() || error.is_request() {
        "the connection broke while sending".to_owned()
    } else if error.is_decode() {
        "the answer could not be read".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.contains("://") && !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// Shorthand for results of the client core.
pub type ClientResult<T> = Result<T, ClientError>;

/// Runs blocking work (files, the keyring) on tokio's blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> ClientResult<T> + Send + 'static,
) -> ClientResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        // The only way the task fails to finish is the runtime shutting down under it.
        .map_err(|_| ClientError::Interrupted)?
}
