//! Where the runner gets each profile's endpoint and API key: the profiles file and the OS keyring
//! in the app and the CLI, or one fixed server in tests and embedded use.

use std::fmt::Debug;

use futures_util::future::BoxFuture;
use url::Url;

use crate::error::ClientResult;
use crate::keyring::KeyringStore;
use crate::profile::ProfileStore;
use crate::ApiKey;

/// Gives the endpoint and key of a profile. The key stays in Rust memory.
pub trait Credentials: Send + Sync + Debug {
    /// The endpoint and key for `profile`.
    fn for_profile<'a>(&'a self, profile: &'a str) -> BoxFuture<'a, ClientResult<(Url, ApiKey)>>;
}

/// Profiles from the profiles file, keys from the OS keyring.
#[derive(Debug, Clone)]
pub struct ProfileCredentials {
    profiles: ProfileStore,
    keyring: KeyringStore,
}

impl ProfileCredentials {
    /// Credentials from these stores.
    pub fn new(profiles: ProfileStore, keyring: KeyringStore) -> Self {
        Self { profiles, keyring }
    }
}

impl Credentials for ProfileCredentials {
    fn for_profile<'a>(&'a self, profile: &'a str) -> BoxFuture<'a, ClientResult<(Url, ApiKey)>> {
        Box::pin(async move {
            let endpoint = self.profiles.get(Some(profile))?.endpoint;
            let key = self.keyring.load_async(profile).await?;
            Ok((endpoint, key))
        })
    }
}

/// One server and key for every profile.
pub struct FixedCredentials {
    endpoint: Url,
    key: ApiKey,
}

impl FixedCredentials {
    /// Every profile uploads to `endpoint` with `key`.
    pub fn new(endpoint: Url, key: ApiKey) -> Self {
        Self { endpoint, key }
    }
}

impl Debug for FixedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedCredentials")
            .field("endpoint", &self.endpoint.as_str())
            .finish_non_exhaustive()
    }
}

impl Credentials for FixedCredentials {
    fn for_profile<'a>(&'a self, _profile: &'a str) -> BoxFuture<'a, ClientResult<(Url, ApiKey)>> {
        Box::pin(async move { Ok((self.endpoint.clone(), self.key.clone())) })
    }
}
