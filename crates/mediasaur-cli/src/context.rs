//! What every command shares: the profiles file and the keyring (both overridable by environment
//! variables, which tests use to isolate themselves), and a client for a profile.

use std::path::PathBuf;

use mediasaur::keyring::KeyringStore;
use mediasaur::profile::{Profile, ProfileStore};
use mediasaur::{ClientConfig, UploadClient};

use crate::error::CliResult;

/// Overrides the config directory (the profiles file lives there).
pub const CONFIG_DIR_ENV: &str = "MEDIASAUR_CONFIG_DIR";
/// Overrides the keyring service name keys are stored under.
pub const KEYRING_SERVICE_ENV: &str = "MEDIASAUR_KEYRING_SERVICE";
/// Overrides the data directory (the local database lives there).
pub const DATA_DIR_ENV: &str = "MEDIASAUR_CLIENT_DATA_DIR";

/// The stores every command reads, and the profile it was asked to use.
#[derive(Debug)]
pub struct Context {
    /// The profiles file.
    pub profiles: ProfileStore,
    /// Where API keys are.
    pub keyring: KeyringStore,
    /// `--profile`, if given.
    pub profile: Option<String>,
}

impl Context {
    /// The stores named by the environment, or the platform defaults.
    pub fn from_env(profile: Option<String>) -> CliResult<Self> {
        let dir = match std::env::var_os(CONFIG_DIR_ENV).filter(|dir| !dir.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => ProfileStore::default_dir()?,
        };
        let keyring = match std::env::var(KEYRING_SERVICE_ENV) {
            Ok(service) if !service.is_empty() => KeyringStore::with_service(&service),
            _ => KeyringStore::default(),
        };
        Ok(Self {
            profiles: ProfileStore::in_dir(&dir),
            keyring,
            profile,
        })
    }

    /// The profile's name: `--profile`, else the default profile's.
    pub fn profile_name(&self) -> CliResult<String> {
        match &self.profile {
            Some(name) => Ok(name.clone()),
            None => Ok(self.profiles.default_name()?),
        }
    }

    /// The profile `--profile` names, or the default one.
    pub fn profile(&self) -> CliResult<Profile> {
        Ok(self.profiles.get(self.profile.as_deref())?)
    }

    /// The profile and a client for it, with its key from the keyring.
    pub async fn client(&self, config: ClientConfig) -> CliResult<(Profile, UploadClient)> {
        let profile = self.profile()?;
        let key = self.keyring.load_async(&profile.name).await?;
        let client = UploadClient::new(&profile.endpoint, key, config)?;
        Ok((profile, client))
    }

    /// The local database (queue, history, share links) in `MEDIASAUR_CLIENT_DATA_DIR`, else in the
    /// platform data directory; created and migrated on first use.
    pub async fn database(&self) -> CliResult<mediasaur::store::Database> {
        let dir = match std::env::var_os(DATA_DIR_ENV).filter(|dir| !dir.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => mediasaur::store::Database::default_dir()?,
        };
        Ok(mediasaur::store::Database::open_in(&dir).await?)
    }
}

impl Context {
    /// Endpoints and keys for the queue runner, from the same profiles file and keyring.
    pub fn credentials(&self) -> std::sync::Arc<dyn mediasaur::transfers::Credentials> {
        std::sync::Arc::new(mediasaur::transfers::ProfileCredentials::new(
            self.profiles.clone(),
            self.keyring.clone(),
        ))
    }
}
