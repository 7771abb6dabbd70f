//! Profiles as a UI sees them: endpoint, defaults and whether a key is stored, never the key. A
//! key goes one way only: from the UI into the OS keyring.

use std::time::Instant;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::Session;
use crate::error::{blocking, ClientError, ClientResult};
use crate::profile::Profile;
use crate::{ApiKey, ClientConfig, UploadClient};

/// A profile for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProfileView {
    /// Its name.
    pub name: String,
    /// The Upload API's base URL.
    pub endpoint: String,
    /// Default bucket.
    pub bucket: Option<String>,
    /// Default prefix.
    pub prefix: String,
    /// Used when nothing else is chosen.
    pub is_default: bool,
    /// The keyring holds a key for it.
    pub has_key: bool,
}

/// A profile to create or change.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProfileInput {
    /// Its name (letters, digits, `-`, `_`).
    pub name: String,
    /// The Upload API's base URL.
    pub endpoint: String,
    /// Default bucket.
    pub bucket: Option<String>,
    /// Default prefix.
    pub prefix: String,
    /// Make it the default profile.
    pub make_default: bool,
}

/// A successful connection test.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProfileCheck {
    /// The endpoint that answered.
    pub endpoint: String,
    /// How long the authenticated request took.
    pub latency_ms: f64,
}

/// What the first screen needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AppStatus {
    /// The app's version.
    pub version: String,
    /// No profile with a stored key yet: show the first-run setup.
    pub needs_setup: bool,
    /// A local Upload API server that answers (`MEDIASAUR_LOCAL_SERVER`, else
    /// `http://127.0.0.1:8080`), to offer at first run.
    pub local_server: Option<String>,
    /// The default profile's name, when there is one.
    pub default_profile: Option<String>,
}

/// Names the local server the first-run setup offers (`scripts/run` starts one).
pub const LOCAL_SERVER_ENV: &str = "MEDIASAUR_LOCAL_SERVER";
const LOCAL_SERVER_DEFAULT: &str = "http://127.0.0.1:8080";

impl Session {
    /// Whether setup is needed, and what it can offer.
    pub async fn status(&self, version: &str) -> ClientResult<AppStatus> {
        let profiles = self.profiles().await?;
        let default = profiles.iter().find(|p| p.is_default);
        let needs_setup = !default.is_some_and(|p| p.has_key);
        let local_server = if needs_setup {
            local_server().await
        } else {
            None
        };
        Ok(AppStatus {
            version: version.to_owned(),
            needs_setup,
            local_server,
            default_profile: default.map(|p| p.name.clone()),
        })
    }

    /// Every profile, by name, with whether its key is stored.
    pub async fn profiles(&self) -> ClientResult<Vec<ProfileView>> {
        let stores = self.stores().clone();
        blocking(move || {
            let default = stores.profiles.default_name()?;
            let mut views = Vec::new();
            for profile in stores.profiles.list()? {
                let has_key = stores.keyring.has_key(&profile.name)?;
                views.push(view(&profile, &default, has_key));
            }
            Ok(views)
        })
        .await
    }

    /// The profile named `name`, for display.
    pub async fn profile(&self, name: &str) -> ClientResult<ProfileView> {
        self.profiles()
            .await?
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| ClientError::NotFound {
                what: format!("profile {name:?}"),
            })
    }

    /// Creates or changes a profile (checked: name, http(s) endpoint, bucket, prefix).
    pub async fn save_profile(&self, input: ProfileInput) -> ClientResult<ProfileView> {
        let profile = Profile::new(
            input.name.trim(),
            input.endpoint.trim(),
            input
                .bucket
                .as_deref()
                .map(str::trim)
                .filter(|b| !b.is_empty()),
            &input.prefix,
        )?;
        let stores = self.stores().clone();
        let name = profile.name.clone();
        blocking(move || {
            stores.profiles.save(&profile)?;
            if input.make_default {
                stores.profiles.set_default(&profile.name)?;
            }
            Ok(())
        })
        .await?;
        self.profile_changed(&name);
        self.profile(&name).await
    }

    /// Removes a profile and its key.
    pub async fn remove_profile(&self, name: &str) -> ClientResult<()> {
        let (stores, removed) = (self.stores().clone(), name.to_owned());
        blocking(move || {
            if !stores.profiles.remove(&removed)? {
                return Err(ClientError::NotFound {
                    what: format!("profile {removed:?}"),
                });
            }
            stores.keyring.delete(&removed)?;
            Ok(())
        })
        .await?;
        self.profile_changed(name);
        Ok(())
    }

    /// Stores `key` for profile `name` in the OS keyring. The key is checked to look like an API key
    /// first; the error never repeats it.
    pub async fn set_api_key(
        &self,
        name: &str,
        key: Zeroizing<String>,
    ) -> ClientResult<ProfileView> {
        let key = ApiKey::parse(key.trim())?;
        let (stores, profile) = (self.stores().clone(), name.to_owned());
        blocking(move || {
            stores.profiles.get(Some(&profile))?;
            stores.keyring.store(&profile, &key)
        })
        .await?;
        self.profile_changed(name);
        self.profile(name).await
    }

    /// Makes an authenticated request with profile `name`'s endpoint and key.
    pub async fn test_profile(&self, name: &str) -> ClientResult<ProfileCheck> {
        let client = self.client_for(name).await?;
        let started = Instant::now();
        client.list_files(None, "", None, 1).await?;
        Ok(ProfileCheck {
            endpoint: client.endpoint().to_string(),
            latency_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// A client for profile `name`, with its key from the keyring.
    pub(super) async fn client_for(&self, name: &str) -> ClientResult<UploadClient> {
        let (endpoint, key) = self.stores().credentials().for_profile(name).await?;
        UploadClient::new(&endpoint, key, ClientConfig::default())
    }
}

/// The local server's base URL when its `/healthz` answers within half a second.
async fn local_server() -> Option<String> {
    let base = std::env::var(LOCAL_SERVER_ENV)
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| LOCAL_SERVER_DEFAULT.to_owned());
    let health = url::Url::parse(&base).ok()?.join("healthz").ok()?;
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(500))
        .build()
        .ok()?;
    let answered = client.get(health).send().await.ok()?;
    answered
        .status()
        .is_success()
        .then(|| base.trim_end_matches('/').to_owned())
}

fn view(profile: &Profile, default: &str, has_key: bool) -> ProfileView {
    ProfileView {
        name: profile.name.clone(),
        endpoint: profile.endpoint.to_string(),
        bucket: profile.bucket.as_ref().map(|b| b.as_str().to_owned()),
        prefix: profile.prefix.clone(),
        is_default: profile.name == default,
        has_key,
    }
}
