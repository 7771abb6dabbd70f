//! Watched folders as stored in the database: what is watched, where its files go, what is ignored
//! and what happens to a file once it is uploaded.

use std::path::{Path, PathBuf};

use mediasaur_api::{BucketName, ErrorCode, ObjectPath};
use serde::{Deserialize, Serialize};

use super::{database, now_ms, path_text, Database};
use crate::error::{ClientError, ClientResult};

/// What happens to a local file once its upload from a watch has finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AfterUpload {
    /// Leave it where it is.
    #[default]
    Keep,
    /// Move it into the watched folder's `.uploaded/` subfolder, keeping its relative path.
    Move,
}

impl AfterUpload {
    /// The name the database stores.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Keep => "keep",
            Self::Move => "move",
        }
    }

    fn from_column(value: &str) -> ClientResult<Self> {
        match value {
            "keep" => Ok(Self::Keep),
            "move" => Ok(Self::Move),
            other => Err(ClientError::Database {
                doing: "reading a watch",
                message: format!("unknown after-upload action {other:?}"),
            }),
        }
    }
}

/// A watched folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Watch {
    /// Local row id.
    pub id: i64,
    /// The folder, canonical (symlinks resolved, absolute).
    pub folder: PathBuf,
    /// The profile its files are uploaded with.
    pub profile: String,
    /// The bucket its files go to.
    pub bucket: String,
    /// Prepended to each file's path relative to the folder; empty, or a valid object path without
    /// a trailing `/`.
    pub prefix: String,
    /// Whether files in subfolders are uploaded too.
    pub recursive: bool,
    /// Glob patterns ignored on top of the default temporary and system files.
    pub ignore: Vec<String>,
    /// What happens to a file once uploaded.
    pub after_upload: AfterUpload,
    /// A paused watch queues nothing.
    pub paused: bool,
    /// When it was added, milliseconds since the Unix epoch.
    pub created_at: i64,
}

/// A watch to add.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "WatchInput"))]
pub struct NewWatch {
    /// The folder; it must exist. Stored canonical.
    pub folder: PathBuf,
    /// The profile its files are uploaded with.
    pub profile: String,
    /// The bucket its files go to.
    pub bucket: String,
    /// Prepended to each file's relative path; slashes around it are dropped.
    #[serde(default)]
    pub prefix: String,
    /// Whether files in subfolders are uploaded too.
    #[serde(default)]
    pub recursive: bool,
    /// Extra glob patterns to ignore.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// What happens to a file once uploaded.
    #[serde(default)]
    pub after_upload: AfterUpload,
}

#[derive(Debug, sqlx::FromRow)]
struct WatchRow {
    id: i64,
    folder: String,
    profile: String,
    bucket: String,
    prefix: String,
    recursive: bool,
    ignore: String,
    after_upload: String,
    paused: bool,
    created_at: i64,
}

const WATCH_COLUMNS: &str =
    "id, folder, profile, bucket, prefix, recursive, ignore, after_upload, paused, created_at";

impl TryFrom<WatchRow> for Watch {
    type Error = ClientError;

    fn try_from(row: WatchRow) -> ClientResult<Self> {
        let ignore = serde_json::from_str(&row.ignore).map_err(|e| ClientError::Database {
            doing: "reading a watch",
            message: format!("watch {} holds unreadable ignore patterns: {e}", row.id),
        })?;
        Ok(Self {
            id: row.id,
            folder: PathBuf::from(row.folder),
            profile: row.profile,
            bucket: row.bucket,
            prefix: row.prefix,
            recursive: row.recursive,
            ignore,
            after_upload: AfterUpload::from_column(&row.after_upload)?,
            paused: row.paused,
            created_at: row.created_at,
        })
    }
}

/// The prefix as stored: no slashes around it, NFC, and a valid object path when not empty.
pub(crate) fn normalized_prefix(prefix: &str) -> ClientResult<String> {
    let trimmed = prefix.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let path = ObjectPath::parse(trimmed).map_err(|e| {
        ClientError::invalid(
            e.code(),
            format!("the prefix {prefix:?} is not usable: {e}"),
        )
    })?;
    Ok(path.as_str().to_owned())
}

/// The folder, canonical, once checked to be a directory.
async fn canonical_folder(folder: &Path) -> ClientResult<PathBuf> {
    let invalid = |message: String| ClientError::invalid(ErrorCode::InvalidRequest, message);
    let canonical = tokio::fs::canonicalize(folder)
        .await
        .map_err(|e| invalid(format!("cannot watch {}: {e}", folder.display())))?;
    let metadata = tokio::fs::metadata(&canonical)
        .await
        .map_err(|e| invalid(format!("cannot watch {}: {e}", folder.display())))?;
    if !metadata.is_dir() {
        return Err(invalid(format!(
            "cannot watch {}: it is not a folder",
            folder.display()
        )));
    }
    Ok(canonical)
}

/// A [`NewWatch`] whose parts were checked, in the form the table stores.
struct CheckedWatch {
    folder: PathBuf,
    folder_text: String,
    bucket: String,
    prefix: String,
    ignore: String,
}

