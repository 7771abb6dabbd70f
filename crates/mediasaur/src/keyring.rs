//! API keys in the OS keyring (the Secret Service on Linux): service `mediasaur`, user = profile name.
//! A missing or locked keyring is an error that says what to do; there is no plaintext fallback.

use zeroize::Zeroizing;

use crate::error::{ClientError, ClientResult};
use crate::secret::ApiKey;

/// The keyring service every key is stored under.
pub const KEYRING_SERVICE: &str = "mediasaur";

/// Where API keys are kept. Calls block on D-Bus, so async code runs them on the blocking pool.
#[derive(Debug, Clone)]
pub struct KeyringStore {
    service: String,
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self {
            service: KEYRING_SERVICE.to_owned(),
        }
    }
}

impl KeyringStore {
    /// A store under another service name (tests use one per run).
    pub fn with_service(service: &str) -> Self {
        Self {
            service: service.to_owned(),
        }
    }

    fn entry(&self, profile: &str) -> ClientResult<keyring::Entry> {
        keyring::Entry::new(&self.service, profile).map_err(|e| unavailable(&e))
    }

    /// Stores `key` for `profile`, replacing any earlier key.
    pub fn store(&self, profile: &str, key: &ApiKey) -> ClientResult<()> {
        self.entry(profile)?
            .set_password(key.expose())
            .map_err(|e| unavailable(&e))
    }

    /// The key stored for `profile`.
    pub fn load(&self, profile: &str) -> ClientResult<ApiKey> {
        match self.entry(profile)?.get_password() {
            Ok(secret) => ApiKey::parse(&Zeroizing::new(secret)).map_err(|_| {
                ClientError::Keyring(format!(
                    "the keyring entry for profile {profile:?} is not an API key; run `mediasaur login --profile {profile}` again"
                ))
            }),
            Err(keyring::Error::NoEntry) => Err(ClientError::NoApiKey {
                profile: profile.to_owned(),
            }),
            Err(e) => Err(unavailable(&e)),
        }
    }

    /// Whether a key is stored for `profile`, found by its attributes: the secret itself is never
    /// read (the app asks this on every status change, and only needs a yes or no).
    pub fn has_key(&self, profile: &str) -> ClientResult<bool> {
        match self.entry(profile)?.get_attributes() {
            Ok(_) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(unavailable(&e)),
        }
    }

    /// Forgets the key of `profile`; returns whether there was one.
    pub fn delete(&self, profile: &str) -> ClientResult<bool> {
        match self.entry(profile)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(unavailable(&e)),
        }
    }

    /// [`KeyringStore::load`] off the async runtime.
    pub async fn load_async(&self, profile: &str) -> ClientResult<ApiKey> {
        let (store, profile) = (self.clone(), profile.to_owned());
        tokio::task::spawn_blocking(move || store.load(&profile))
            .await
            .map_err(|e| ClientError::Keyring(format!("the keyring task failed: {e}")))?
    }
}

fn unavailable(error: &keyring::Error) -> ClientError {
    // keyring's messages name the platform failure, never the secret.
    let advice = match error {
        keyring::Error::NoStorageAccess(_) => {
            "the keyring is locked or refused access: unlock it (e.g. log in to the desktop session) and try again"
        }
        _ => {
            "no OS keyring is reachable: on Linux start a Secret Service such as gnome-keyring \
             (inside a D-Bus session) and try again"
        }
    };
    ClientError::Keyring(format!("{advice} ({error})"))
}
