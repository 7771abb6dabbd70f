//! The Mediasaur Upload API wire contract, shared by the client and the server so the two never drift.
//!
//! Everything here is pure: types that cross the wire, the rules that validate them, and the signing
//! functions for upload tokens and signed URLs.
#![deny(missing_docs)]

mod envelope;
mod error;
mod file;
mod id;
pub mod messages;
mod path;
pub mod signed_url;
pub mod token;

pub use envelope::{Envelope, ErrorBody, Meta};
pub use error::ErrorCode;
pub use file::{FileKind, FileObject};
pub use id::{new_id, IdPrefix};
pub use path::{BucketName, ObjectPath, PathError, RESERVED_BUCKET_NAMES};

/// The tus protocol version this API speaks.
pub const TUS_VERSION: &str = "1.0.0";
/// Response header on the final tus PATCH naming the File object created.
pub const FILE_ID_HEADER: &str = "Mediasaur-File-Id";
/// Prefix of API keys (backend only).
pub const API_KEY_PREFIX: &str = "sk_";
/// Prefix of scoped upload tokens.
pub const TOKEN_PREFIX: &str = "token_";
/// Default upload token lifetime in seconds.
pub const DEFAULT_TOKEN_TTL_SECS: u64 = 3600;
/// Longest upload token lifetime the server accepts, in seconds.
pub const MAX_TOKEN_TTL_SECS: u64 = 86_400;
