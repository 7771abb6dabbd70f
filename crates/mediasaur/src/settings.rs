//! The desktop app's preferences (speed limits, link expiry, what happens after an upload, theme),
//! kept in `settings.toml` beside the profiles. Never holds a secret.

use std::path::{Path, PathBuf};

use mediasaur_api::ErrorCode;
use serde::{Deserialize, Serialize};

use crate::error::{ClientError, ClientResult};
use crate::transfers::DuplicatePolicy;

/// Fewest bytes a resumable chunk may hold.
pub const MIN_CHUNK_SIZE: u64 = 64 * 1024;
/// Most bytes a resumable chunk may hold.
pub const MAX_CHUNK_SIZE: u64 = 1024 * 1024 * 1024;
/// Most uploads sending at once.
pub const MAX_CONCURRENCY: u32 = 16;
/// The slowest bandwidth limit accepted, bytes per second.
pub const MIN_BANDWIDTH: u64 = 1024;
/// Longest default link expiry: a year.
pub const MAX_LINK_EXPIRY: u64 = 365 * 24 * 3600;

/// The app's colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Theme {
    /// Follow the system.
    #[default]
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

/// What is put on the clipboard when an upload finishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AutoCopy {
    /// Nothing.
    #[default]
    Off,
    /// The File's URL.
    Url,
    /// A signed `GET` link valid for the default link expiry.
    SignedLink,
}

/// The app's preferences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Settings {
    /// Uploads sending at the same time (1 to [`MAX_CONCURRENCY`]).
    pub concurrency: u32,
    /// Bandwidth shared by all uploads, bytes per second; `None` for no limit.
    pub bandwidth_limit: Option<u64>,
    /// Bytes per resumable (tus) chunk.
    pub chunk_size: u64,
    /// Seconds a copied signed link stays valid unless another expiry is chosen.
    pub default_link_expiry: u64,
    /// What is copied when an upload finishes.
    pub auto_copy: AutoCopy,
    /// A system notification when a batch of uploads finishes.
    pub notifications: bool,
    /// Start the app (in the tray) when the user logs in.
    pub start_at_login: bool,
    /// Colours.
    pub theme: Theme,
    /// What to do with a file whose bytes the history already holds at its destination.
    pub duplicates: DuplicatePolicy,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            concurrency: 4,
            bandwidth_limit: None,
            chunk_size: 16 * 1024 * 1024,
            default_link_expiry: 24 * 3600,
            auto_copy: AutoCopy::Off,
            notifications: true,
            start_at_login: false,
            theme: Theme::System,
            duplicates: DuplicatePolicy::SameDestination,
        }
    }
}

impl Settings {
    /// Refuses values the engine cannot use, naming the field (`invalid_request`).
    pub fn validate(&self) -> ClientResult<()> {
        let refuse =
            |message: String| Err(ClientError::invalid(ErrorCode::InvalidRequest, message));
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return refuse(format!(
                "concurrency must be between 1 and {MAX_CONCURRENCY}, not {}",
                self.concurrency
            ));
        }
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&self.chunk_size) {
            return refuse(format!(
                "the chunk size must be between 64 KiB and 1 GiB, not {} bytes",
                self.chunk_size
            ));
        }
        if self
            .bandwidth_limit
            .is_some_and(|rate| rate < MIN_BANDWIDTH)
        {
            return refuse("the bandwidth limit must be at least 1 KiB/s (or no limit)".into());
        }
        if !(1..=MAX_LINK_EXPIRY).contains(&self.default_link_expiry) {
            return refuse("the link expiry must be between 1 second and 365 days".into());
        }
        Ok(())
    }
}

/// `settings.toml` in a config directory.
#[derive(Debug, Clone)]
pub struct SettingsStore {
    path: PathBuf,
}

impl SettingsStore {
    /// The settings file in `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            path: dir.join("settings.toml"),
        }
    }

    /// The settings, or the defaults when the file does not exist. A file that cannot be read or
    /// parsed is an error naming it, never silently replaced.
    pub fn load(&self) -> ClientResult<Settings> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(source) => {
                return Err(ClientError::Unreadable {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        let settings: Settings = toml::from_str(&text).map_err(|e| {
            ClientError::invalid(
                ErrorCode::InvalidRequest,
                format!("{} is not valid: {e}", self.path.display()),
            )
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks and writes `settings` (through a temporary file, so a crash never leaves half a file).
    pub fn save(&self, settings: &Settings) -> ClientResult<()> {
        settings.validate()?;
        let text = toml::to_string_pretty(settings).map_err(|e| {
            ClientError::invalid(ErrorCode::Internal, format!("cannot write settings: {e}"))
        })?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let unreadable = |source| ClientError::Unreadable {
            path: self.path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(unreadable)?;
        let temp = self.path.with_extension("toml.tmp");
        std::fs::write(&temp, text).map_err(unreadable)?;
        std::fs::rename(&temp, &self.path).map_err(unreadable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_gives_defaults_and_saved_settings_come_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::in_dir(&dir.path().join("nested"));
        assert_eq!(store.load().unwrap(), Settings::default());
        let settings = Settings {
            concurrency: 2,
            bandwidth_limit: Some(3_000_000),
            auto_copy: AutoCopy::SignedLink,
            theme: Theme::Dark,
            duplicates: DuplicatePolicy::Never,
            ..Settings::default()
        };
        store.save(&settings).unwrap();
        assert_eq!(store.load().unwrap(), settings);
    }

    #[test]
    fn bad_values_are_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::in_dir(dir.path());
        for bad in [
            Settings {
                concurrency: 0,
                ..Settings::default()
            },
            Settings {
                concurrency: 17,
                ..Settings::default()
            },
            Settings {
                chunk_size: 1000,
                ..Settings::default()
            },
            Settings {
                bandwidth_limit: Some(10),
                ..Settings::default()
            },
            Settings {
                default_link_expiry: 0,
                ..Settings::default()
            },
        ] {
            let error = store.save(&bad).unwrap_err();
            assert_eq!(error.code(), "invalid_request", "{bad:?}");
        }
        assert!(!dir.path().join("settings.toml").exists());
    }

    #[test]
    fn a_broken_file_is_an_error_not_a_reset() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("settings.toml"), "concurrency = \"many\"").unwrap();
        let error = SettingsStore::in_dir(dir.path()).load().unwrap_err();
        assert_eq!(error.code(), "invalid_request");
        assert!(error.to_string().contains("settings.toml"), "{error}");
        std::fs::write(dir.path().join("settings.toml"), "unknown_key = 1").unwrap();
        assert!(SettingsStore::in_dir(dir.path()).load().is_err());
    }
}
