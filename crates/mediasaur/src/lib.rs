//! The Mediasaur client core: `UploadClient` (tokens, signed URLs, File objects), the resumable
//! streaming upload engine, profiles and API keys in the OS keyring. It knows nothing of any UI:
//! progress leaves through channels, and the CLI and the desktop shell are thin layers over it.
#![deny(missing_docs)]

mod client;
mod error;
mod http;
pub mod intake;
pub mod keyring;
pub mod local;
pub mod profile;
mod secret;
pub mod session;
pub mod settings;
pub mod store;
pub mod transfers;
pub mod upload;
pub mod watch;

pub use client::{ClientConfig, UploadClient};
pub use error::{ClientError, ClientResult};
pub use mediasaur_api as api;
pub use secret::ApiKey;
pub use upload::{Destination, Strategy, UploadHandle, UploadOptions, UploadOutcome};
