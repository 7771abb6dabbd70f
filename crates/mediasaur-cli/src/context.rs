//! What every command shares: the core's local stores (profiles, keyring, database, each
//! overridable by environment variables, which tests use to isolate themselves) and the profile
//! it was asked to use.

use mediasaur::local::LocalStores;
use mediasaur::profile::Profile;
use mediasaur::{ClientConfig, UploadClient};

use crate::error::CliResult;

/// The stores every command reads, and the profile it was asked to use.
#[derive(Debug)]
pub struct Context {
    /// Profiles, keyring and data dir.
    pub stores: LocalStores,
    /// `--profile`, if given.
    pub profile: Option<String>,
}

impl Context {
    /// The stores named by the environment, or the platform defaults.
    pub fn from_env(profile: Option<String>) -> CliResult<Self> {
        Ok(Self {
            stores: LocalStores::from_env()?,
            profile,
        })
    }

    /// The profile's name: `--profile`, else the default profile's.
    pub fn profile_name(&self) -> CliResult<String> {
        match &self.profile {
            Some(name) => Ok(name.clone()),
            None => Ok(self.stores.profiles.default_name()?),
        }
    }

    /// The profile `--profile` names, or the default one.
    pub fn profile(&self) -> CliResult<Profile> {
        Ok(self.stores.profiles.get(self.profile.as_deref())?)
    }

    /// The profile and a client for it, with its key from the keyring.
    pub async fn client(&self, config: ClientConfig) -> CliResult<(Profile, UploadClient)> {
        let profile = self.profile()?;
        let key = self.stores.keyring.load_async(&profile.name).await?;
        let client = UploadClient::new(&profile.endpoint, key, config)?;
        Ok((profile, client))
    }

    /// The local database (queue, history, share links), created and migrated on first use.
    pub async fn database(&self) -> CliResult<mediasaur::store::Database> {
        Ok(self.stores.database().await?)
    }

    /// Endpoints and keys for the queue runner, from the same profiles file and keyring.
    pub fn credentials(&self) -> std::sync::Arc<dyn mediasaur::transfers::Credentials> {
        self.stores.credentials()
    }
}
