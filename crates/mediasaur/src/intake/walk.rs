//! Walking the files and directories a person named (on the command line, by a drop or a picker)
//! into a list of local files and their relative paths: a file keeps its name, a directory's files
//! keep their path under the directory's own name, always with `/` separators.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use crate::upload::modified_ns;

/// The path from the root: the queue may run the upload later, from another directory.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A regular file to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    /// Where it is on disk.
    pub source: PathBuf,
    /// Its path relative to what was named, e.g. `photos/a/b.jpg`.
    pub relative: String,
    /// Its size when it was found.
    pub size: u64,
    /// Its mtime then, nanoseconds since the epoch.
    pub modified_ns: i64,
}

/// Something named (or found in a directory) that cannot be uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkFailure {
    /// The file or directory on disk.
    pub source: PathBuf,
    /// A stable code, like the core's (`unreadable_file`, `invalid_path`).
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
}

/// What [`collect`] found.
#[derive(Debug, Default)]
pub struct Walked {
    /// Files to upload, in the order named, each directory's files sorted by name.
    pub files: Vec<LocalFile>,
    /// Things that should have been uploaded but cannot be read.
    pub failures: Vec<WalkFailure>,
    /// Things skipped on purpose (sockets, devices, broken links, symlink loops).
    pub warnings: Vec<String>,
}

/// Collects the regular files under `args`, following symlinks but never into a directory that
/// contains itself.
pub fn collect(args: &[PathBuf]) -> Walked {
    let mut walked = Walked::default();
    for arg in args {
        walked.argument(arg);
    }
    walked
}

/// `prefix/relative`, or `relative` alone when the prefix is empty; slashes around the prefix are
/// dropped.
pub fn join_prefix(prefix: &str, relative: &str) -> String {
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        relative.to_owned()
    } else {
        format!("{prefix}/{relative}")
    }
}

impl Walked {
    fn argument(&mut self, arg: &Path) {
        let metadata = match fs::metadata(arg) {
            Ok(metadata) => metadata,
            Err(error) => return self.unreadable(arg, &error),
        };
        if metadata.is_file() {
            match arg.file_name().map(name_of) {
                Some(Ok(name)) => self.files.push(LocalFile {
                    source: absolute(arg),
                    relative: name,
                    size: metadata.len(),
                    modified_ns: modified_ns(&metadata),
                }),
                Some(Err(failure)) => self.failures.push(failure_at(arg, failure)),
                None => self.unreadable(arg, &std::io::Error::other("it has no file name")),
            }
        } else if metadata.is_dir() {
            let mut segments = Vec::new();
            match directory_name(arg) {
                Some(Ok(name)) => segments.push(name),
                Some(Err(failure)) => return self.failures.push(failure_at(arg, failure)),
                // The root directory: its files go to the top level.
                None => {}
            }
            self.directory(arg, &mut segments, &mut Vec::new());
        } else {
            self.skip_special(arg);
        }
    }

    /// Walks `dir`, whose files go under `segments`; `ancestors` are the canonical paths of the
    /// directories being walked, to stop symlink loops.
    fn directory(&mut self, dir: &Path, segments: &mut Vec<String>, ancestors: &mut Vec<PathBuf>) {
        let canonical = match fs::canonicalize(dir) {
            Ok(canonical) => canonical,
            Err(error) => return self.unreadable(dir, &error),
        };
        if ancestors.contains(&canonical) {
            self.warnings.push(format!(
                "skipping {}: it is a link back to a directory it is in",
                dir.display()
            ));
            return;
        }
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) => return self.unreadable(dir, &error),
        };
        let mut children = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => children.push((entry.file_name(), entry.path())),
                Err(error) => self.unreadable(dir, &error),
            }
        }
        children.sort();
        ancestors.push(canonical);
        for (name, path) in children {
            self.child(&name, &path, segments, ancestors);
        }
        ancestors.pop();
    }

    fn child(
        &mut self,
        name: &OsString,
        path: &Path,
        segments: &mut Vec<String>,
        ancestors: &mut Vec<PathBuf>,
    ) {
        // `metadata` follows symlinks: a link to a file uploads the file under the link's name.
        let metadata = match fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(_) if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) => {
                self.warnings.push(format!(
                    "skipping {}: a symbolic link to nothing",
                    path.display()
                ));
                return;
            }
            Err(error) => return self.unreadable(path, &error),
        };
        if !(metadata.is_file() || metadata.is_dir()) {
            return self.skip_special(path);
        }
        let name = match name_of(name) {
            Ok(name) => name,
            Err(failure) => return self.failures.push(failure_at(path, failure)),
        };
        segments.push(name);
        if metadata.is_file() {
            self.files.push(LocalFile {
                source: absolute(path),
                relative: segments.join("/"),
                size: metadata.len(),
                modified_ns: modified_ns(&metadata),
            });
        } else {
            self.directory(path, segments, ancestors);
        }
        segments.pop();
    }

    fn unreadable(&mut self, path: &Path, error: &std::io::Error) {
        self.failures.push(WalkFailure {
            source: path.to_path_buf(),
            code: "unreadable_file",
            message: format!("cannot read {}: {error}", path.display()),
        });
    }

    fn skip_special(&mut self, path: &Path) {
        self.warnings.push(format!(
            "skipping {}: not a regular file or directory",
            path.display()
        ));
    }
}

