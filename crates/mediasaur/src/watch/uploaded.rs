//! The "move after upload" action: a finished file goes into the watched folder's `.uploaded/`
//! subfolder under the same relative path, where the default ignore rules keep it from being seen
//! again, and it never replaces a file already there.

use std::ffi::OsString;
use std::fs;
use std::io::{Error, ErrorKind};
use std::path::{Path, PathBuf};

use crate::error::{ClientError, ClientResult};
use crate::store::watches::AfterUpload;
use crate::store::Database;

/// The subfolder of a watched folder that uploaded files are moved to.
pub const UPLOADED_FOLDER: &str = ".uploaded";

/// Moves `source`, a file inside the watched `folder`, to `folder/.uploaded/<its relative path>`,
/// creating the folders it needs. When that name is taken, ` (1)`, ` (2)`… is added before the
/// extension. Returns where the file went.
pub fn move_to_uploaded(folder: &Path, source: &Path) -> std::io::Result<PathBuf> {
    let relative = source.strip_prefix(folder).map_err(|_| {
        Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{} is not inside the watched folder {}",
                source.display(),
                folder.display()
            ),
        )
    })?;
    let wanted = folder.join(UPLOADED_FOLDER).join(relative);
    let parent = wanted
        .parent()
        .ok_or_else(|| Error::new(ErrorKind::InvalidInput, "the file has no name"))?;
    fs::create_dir_all(parent)?;
    for attempt in 0u32.. {
        let target = numbered(&wanted, attempt);
        if move_unless_taken(source, &target)? {
            return Ok(target);
        }
    }
    unreachable!("there are more names than files")
}

/// What the runner does once a transfer queued by watch `watch_id` has finished: applies the watch's
/// after-upload action to `source`. Returns where the file went, or `None` when it stays (the watch
/// keeps files, or was removed since).
pub async fn apply_after_upload(
    db: &Database,
    watch_id: i64,
    source: &Path,
) -> ClientResult<Option<PathBuf>> {
    let watch = match db.watch(watch_id).await {
        Ok(watch) => watch,
        Err(ClientError::NotFound { .. }) => return Ok(None),
        Err(error) => return Err(error),
    };
    if watch.after_upload == AfterUpload::Keep {
        return Ok(None);
    }
    let source = source.to_path_buf();
    let moved = tokio::task::spawn_blocking(move || {
        move_to_uploaded(&watch.folder, &source).map_err(|e| ClientError::reading(&source, e))
    })
    .await
    .map_err(|_| ClientError::Interrupted)??;
    Ok(Some(moved))
}

/// Moves `source` to `target` unless something is at `target`; `false` when it is taken.
fn move_unless_taken(source: &Path, target: &Path) -> std::io::Result<bool> {
    // A hard link fails atomically when the name is taken, which a rename (replacing silently on
    // Unix and Windows alike) cannot do.
    match fs::hard_link(source, target) {
        Ok(()) => {
            if let Err(error) = fs::remove_file(source) {
                let _ = fs::remove_file(target);
                return Err(error);
            }
            Ok(true)
        }
        Err(error) if error.kind() == ErrorKind::AlreadyExists => Ok(false),
        // File systems without hard links (FAT on memory cards): check, then rename.
        Err(_) => {
            if fs::symlink_metadata(target).is_ok() {
                return Ok(false);
            }
            fs::rename(source, target)?;
            Ok(true)
        }
    }
}