impl CheckedWatch {
    async fn new(new: &NewWatch) -> ClientResult<Self> {
        if new.profile.trim().is_empty() {
            return Err(ClientError::invalid(
                ErrorCode::InvalidRequest,
                "a watch needs a profile",
            ));
        }
        let bucket = BucketName::parse(&new.bucket)?.as_str().to_owned();
        let prefix = normalized_prefix(&new.prefix)?;
        crate::watch::IgnoreRules::new(&new.ignore)?;
        let folder = canonical_folder(&new.folder).await?;
        let folder_text = path_text(&folder)?;
        let ignore = serde_json::to_string(&new.ignore).map_err(|e| ClientError::Database {
            doing: "saving a watch",
            message: e.to_string(),
        })?;
        Ok(Self {
            folder,
            folder_text,
            bucket,
            prefix,
            ignore,
        })
    }
}

impl Database {
    /// Adds a watch after checking it: the folder exists and is a directory (stored canonical), the
    /// bucket and prefix follow the API's rules, the ignore patterns are valid globs, and the folder
    /// is not watched already.
    pub async fn add_watch(&self, new: &NewWatch) -> ClientResult<Watch> {
        let checked = CheckedWatch::new(new).await?;
        let (folder, folder_text, ignore) =
            (&checked.folder, &checked.folder_text, &checked.ignore);
        let (bucket, prefix) = (&checked.bucket, &checked.prefix);
        if let Some(existing) = self.watch_of_folder(folder_text).await? {
            return Err(already_watched(folder, existing));
        }
        let inserted = sqlx::query_scalar::<_, i64>(
            "INSERT INTO watches (folder, profile, bucket, prefix, recursive, ignore, after_upload,
                paused, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)
             RETURNING id",
        )
        .bind(folder_text)
        .bind(&new.profile)
        .bind(bucket)
        .bind(prefix)
        .bind(new.recursive)
        .bind(ignore)
        .bind(new.after_upload.as_str())
        .bind(now_ms())
        .fetch_one(self.writer())
        .await;
        let id = match inserted {
            Ok(id) => id,
            // Another process added the same folder between the check and the insert.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                let existing = self.watch_of_folder(folder_text).await?.unwrap_or_default();
                return Err(already_watched(folder, existing));
            }
            Err(e) => return Err(database("adding a watch")(e)),
        };
        self.watch(id).await
    }

    /// Changes watch `id` to `new` (checked as [`Database::add_watch`] checks); keeps its paused
    /// state and creation time. A running watcher must be restarted to see the change.
    pub async fn update_watch(&self, id: i64, new: &NewWatch) -> ClientResult<Watch> {
        let checked = CheckedWatch::new(new).await?;
        match self.watch_of_folder(&checked.folder_text).await? {
            Some(existing) if existing != id => {
                return Err(already_watched(&checked.folder, existing))
            }
            _ => {}
        }
        let updated = sqlx::query(
            "UPDATE watches SET folder = ?, profile = ?, bucket = ?, prefix = ?, recursive = ?,
                ignore = ?, after_upload = ?
             WHERE id = ?",
        )
        .bind(&checked.folder_text)
        .bind(&new.profile)
        .bind(&checked.bucket)
        .bind(&checked.prefix)
        .bind(new.recursive)
        .bind(&checked.ignore)
        .bind(new.after_upload.as_str())
        .bind(id)
        .execute(self.writer())
        .await
        .map_err(database("changing a watch"))?;
        if updated.rows_affected() == 0 {
            return Err(not_found(id));
        }
        self.watch(id).await
    }

    async fn watch_of_folder(&self, folder: &str) -> ClientResult<Option<i64>> {
        sqlx::query_scalar::<_, i64>("SELECT id FROM watches WHERE folder = ?")
            .bind(folder)
            .fetch_optional(self.pool())
            .await
            .map_err(database("looking up a watch"))
    }

    /// Every watch, oldest first.
    pub async fn watches(&self) -> ClientResult<Vec<Watch>> {
        let rows: Vec<WatchRow> =
            sqlx::query_as(&format!("SELECT {WATCH_COLUMNS} FROM watches ORDER BY id"))
                .fetch_all(self.pool())
                .await
                .map_err(database("listing watches"))?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// The watch with row id `id`.
    pub async fn watch(&self, id: i64) -> ClientResult<Watch> {
        let row: WatchRow =
            sqlx::query_as(&format!("SELECT {WATCH_COLUMNS} FROM watches WHERE id = ?"))
                .bind(id)
                .fetch_optional(self.pool())
                .await
                .map_err(database("reading a watch"))?
                .ok_or_else(|| not_found(id))?;
        row.try_into()
    }

    /// Removes a watch. Transfers it queued stay, no longer linked to it.
    pub async fn remove_watch(&self, id: i64) -> ClientResult<()> {
        let removed = sqlx::query("DELETE FROM watches WHERE id = ?")
            .bind(id)
            .execute(self.writer())
            .await
            .map_err(database("removing a watch"))?;
        if removed.rows_affected() == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }

    /// Pauses or resumes a watch; returns it as it now is. A running watcher is told separately,
    /// with [`crate::watch::WatchHandle::set_paused`].
    pub async fn set_watch_paused(&self, id: i64, paused: bool) -> ClientResult<Watch> {
        let updated = sqlx::query("UPDATE watches SET paused = ? WHERE id = ?")
            .bind(paused)
            .bind(id)
            .execute(self.writer())
            .await
            .map_err(database("pausing a watch"))?;
        if updated.rows_affected() == 0 {
            return Err(not_found(id));
        }
        self.watch(id).await
    }
}

