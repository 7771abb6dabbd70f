//! Listing what is already in a watched folder (on start, when a folder is moved in, after the
//! system dropped events). Links to folders are never entered, so a link loop cannot hang or repeat
//! anything; a folder that cannot be read is reported and skipped. Also the look at one path.

use std::fs;
use std::path::{Path, PathBuf};

use super::ignore::IgnoreRules;
use super::relative_path;
use super::stability::{FileState, Look};
use crate::upload::modified_ns;

/// What a scan found.
#[derive(Debug, Default)]
pub(crate) struct Scanned {
    /// Everything that may be a file: regular files and symbolic links (whose target is looked at
    /// later, like any other path), sorted by folder then name.
    pub files: Vec<PathBuf>,
    /// Folders that could not be listed.
    pub unreadable: Vec<(PathBuf, std::io::Error)>,
}

/// Lists `start` (the watched `folder` or a folder inside it): its files, and with `recursive` the
/// files of its subfolders, except folders the ignore rules leave alone.
pub(crate) fn scan(folder: &Path, start: &Path, recursive: bool, ignore: &IgnoreRules) -> Scanned {
    let mut scanned = Scanned::default();
    let mut folders = vec![start.to_path_buf()];
    while let Some(dir) = folders.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) => {
                scanned.unreadable.push((dir, error));
                continue;
            }
        };
        let mut children = Vec::new();
        for entry in entries {
            match entry.and_then(|entry| Ok((entry.path(), entry.file_type()?))) {
                Ok(child) => children.push(child),
                Err(error) => scanned.unreadable.push((dir.clone(), error)),
            }
        }
        children.sort_by(|a, b| a.0.cmp(&b.0));
        let mut subfolders = Vec::new();
        for (path, file_type) in children {
            // `file_type` does not follow links: a link to a folder lands here as a link.
            if file_type.is_dir() {
                if recursive && !is_ignored_folder(folder, &path, ignore) {
                    subfolders.push(path);
                }
            } else if file_type.is_file() || file_type.is_symlink() {
                scanned.files.push(path);
            }
        }
        // Popped in reverse, so folders are listed in name order.
        folders.extend(subfolders.into_iter().rev());
    }
    scanned
}

fn is_ignored_folder(folder: &Path, dir: &Path, ignore: &IgnoreRules) -> bool {
    // A folder whose name is not valid UTF-8 is still listed: its files are reported one by one.
    relative_path(folder, dir).is_ok_and(|relative| ignore.matched(&relative).is_some())
}

/// Whether `path` is a folder itself, not a link to one.
pub(crate) fn is_real_folder(path: &Path) -> bool {
    // `symlink_metadata` does not follow links: a link to a folder is not entered.
    fs::symlink_metadata(path).is_ok_and(|metadata| metadata.is_dir())
}

/// What is at `path` now: a link to a file counts as the file.
pub(crate) fn look_at(path: PathBuf) -> (PathBuf, Look) {
    let look = match fs::metadata(&path) {
        Err(_) => Look::Missing,
        Ok(metadata) if !metadata.is_file() => Look::NotAFile,
        Ok(metadata) => Look::File {
            state: FileState {
                size: metadata.len(),
                modified_ns: modified_ns(&metadata),
            },
            unopenable: fs::File::open(&path).err().map(|error| error.to_string()),
        },
    };
    (path, look)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, b"x").unwrap();
    }

    fn names(folder: &Path, scanned: &Scanned) -> Vec<String> {
        scanned
            .files
            .iter()
            .map(|path| relative_path(folder, path).unwrap())
            .collect()
    }

    fn fixture() -> tempfile::TempDir {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        touch(&root.join("b.jpg"));
        touch(&root.join("a.jpg"));
        touch(&root.join("sub/c.jpg"));
        touch(&root.join("sub/deeper/d.jpg"));
        touch(&root.join(".uploaded/sub/old.jpg"));
        touch(&root.join("skip.raw/inside.jpg"));
        touch(&root.join("sub/.cache/e.jpg"));
        temp
    }

    #[test]
    fn a_recursive_scan_lists_every_file_outside_ignored_folders() {
        let temp = fixture();
        let root = temp.path();
        let rules = IgnoreRules::new(&["*.raw".into()]).unwrap();
        let scanned = scan(root, root, true, &rules);
        assert_eq!(
            names(root, &scanned),
            ["a.jpg", "b.jpg", "sub/c.jpg", "sub/deeper/d.jpg"]
        );
        assert!(scanned.unreadable.is_empty());
        let inside = scan(root, &root.join("sub"), true, &rules);
        assert_eq!(names(root, &inside), ["sub/c.jpg", "sub/deeper/d.jpg"]);
    }

    #[test]
    fn a_flat_scan_stays_in_the_folder() {
        let temp = fixture();
        let root = temp.path();
        let scanned = scan(root, root, false, &IgnoreRules::new(&[]).unwrap());
        assert_eq!(names(root, &scanned), ["a.jpg", "b.jpg"]);
    }

    #[cfg(unix)]
    #[test]
    fn links_to_folders_are_listed_as_paths_but_never_entered() {
        use std::os::unix::fs::symlink;
        let temp = fixture();
        let root = temp.path();
        symlink("..", root.join("sub/loop")).unwrap();
        symlink(root.join("a.jpg"), root.join("sub/link.jpg")).unwrap();
        let scanned = scan(root, root, true, &IgnoreRules::new(&[]).unwrap());
        assert_eq!(
            names(root, &scanned),
            [
                "a.jpg",
                "b.jpg",
                "skip.raw/inside.jpg",
                "sub/c.jpg",
                "sub/link.jpg",
                "sub/loop",
                "sub/deeper/d.jpg"
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn an_unreadable_folder_is_reported_and_the_rest_is_listed() {
        use std::os::unix::fs::PermissionsExt;
        let temp = fixture();
        let root = temp.path();
        let locked = root.join("sub/deeper");
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
        let readable_anyway = fs::read_dir(&locked).is_ok();
        let scanned = scan(root, root, true, &IgnoreRules::new(&[]).unwrap());
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
        if readable_anyway {
            return; // Running as root: permissions do not stop reading.
        }
        assert_eq!(
            names(root, &scanned),
            ["a.jpg", "b.jpg", "skip.raw/inside.jpg", "sub/c.jpg"]
        );
        assert_eq!(scanned.unreadable.len(), 1);
        assert_eq!(scanned.unreadable[0].0, locked);
    }
}
