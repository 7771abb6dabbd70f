//! The CLI's one error type: a stable code and a message, printed as `error: <message> [<code>]`.

use std::fmt;

use mediasaur::ClientError;

/// Why a command failed. Messages never contain the API key: the core's errors never carry it, and
/// the CLI's own messages are built from paths, names and server answers only.
#[derive(Debug)]
pub struct CliError {
    /// A stable snake_case code: the core's [`ClientError::code`], or the CLI's own.
    pub code: &'static str,
    /// What went wrong, for people.
    pub message: String,
}

impl CliError {
    /// An error with the given code.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]", self.message, self.code)
    }
}

impl std::error::Error for CliError {}

impl From<ClientError> for CliError {
    fn from(error: ClientError) -> Self {
        Self::new(error.code(), error.to_string())
    }
}

/// Results of the CLI's commands.
pub type CliResult<T> = Result<T, CliError>;
