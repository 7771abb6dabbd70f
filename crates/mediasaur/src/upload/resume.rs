//! What it takes to resume a tus upload after a crash, and the caller-supplied store that keeps it.
//! The engine saves the state after every acknowledged chunk; the app persists it (SQLite), tests and
//! the CLI keep it in memory.

use std::collections::HashMap;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::error::ClientResult;

/// Identifies a file's content cheaply: size, modification time, and the SHA-256 of its first and last
/// MiB. A file whose fingerprint changed is uploaded afresh, never resumed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub modified_ns: i64,
    /// Lowercase hex SHA-256 of the first MiB followed by the last MiB (overlapping for small files).
    pub edges_sha256: String,
}

/// Where a resumable upload stands, as of its last acknowledged chunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeState {
    /// The local file.
    pub source: PathBuf,
    /// Its fingerprint when the upload started.
    pub fingerprint: Fingerprint,
    /// Destination bucket.
    pub bucket: String,
    /// Destination path.
    pub path: String,
    /// The tus endpoint the upload was created at.
    pub tus_endpoint: String,
    /// The upload's URL (tus `Location`, made absolute).
    pub upload_url: String,
    /// Bytes the server acknowledged.
    pub offset: u64,
}

/// The key a resume state is stored under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResumeKey {
    /// The local file.
    pub source: PathBuf,
    /// Destination bucket.
    pub bucket: String,
    /// Destination path.
    pub path: String,
    /// The tus endpoint (so two servers never share a state).
    pub tus_endpoint: String,
}

impl ResumeState {
    /// The key this state is stored under.
    pub fn key(&self) -> ResumeKey {
        ResumeKey {
            source: self.source.clone(),
            bucket: self.bucket.clone(),
            path: self.path.clone(),
            tus_endpoint: self.tus_endpoint.clone(),
        }
    }
}

/// Keeps resume states. Implementations must be cheap to call after every chunk.
pub trait ResumeStore: Send + Sync + Debug {
    /// The state saved for `key`, if any.
    fn load<'a>(&'a self, key: &'a ResumeKey) -> BoxFuture<'a, ClientResult<Option<ResumeState>>>;
    /// Saves `state`, replacing the one under the same key.
    fn save<'a>(&'a self, state: &'a ResumeState) -> BoxFuture<'a, ClientResult<()>>;
    /// Forgets `key` (the upload finished, failed for good or was cancelled).
    fn remove<'a>(&'a self, key: &'a ResumeKey) -> BoxFuture<'a, ClientResult<()>>;
}

/// A store in memory: resumes across pauses and failures, not across restarts of the process.
#[derive(Debug, Default)]
pub struct MemoryResumeStore {
    states: Mutex<HashMap<ResumeKey, ResumeState>>,
}

impl MemoryResumeStore {
    /// Every state held, for tests.
    pub fn all(&self) -> Vec<ResumeState> {
        self.states
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    /// The state for `source`, if exactly one destination has one.
    pub fn for_source(&self, source: &Path) -> Option<ResumeState> {
        let states = self.all();
        let mut matching = states.into_iter().filter(|s| s.source == source);
        let first = matching.next()?;
        matching.next().is_none().then_some(first)
    }
}

impl ResumeStore for MemoryResumeStore {
    fn load<'a>(&'a self, key: &'a ResumeKey) -> BoxFuture<'a, ClientResult<Option<ResumeState>>> {
        let state = self
            .states
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned();
        Box::pin(async move { Ok(state) })
    }

    fn save<'a>(&'a self, state: &'a ResumeState) -> BoxFuture<'a, ClientResult<()>> {
        self.states
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(state.key(), state.clone());
        Box::pin(async { Ok(()) })
    }

    fn remove<'a>(&'a self, key: &'a ResumeKey) -> BoxFuture<'a, ClientResult<()>> {
        self.states
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
        Box::pin(async { Ok(()) })
    }
}
