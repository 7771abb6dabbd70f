//! Profiles (endpoint, default bucket and path prefix) in a TOML file in the platform config dir.
//! The file never holds a key: keys live in the OS keyring (see `keyring`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mediasaur_api::{BucketName, ErrorCode};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{ClientError, ClientResult};

/// Name of the profile used when none is given and none is marked default.
pub const DEFAULT_PROFILE: &str = "default";

/// One server and where uploads go on it by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The profile's name (also the keyring user).
    #[serde(skip)]
    pub name: String,
    /// The Upload API's base URL, e.g. `http://127.0.0.1:8080`.
    pub endpoint: Url,
    /// Bucket used when a command names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<BucketName>,
    /// Prefix put before every uploaded path, e.g. `uploads/2026`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub prefix: String,
}

impl Profile {
    /// A profile after checking its parts: an http(s) endpoint, a valid prefix.
    pub fn new(
        name: &str,
        endpoint: &str,
        bucket: Option<&str>,
        prefix: &str,
    ) -> ClientResult<Self> {
        validate_name(name)?;
        let endpoint = Url::parse(endpoint)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
            .ok_or_else(|| {
                ClientError::invalid(
                    ErrorCode::InvalidRequest,
                    format!("{endpoint:?} is not an http:// or https:// URL"),
                )
            })?;
        let prefix = prefix.trim_matches('/').to_owned();
        if !prefix.is_empty() {
            mediasaur_api::ObjectPath::parse(&prefix)?;
        }
        Ok(Self {
            name: name.to_owned(),
            endpoint,
            bucket: bucket.map(BucketName::parse).transpose()?,
            prefix,
        })
    }
}

fn validate_name(name: &str) -> ClientResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(ClientError::invalid(
            ErrorCode::InvalidRequest,
            format!("profile names are 1-64 letters, digits, '-', '_' or '.', not {name:?}"),
        ))
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ProfilesFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// The profiles file.
#[derive(Debug, Clone)]
pub struct ProfileStore {
    path: PathBuf,
}