/// The name a directory argument keeps: its last component, or for `.` and `..` the name of the
/// directory they stand for; `None` for the root.
fn directory_name(dir: &Path) -> Option<Result<String, String>> {
    if let Some(name) = dir.file_name() {
        return Some(name_of(name));
    }
    let canonical = fs::canonicalize(dir).ok()?;
    canonical.file_name().map(name_of)
}

fn name_of(name: &std::ffi::OsStr) -> Result<String, String> {
    name.to_str()
        .map(str::to_owned)
        .ok_or_else(|| "its name is not valid UTF-8, which object paths must be".to_owned())
}

fn failure_at(path: &Path, message: String) -> WalkFailure {
    WalkFailure {
        source: path.to_path_buf(),
        code: "invalid_path",
        message: format!("{}: {message}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, b"x").unwrap();
    }

    fn relatives(walked: &Walked) -> Vec<&str> {
        walked.files.iter().map(|f| f.relative.as_str()).collect()
    }

    #[test]
    fn directories_keep_their_name_and_files_their_own() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        touch(&root.join("photos/a/b.jpg"));
        touch(&root.join("photos/c.txt"));
        touch(&root.join("photos/a/aa/deep.png"));
        touch(&root.join("elsewhere/top.txt"));
        fs::create_dir_all(root.join("photos/empty")).unwrap();
        let walked = collect(&[
            root.join("photos/"),
            root.join("elsewhere/top.txt"),
            root.join("photos/a/.."),
        ]);
        assert_eq!(
            relatives(&walked),
            [
                "photos/a/aa/deep.png",
                "photos/a/b.jpg",
                "photos/c.txt",
                "top.txt",
                "photos/a/aa/deep.png",
                "photos/a/b.jpg",
                "photos/c.txt",
            ]
        );
        assert_eq!(walked.files[1].source, root.join("photos/a/b.jpg"));
        assert!(walked.failures.is_empty(), "{:?}", walked.failures);
        assert!(walked.warnings.is_empty(), "{:?}", walked.warnings);
    }

    #[test]
    fn missing_arguments_are_failures_not_crashes() {
        let temp = tempfile::tempdir().unwrap();
        touch(&temp.path().join("ok.txt"));
        let missing = temp.path().join("nope.txt");
        let walked = collect(&[missing.clone(), temp.path().join("ok.txt")]);
        assert_eq!(relatives(&walked), ["ok.txt"]);
        assert_eq!(walked.failures.len(), 1);
        assert_eq!(walked.failures[0].source, missing);
        assert_eq!(walked.failures[0].code, "unreadable_file");
        assert!(walked.failures[0].message.contains("nope.txt"));
    }

    #[test]
    fn prefixes_join_with_one_slash() {
        assert_eq!(join_prefix("", "a/b.jpg"), "a/b.jpg");
        assert_eq!(join_prefix("up/2026/", "a/b.jpg"), "up/2026/a/b.jpg");
        assert_eq!(join_prefix("/up", "b.jpg"), "up/b.jpg");
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_followed_but_loops_and_specials_are_skipped() {
        use std::os::unix::fs::symlink;
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("d");
        touch(&dir.join("real.txt"));
        touch(&temp.path().join("outside/o.txt"));
        symlink(dir.join("real.txt"), dir.join("link.txt")).unwrap();
        fs::create_dir_all(dir.join("sub")).unwrap();
        symlink(&dir, dir.join("sub/loop")).unwrap();
        symlink(temp.path().join("outside"), dir.join("out")).unwrap();
        symlink(temp.path().join("gone"), dir.join("broken")).unwrap();
        let _socket = std::os::unix::net::UnixListener::bind(dir.join("sock")).unwrap();
        let walked = collect(&[dir]);
        assert_eq!(
            relatives(&walked),
            ["d/link.txt", "d/out/o.txt", "d/real.txt"]
        );
        assert!(walked.failures.is_empty(), "{:?}", walked.failures);
        let warnings = walked.warnings.join("\n");
        assert_eq!(walked.warnings.len(), 3, "{warnings}");
        assert!(warnings.contains("loop: it is a link back"), "{warnings}");
        assert!(
            warnings.contains("broken: a symbolic link to nothing"),
            "{warnings}"
        );
        assert!(warnings.contains("sock: not a regular file"), "{warnings}");
    }

    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8_fail_alone() {
        use std::os::unix::ffi::OsStrExt;
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("d");
        touch(&dir.join("fine.txt"));
        let bad = dir.join(std::ffi::OsStr::from_bytes(b"bad\xff.txt"));
        if fs::write(&bad, b"x").is_err() {
            return; // A file system that refuses such names cannot have this problem.
        }
        let walked = collect(&[dir]);
        assert_eq!(relatives(&walked), ["d/fine.txt"]);
        assert_eq!(walked.failures.len(), 1);
        assert_eq!(walked.failures[0].code, "invalid_path");
    }
}