fn not_found(id: i64) -> ClientError {
    ClientError::NotFound {
        what: format!("watch {id}"),
    }
}

fn already_watched(folder: &Path, existing: i64) -> ClientError {
    ClientError::invalid(
        ErrorCode::InvalidRequest,
        format!(
            "{} is already watched (watch {existing}); change or remove that watch instead",
            folder.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn database(dir: &Path) -> Database {
        Database::open(&dir.join("test.sqlite3")).await.unwrap()
    }

    fn new_watch(folder: &Path) -> NewWatch {
        NewWatch {
            folder: folder.to_path_buf(),
            profile: "default".into(),
            bucket: "photos".into(),
            prefix: "/camera/".into(),
            recursive: true,
            ignore: vec!["*.raw".into()],
            after_upload: AfterUpload::Move,
        }
    }

    #[tokio::test]
    async fn a_watch_round_trips_with_a_canonical_folder_and_a_clean_prefix() {
        let temp = tempfile::tempdir().unwrap();
        let folder = temp.path().join("in");
        std::fs::create_dir(&folder).unwrap();
        let db = database(temp.path()).await;
        let added = db
            .add_watch(&new_watch(&folder.join("..").join("in")))
            .await
            .unwrap();
        assert_eq!(added.folder, folder.canonicalize().unwrap());
        assert_eq!(added.prefix, "camera");
        assert_eq!(added.ignore, ["*.raw"]);
        assert_eq!(added.after_upload, AfterUpload::Move);
        assert!(added.recursive && !added.paused);
        assert_eq!(db.watches().await.unwrap(), std::slice::from_ref(&added));

        let paused = db.set_watch_paused(added.id, true).await.unwrap();
        assert!(paused.paused);
        assert!(db.watch(added.id).await.unwrap().paused);

        db.remove_watch(added.id).await.unwrap();
        assert!(db.watches().await.unwrap().is_empty());
        let missing = db.remove_watch(added.id).await.unwrap_err();
        assert_eq!(missing.code(), "not_found");
        assert_eq!(db.watch(added.id).await.unwrap_err().code(), "not_found");
        let err = db.set_watch_paused(added.id, false).await.unwrap_err();
        assert_eq!(err.code(), "not_found");
    }

    #[tokio::test]
    async fn watching_a_folder_twice_is_refused_even_by_another_spelling() {
        let temp = tempfile::tempdir().unwrap();
        let db = database(temp.path()).await;
        let first = db.add_watch(&new_watch(temp.path())).await.unwrap();
        let again = new_watch(&temp.path().join("."));
        let err = db.add_watch(&again).await.unwrap_err();
        assert_eq!(err.code(), "invalid_request");
        let message = err.to_string();
        assert!(message.contains("already watched"), "{message}");
        assert!(
            message.contains(&format!("watch {}", first.id)),
            "{message}"
        );
    }

    #[tokio::test]
    async fn bad_watches_are_refused_with_a_code() {
        let temp = tempfile::tempdir().unwrap();
        let db = database(temp.path()).await;
        let file = temp.path().join("file.txt");
        std::fs::write(&file, b"x").unwrap();
        let cases = [
            (
                NewWatch {
                    folder: temp.path().join("missing"),
                    ..new_watch(temp.path())
                },
                "invalid_request",
                "missing",
            ),
            (new_watch(&file), "invalid_request", "not a folder"),
            (
                NewWatch {
                    bucket: "Bad_Bucket".into(),
                    ..new_watch(temp.path())
                },
                "invalid_bucket",
                "bucket",
            ),
            (
                NewWatch {
                    prefix: "a/../b".into(),
                    ..new_watch(temp.path())
                },
                "invalid_path",
                "prefix",
            ),
            (
                NewWatch {
                    ignore: vec!["[unclosed".into()],
                    ..new_watch(temp.path())
                },
                "invalid_request",
                "[unclosed",
            ),
            (
                NewWatch {
                    profile: " ".into(),
                    ..new_watch(temp.path())
                },
                "invalid_request",
                "profile",
            ),
        ];
        for (watch, code, needle) in cases {
            let err = db.add_watch(&watch).await.unwrap_err();
            assert_eq!(err.code(), code, "{watch:?}: {err}");
            assert!(err.to_string().contains(needle), "{watch:?}: {err}");
        }
        assert!(db.watches().await.unwrap().is_empty());
    }
}