impl ProfileStore {
    /// The store at `dir/profiles.toml`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            path: dir.join("profiles.toml"),
        }
    }

    /// The platform's config dir for Mediasaur (e.g. `~/.config/mediasaur`).
    pub fn default_dir() -> ClientResult<PathBuf> {
        directories::ProjectDirs::from("", "", "mediasaur")
            .map(|dirs| dirs.config_dir().to_path_buf())
            .ok_or_else(|| {
                ClientError::Config("cannot find a home directory for the config".into())
            })
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> ClientResult<ProfilesFile> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(ProfilesFile::default())
            }
            Err(e) => return Err(self.error("read", &e)),
        };
        let mut file: ProfilesFile = toml::from_str(&text).map_err(|e| {
            ClientError::Config(format!(
                "{} is not valid: {}",
                self.path.display(),
                e.message()
            ))
        })?;
        for (name, profile) in &mut file.profiles {
            profile.name.clone_from(name);
        }
        Ok(file)
    }

    fn write(&self, file: &ProfilesFile) -> ClientResult<()> {
        let text = toml::to_string_pretty(file)
            .map_err(|e| ClientError::Config(format!("cannot encode profiles: {e}")))?;
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| self.error("create the directory of", &e))?;
        }
        // Write aside and rename, so a crash never leaves half a file.
        let temp = self.path.with_extension("toml.tmp");
        std::fs::write(&temp, text).map_err(|e| self.error("write", &e))?;
        std::fs::rename(&temp, &self.path).map_err(|e| self.error("replace", &e))
    }

    fn error(&self, action: &str, error: &std::io::Error) -> ClientError {
        ClientError::Config(format!("cannot {action} {}: {error}", self.path.display()))
    }

    /// Every profile, by name.
    pub fn list(&self) -> ClientResult<Vec<Profile>> {
        Ok(self.read()?.profiles.into_values().collect())
    }

    /// The default profile's name: the one marked default, else the only one, else `default`.
    pub fn default_name(&self) -> ClientResult<String> {
        let file = self.read()?;
        Ok(match (file.default, file.profiles.len()) {
            (Some(name), _) => name,
            (None, 1) => file.profiles.into_keys().next().unwrap_or_default(),
            (None, _) => DEFAULT_PROFILE.to_owned(),
        })
    }

    /// The named profile, or the default one when `name` is `None`.
    pub fn get(&self, name: Option<&str>) -> ClientResult<Profile> {
        let name = match name {
            Some(name) => name.to_owned(),
            None => self.default_name()?,
        };
        self.read()?.profiles.remove(&name).ok_or_else(|| {
            ClientError::Config(format!(
                "no profile named {name:?}; create it with `mediasaur login --profile {name} --endpoint URL`"
            ))
        })
    }

    /// Adds or replaces `profile`; the first profile saved becomes the default.
    pub fn save(&self, profile: &Profile) -> ClientResult<()> {
        let mut file = self.read()?;
        if file.default.is_none() {
            file.default = Some(profile.name.clone());
        }
        file.profiles.insert(profile.name.clone(), profile.clone());
        self.write(&file)
    }

    /// Marks `name` as the default profile.
    pub fn set_default(&self, name: &str) -> ClientResult<()> {
        let mut file = self.read()?;
        self.get(Some(name))?;
        file.default = Some(name.to_owned());
        self.write(&file)
    }

    /// Removes `name`; returns whether it existed.
    pub fn remove(&self, name: &str) -> ClientResult<bool> {
        let mut file = self.read()?;
        let existed = file.profiles.remove(name).is_some();
        if file.default.as_deref() == Some(name) {
            file.default = None;
        }
        self.write(&file)?;
        Ok(existed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_round_trip_and_the_first_becomes_default() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::in_dir(dir.path());
        assert!(store.list().unwrap().is_empty());
        let local =
            Profile::new("local", "http://127.0.0.1:8080", Some("default"), "/up/").unwrap();
        assert_eq!(local.prefix, "up");
        store.save(&local).unwrap();
        let team = Profile::new("team", "https://upload.example.com", None, "").unwrap();
        store.save(&team).unwrap();
        assert_eq!(store.get(None).unwrap(), local);
        assert_eq!(store.get(Some("team")).unwrap(), team);
        store.set_default("team").unwrap();
        assert_eq!(store.default_name().unwrap(), "team");
        let text = std::fs::read_to_string(store.path()).unwrap();
        assert!(
            text.contains("endpoint = \"http://127.0.0.1:8080/\""),
            "{text}"
        );
        assert!(store.remove("team").unwrap());
        assert_eq!(store.default_name().unwrap(), "local");
    }

    #[test]
    fn bad_profiles_and_bad_files_are_clear_errors() {
        assert_eq!(
            Profile::new("a b", "http://x", None, "")
                .unwrap_err()
                .code(),
            "invalid_request"
        );
        assert_eq!(
            Profile::new("a", "ftp://x", None, "").unwrap_err().code(),
            "invalid_request"
        );
        assert_eq!(
            Profile::new("a", "http://x", Some("Bad_Bucket"), "")
                .unwrap_err()
                .code(),
            "invalid_bucket"
        );
        assert_eq!(
            Profile::new("a", "http://x", None, "a/../b")
                .unwrap_err()
                .code(),
            "invalid_path"
        );
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::in_dir(dir.path());
        std::fs::write(store.path(), "profiles = 3").unwrap();
        let error = store.list().unwrap_err();
        assert_eq!(error.code(), "config");
        assert!(
            error.to_string().contains("profiles.toml is not valid"),
            "{error}"
        );
        let missing = ProfileStore::in_dir(dir.path().join("nothing").as_path());
        assert!(missing
            .get(Some("x"))
            .unwrap_err()
            .to_string()
            .contains("mediasaur login"));
    }
}
