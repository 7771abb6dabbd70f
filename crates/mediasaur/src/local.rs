//! The local stores every front end (CLI, desktop app) shares: the profiles file, the keyring and
//! the data directory, each overridable by an environment variable so tests can isolate themselves.

use std::path::PathBuf;
use std::sync::Arc;

use crate::error::ClientResult;
use crate::keyring::KeyringStore;
use crate::profile::ProfileStore;
use crate::store::Database;
use crate::transfers::{Credentials, ProfileCredentials};

/// Overrides the config directory (profiles and settings live there).
pub const CONFIG_DIR_ENV: &str = "MEDIASAUR_CONFIG_DIR";
/// Overrides the keyring service name keys are stored under.
pub const KEYRING_SERVICE_ENV: &str = "MEDIASAUR_KEYRING_SERVICE";
/// Overrides the data directory (the local database lives there).
pub const DATA_DIR_ENV: &str = "MEDIASAUR_CLIENT_DATA_DIR";

/// Where this user's profiles, keys and local database are.
#[derive(Debug, Clone)]
pub struct LocalStores {
    /// The config directory.
    pub config_dir: PathBuf,
    /// The profiles file in it.
    pub profiles: ProfileStore,
    /// Where API keys are.
    pub keyring: KeyringStore,
    /// The data directory (database, pasted files).
    pub data_dir: PathBuf,
}

impl LocalStores {
    /// The stores named by the environment, or the platform defaults.
    pub fn from_env() -> ClientResult<Self> {
        let config_dir = match env_path(CONFIG_DIR_ENV) {
            Some(dir) => dir,
            None => ProfileStore::default_dir()?,
        };
        let data_dir = match env_path(DATA_DIR_ENV) {
            Some(dir) => dir,
            None => Database::default_dir()?,
        };
        let keyring = match std::env::var(KEYRING_SERVICE_ENV) {
            Ok(service) if !service.is_empty() => KeyringStore::with_service(&service),
            _ => KeyringStore::default(),
        };
        Ok(Self {
            profiles: ProfileStore::in_dir(&config_dir),
            config_dir,
            keyring,
            data_dir,
        })
    }

    /// The local database (queue, history, share links), created and migrated on first use.
    pub async fn database(&self) -> ClientResult<Database> {
        Database::open_in(&self.data_dir).await
    }

    /// Endpoints and keys for the queue runner, from these profiles and this keyring.
    pub fn credentials(&self) -> Arc<dyn Credentials> {
        Arc::new(ProfileCredentials::new(
            self.profiles.clone(),
            self.keyring.clone(),
        ))
    }
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
}
