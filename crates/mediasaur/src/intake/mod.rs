//! From paths a person named (command line, drop, picker, clipboard) to queue rows: walks them,
//! gives each file its destination under a target bucket and prefix, and refuses, file by file,
//! what cannot be uploaded, before anything is queued.

mod walk;

use std::collections::HashSet;
use std::path::PathBuf;

use mediasaur_api::{BucketName, ErrorCode};
use serde::Serialize;

pub use walk::{collect, join_prefix, LocalFile, WalkFailure, Walked};

use crate::error::{ClientError, ClientResult};
use crate::profile::Profile;
use crate::store::queue::NewTransfer;
use crate::store::watches::normalized_prefix;
use crate::{Destination, Strategy};

/// Where named files go: a profile, a bucket and a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeTarget {
    /// The profile the files are uploaded with.
    pub profile: String,
    /// The bucket.
    pub bucket: BucketName,
    /// Put before every relative path; empty, or a valid object path.
    pub prefix: String,
}

impl IntakeTarget {
    /// The target for `profile`, with `bucket` and `prefix` overriding the profile's defaults.
    /// No bucket at all is `bucket_required`; a bad bucket or prefix is its own coded error.
    pub fn for_profile(
        profile: &Profile,
        bucket: Option<&str>,
        prefix: Option<&str>,
    ) -> ClientResult<Self> {
        let bucket = match (bucket.filter(|b| !b.is_empty()), &profile.bucket) {
            (Some(bucket), _) => BucketName::parse(bucket)?,
            (None, Some(bucket)) => bucket.clone(),
            (None, None) => {
                return Err(ClientError::invalid(
                    ErrorCode::BucketRequired,
                    format!(
                        "no bucket: name one, or give profile {:?} a default bucket",
                        profile.name
                    ),
                ))
            }
        };
        let prefix = match prefix {
            Some(prefix) => normalized_prefix(prefix)?,
            None => profile.prefix.clone(),
        };
        Ok(Self {
            profile: profile.name.clone(),
            bucket,
            prefix,
        })
    }
}

/// A file or folder that will not be queued, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IntakeFailure {
    /// The local file or folder.
    pub source: PathBuf,
    /// `bucket/path`, when it got that far.
    pub destination: Option<String>,
    /// Stable code.
    pub code: String,
    /// For people.
    pub message: String,
}

/// What [`plan_uploads`] made of the named paths.
#[derive(Debug, Default)]
pub struct Intake {
    /// Rows to enqueue, in the order named.
    pub transfers: Vec<NewTransfer>,
    /// What cannot be uploaded.
    pub failures: Vec<IntakeFailure>,
    /// What was skipped on purpose (sockets, broken links, symlink loops).
    pub warnings: Vec<String>,
}

/// Walks `paths` (blocking: call it off the async runtime) and plans one transfer per file to
/// `target`, tagged with `batch`. A path the API refuses, or one that another file of the same
/// call already goes to, fails alone.
pub fn plan_uploads(
    paths: &[PathBuf],
    target: &IntakeTarget,
    strategy: Strategy,
    batch: Option<&str>,
) -> Intake {
    let walked = collect(paths);
    let mut intake = Intake {
        warnings: walked.warnings,
        failures: walked
            .failures
            .into_iter()
            .map(|f| IntakeFailure {
                source: f.source,
                destination: None,
                code: f.code.to_owned(),
                message: f.message,
            })
            .collect(),
        ..Intake::default()
    };
    let mut planner = Planner::default();
    for file in &walked.files {
        match planner.destination(target.bucket.as_str(), &target.prefix, file) {
            Ok(destination) => intake.transfers.push(NewTransfer {
                source: file.source.clone(),
                size: file.size,
                modified_ns: file.modified_ns,
                profile: target.profile.clone(),
                bucket: target.bucket.as_str().to_owned(),
                path: destination.path.as_str().to_owned(),
                strategy,
                watch_id: None,
                batch: batch.map(str::to_owned),
            }),
            Err(failure) => intake.failures.push(failure),
        }
    }
    intake
}

/// Where each file goes, checked before anything is sent.
#[derive(Debug, Default)]
struct Planner {
    taken: HashSet<String>,
}

