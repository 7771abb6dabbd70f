//! The one error shape commands return to the UI: a stable code to branch on and a sentence for a
//! person. Built from the core's errors, whose messages never hold a secret.

use mediasaur::ClientError;
use serde::Serialize;

/// `{ code, message }`, as every command rejects with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[error("{message} [{code}]")]
pub struct CommandError {
    /// Stable snake_case code (`not_found`, `network`, `unauthorized`, …).
    pub code: String,
    /// What happened, for a person.
    pub message: String,
}

impl CommandError {
    /// An error of the shell itself.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

impl From<ClientError> for CommandError {
    fn from(error: ClientError) -> Self {
        Self {
            code: error.code().to_owned(),
            message: error.to_string(),
        }
    }
}

impl From<tauri::Error> for CommandError {
    fn from(error: tauri::Error) -> Self {
        Self::new("internal", error.to_string())
    }
}

/// What every command returns.
pub type CommandResult<T> = Result<T, CommandError>;
