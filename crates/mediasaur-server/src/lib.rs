//! The self-hostable Mediasaur Upload API server: API-key and token uploads, signed URLs, tus 1.0
//! resumable uploads, and File objects derived from the stored bytes.
//!
//! [`app`] builds the router over an [`AppState`]; [`serve`] runs it on a listener. The binary in
//! `main.rs` only parses arguments and calls these.

mod admin;
mod auth;
mod blobs;
pub mod buckets;
mod cleanup;
mod config;
mod db;
mod error;
mod files;
mod ingest;
pub mod keys;
mod media;
mod receive;
mod response;
mod routes;
mod serve;
mod state;

pub use admin::{init_data_dir, open_db, DEFAULT_BUCKET};
pub use cleanup::sweep;
pub use config::{ServerConfig, DEFAULT_MAX_FILE_SIZE};
pub use error::ApiError;
pub use routes::app;
pub use serve::serve;
pub use state::{AppState, OpenError};