impl Planner {
    fn destination(
        &mut self,
        bucket: &str,
        prefix: &str,
        file: &LocalFile,
    ) -> Result<Destination, IntakeFailure> {
        let path = join_prefix(prefix, &file.relative);
        let destination = Destination::parse(bucket, &path)
            .map_err(|e| failure(file, bucket, &path, e.code(), e))?;
        // Compared as the server stores it (NFC).
        let path = destination.path.as_str();
        if !self.taken.insert(path.to_owned()) {
            let message = format!("another file of this upload also goes to {bucket}/{path}");
            return Err(failure(file, bucket, path, "duplicate_path", message));
        }
        Ok(destination)
    }
}

fn failure(
    file: &LocalFile,
    bucket: &str,
    path: &str,
    code: &str,
    message: impl ToString,
) -> IntakeFailure {
    IntakeFailure {
        source: file.source.clone(),
        destination: Some(format!("{bucket}/{path}")),
        code: code.to_owned(),
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(relative: &str) -> LocalFile {
        LocalFile {
            source: PathBuf::from("/src").join(relative),
            relative: relative.to_owned(),
            size: 1,
            modified_ns: 0,
        }
    }

    #[test]
    fn bad_and_duplicate_destinations_fail_alone() {
        let mut planner = Planner::default();
        let ok = planner
            .destination("default", "up", &file("a/b.jpg"))
            .unwrap();
        assert_eq!(ok.path.as_str(), "up/a/b.jpg");
        let twice = planner
            .destination("default", "up", &file("a/b.jpg"))
            .unwrap_err();
        assert_eq!(twice.code, "duplicate_path");
        assert!(
            twice.message.contains("default/up/a/b.jpg"),
            "{}",
            twice.message
        );
        let bad = planner
            .destination("default", "", &file("back\\slash"))
            .unwrap_err();
        assert_eq!(bad.code, "invalid_path");
        assert_eq!(bad.destination.as_deref(), Some("default/back\\slash"));
        // NFD and NFC spellings are the same object path.
        planner
            .destination("default", "", &file("cafe\u{301}"))
            .unwrap();
        let nfc = planner
            .destination("default", "", &file("caf\u{e9}"))
            .unwrap_err();
        assert_eq!(nfc.code, "duplicate_path");
    }

    #[test]
    fn targets_take_the_profile_defaults_and_refuse_bad_parts() {
        let profile = Profile::new("p", "http://127.0.0.1:1", Some("photos"), "up/2026").unwrap();
        let target = IntakeTarget::for_profile(&profile, None, None).unwrap();
        assert_eq!(
            (target.bucket.as_str(), target.prefix.as_str()),
            ("photos", "up/2026")
        );
        let target = IntakeTarget::for_profile(&profile, Some("other"), Some("/x/")).unwrap();
        assert_eq!(
            (target.bucket.as_str(), target.prefix.as_str()),
            ("other", "x")
        );
        let bare = Profile::new("bare", "http://127.0.0.1:1", None, "").unwrap();
        let error = IntakeTarget::for_profile(&bare, None, None).unwrap_err();
        assert_eq!(error.code(), "bucket_required");
        let error = IntakeTarget::for_profile(&profile, Some("Bad Bucket!"), None).unwrap_err();
        assert_eq!(error.code(), "invalid_bucket");
        let error = IntakeTarget::for_profile(&profile, None, Some("a/../b")).unwrap_err();
        assert_ne!(error.code(), "internal");
    }

    #[test]
    fn plans_rows_for_a_folder_and_fails_missing_paths_alone() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("shots");
        std::fs::create_dir_all(dir.join("a")).unwrap();
        std::fs::write(dir.join("a/one.png"), b"1").unwrap();
        std::fs::write(dir.join("two.png"), b"22").unwrap();
        let profile = Profile::new("p", "http://127.0.0.1:1", Some("default"), "").unwrap();
        let target = IntakeTarget::for_profile(&profile, None, Some("in")).unwrap();
        let intake = plan_uploads(
            &[dir, temp.path().join("missing.png")],
            &target,
            Strategy::Auto,
            Some("b1"),
        );
        let paths: Vec<&str> = intake.transfers.iter().map(|t| t.path.as_str()).collect();
        assert_eq!(paths, ["in/shots/a/one.png", "in/shots/two.png"]);
        assert!(intake
            .transfers
            .iter()
            .all(|t| t.batch.as_deref() == Some("b1") && t.profile == "p"));
        assert_eq!(intake.failures.len(), 1);
        assert_eq!(intake.failures[0].code, "unreadable_file");
    }
}