/// `photo.jpg`, `photo (1).jpg`, `photo (2).jpg`… for attempts 0, 1, 2…
fn numbered(path: &Path, attempt: u32) -> PathBuf {
    if attempt == 0 {
        return path.to_path_buf();
    }
    let stem = path.file_stem().unwrap_or_default();
    let mut name = OsString::from(stem);
    name.push(format!(" ({attempt})"));
    if let Some(extension) = path.extension() {
        name.push(".");
        name.push(extension);
    }
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn a_file_moves_under_uploaded_keeping_its_relative_path() {
        let temp = tempfile::tempdir().unwrap();
        let folder = temp.path();
        let source = folder.join("2026/june/photo.jpg");
        write(&source, "new");
        let moved = move_to_uploaded(folder, &source).unwrap();
        assert_eq!(moved, folder.join(".uploaded/2026/june/photo.jpg"));
        assert_eq!(fs::read_to_string(&moved).unwrap(), "new");
        assert!(!source.exists());
    }

    #[test]
    fn a_taken_name_gets_a_number_before_the_extension_and_nothing_is_replaced() {
        let temp = tempfile::tempdir().unwrap();
        let folder = temp.path();
        write(&folder.join(".uploaded/photo.jpg"), "first");
        write(&folder.join(".uploaded/photo (1).jpg"), "second");
        write(&folder.join(".uploaded/README"), "old readme");
        let source = folder.join("photo.jpg");
        write(&source, "third");
        let moved = move_to_uploaded(folder, &source).unwrap();
        assert_eq!(moved, folder.join(".uploaded/photo (2).jpg"));
        assert_eq!(fs::read_to_string(&moved).unwrap(), "third");
        assert_eq!(
            fs::read_to_string(folder.join(".uploaded/photo.jpg")).unwrap(),
            "first"
        );
        assert_eq!(
            fs::read_to_string(folder.join(".uploaded/photo (1).jpg")).unwrap(),
            "second"
        );
        write(&folder.join("README"), "new readme");
        let moved = move_to_uploaded(folder, &folder.join("README")).unwrap();
        assert_eq!(moved, folder.join(".uploaded/README (1)"));
    }

    #[test]
    fn files_outside_the_folder_or_missing_are_errors() {
        let temp = tempfile::tempdir().unwrap();
        let folder = temp.path().join("watched");
        fs::create_dir(&folder).unwrap();
        let outside = temp.path().join("elsewhere.jpg");
        write(&outside, "x");
        let err = move_to_uploaded(&folder, &outside).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(outside.exists());
        let err = move_to_uploaded(&folder, &folder.join("gone.jpg")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn the_watch_decides_whether_a_finished_file_moves() {
        use crate::store::watches::NewWatch;
        let temp = tempfile::tempdir().unwrap();
        let db = Database::open(&temp.path().join("db.sqlite3"))
            .await
            .unwrap();
        let mut watches = Vec::new();
        for (name, after_upload) in [("keep", AfterUpload::Keep), ("move", AfterUpload::Move)] {
            let folder = temp.path().join(name);
            fs::create_dir(&folder).unwrap();
            let new = NewWatch {
                folder,
                profile: "default".into(),
                bucket: "photos".into(),
                after_upload,
                ..NewWatch::default()
            };
            watches.push(db.add_watch(&new).await.unwrap());
        }
        let (keep, moving) = (&watches[0], &watches[1]);
        let kept = keep.folder.join("a.jpg");
        write(&kept, "a");
        assert_eq!(apply_after_upload(&db, keep.id, &kept).await.unwrap(), None);
        assert!(kept.exists());

        let source = moving.folder.join("sub/b.jpg");
        write(&source, "b");
        let moved = apply_after_upload(&db, moving.id, &source).await.unwrap();
        assert_eq!(moved, Some(moving.folder.join(".uploaded/sub/b.jpg")));
        let err = apply_after_upload(&db, moving.id, &source)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "source_missing");

        db.remove_watch(moving.id).await.unwrap();
        write(&source, "b again");
        assert_eq!(
            apply_after_upload(&db, moving.id, &source).await.unwrap(),
            None
        );
        assert!(source.exists());
    }

    #[test]
    fn numbering_keeps_the_last_extension() {
        let path = Path::new("/w/.uploaded/archive.tar.gz");
        assert_eq!(numbered(path, 0), path);
        assert_eq!(
            numbered(path, 3),
            Path::new("/w/.uploaded/archive.tar (3).gz")
        );
    }
}
