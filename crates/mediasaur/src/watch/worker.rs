//! The task behind one watch: turns file system events and scans into looks at files, wakes at the
//! earliest stability deadline (never on a coarse tick), and queues finished files in batches.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use notify::event::{AccessKind, AccessMode, EventKind};
use notify_debouncer_full::DebounceEventResult;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::ignore::IgnoreRules;
use super::recheck::Rechecks;
use super::report::Reporter;
use super::scan::{is_real_folder, look_at, scan};
use super::stability::{FileState, Look, Stability, Verdict, WaitReason};
use super::{describe_notify, relative_path, remote_path, SkipReason, WatchOptions};
use crate::error::ClientError;
use crate::store::queue::{Enqueued, NewTransfer};
use crate::store::watches::Watch;
use crate::store::Database;
use crate::upload::sha256_of_file;
use crate::Strategy;

/// Files looked up in the history and queued together: small enough that the first of a burst is
/// queued without waiting for the whole burst's lookups.
const QUEUE_BATCH: usize = 256;
/// Files hashed at once to compare with the history; more would only make the disk seek.
const PARALLEL_COMPARISONS: usize = 2;

/// A finished file and where it goes.
#[derive(Debug)]
struct Finished {
    path: PathBuf,
    state: FileState,
    remote: String,
}

/// The outcome of hashing a file to compare it with the SHA-256 the history recorded.
type Comparison = (Finished, String, std::io::Result<String>);

/// One watch's state, owned by its task.
pub(super) struct Worker {
    db: Database,
    watch: Watch,
    rules: Arc<IgnoreRules>,
    stability: Stability,
    /// Ignored files listed as waiting, looked at again until they are gone.
    rechecks: Rechecks,
    reporter: Reporter,
    paused: tokio::sync::watch::Receiver<bool>,
    /// Files this watch queued or found uploaded already, as they were then: an event that changes
    /// neither size nor mtime does not queue them again.
    settled: HashMap<PathBuf, FileState>,
    /// Files that finished while the watch was paused.
    held: HashMap<PathBuf, FileState>,
    to_compare: VecDeque<(Finished, String)>,
    comparing: JoinSet<Comparison>,
}

impl Worker {
    pub fn new(
        db: Database,
        watch: Watch,
        rules: IgnoreRules,
        options: WatchOptions,
        reporter: Reporter,
        paused: tokio::sync::watch::Receiver<bool>,
    ) -> Self {
        Self {
            db,
            watch,
            rules: Arc::new(rules),
            stability: Stability::new(options.stability_window, options.max_stability_window),
            rechecks: Rechecks::new(options.stability_window, options.max_stability_window),
            reporter,
            paused,
            settled: HashMap::new(),
            held: HashMap::new(),
            to_compare: VecDeque::new(),
            comparing: JoinSet::new(),
        }
    }

    /// Scans the folder, then follows events until `cancel` fires; `watcher` delivers the events
    /// and stops when this returns.
    pub async fn run<W: Send>(
        mut self,
        mut raw: UnboundedReceiver<DebounceEventResult>,
        watcher: W,
        cancel: CancellationToken,
    ) {
        let _watcher = watcher;
        tokio::select! {
            biased;
            () = cancel.cancelled() => return,
            () = self.rescan() => {}
        }
        loop {
            let deadline = [
                self.stability.next_deadline(),
                self.rechecks.next_deadline(),
            ]
            .into_iter()
            .flatten()
            .min();
            let wake = tokio::time::Instant::from_std(deadline.unwrap_or_else(Instant::now));
            tokio::select! {
                biased;
                () = cancel.cancelled() => break,
                Ok(()) = self.paused.changed() => self.on_pause_changed(),
                // Before new events: a file whose window ended is queued first, even in a flood.
                () = tokio::time::sleep_until(wake), if deadline.is_some() => self.on_due().await,
                batch = raw.recv() => match batch {
                    Some(batch) => self.on_events(batch).await,
                    None => break,
                },
                Some(Ok(compared)) = self.comparing.join_next() => self.on_compared(compared).await,
            }
        }
    }

    async fn rescan(&mut self) {
        let (folder, recursive, rules) = (
            self.watch.folder.clone(),
            self.watch.recursive,
            self.rules.clone(),
        );
        let found = tokio::task::spawn_blocking(move || {
            let scanned = scan(&folder, &folder, recursive, &rules);
            let looked: Vec<_> = scanned.files.into_iter().map(look_at).collect();
            (looked, scanned.unreadable)
        })
        .await;
        if let Ok((looked, unreadable)) = found {
            self.take_looks(looked, unreadable);
        }
    }

    /// Reports the folders a look could not read and hands every file looked at to the stability
    /// tracker.
    fn take_looks(
        &mut self,
        looked: Vec<(PathBuf, Look)>,
        unreadable: Vec<(PathBuf, std::io::Error)>,
    ) {
        for (dir, error) in unreadable {
            self.reporter
                .error(Some(&dir), &ClientError::reading(&dir, error));
        }
        let now = Instant::now();
        for (path, look) in looked {
            self.saw(path, look, now);
        }
    }

    async fn on_events(&mut self, batch: DebounceEventResult) {
        let events = match batch {
            Ok(events) => events,
            Err(errors) => {
                for error in errors {
                    let failure = ClientError::WatchFailed {
                        folder: self.watch.folder.clone(),
                        message: describe_notify(&error),
                    };
                    self.reporter
                        .error(error.paths.first().map(PathBuf::as_path), &failure);
                }
                return;
            }
        };
        let mut rescan = false;
        let mut seen = HashSet::new();
        let mut paths = Vec::new();
        for event in &events {
            rescan |= event.need_rescan();
            if !is_change(&event.kind) {
                continue;
            }
            for path in &event.paths {
                if seen.insert(path.as_path()) && self.is_watched(path) {
                    paths.push(path.clone());
                }
            }
        }
        if seen.contains(self.watch.folder.as_path()) && !self.watch.folder.is_dir() {
            let gone = ClientError::WatchFailed {
                folder: self.watch.folder.clone(),
                message: "the folder was removed or moved away".into(),
            };
            self.reporter.error(None, &gone);
        }
        if rescan {
            self.rescan().await;
        }
        let (folder, recursive, rules) = (
            self.watch.folder.clone(),
            self.watch.recursive,
            self.rules.clone(),
        );
        let found = tokio::task::spawn_blocking(move || {
            let mut looked = Vec::with_capacity(paths.len());
            let mut unreadable = Vec::new();
            for path in paths {
                // A folder moved in brings files no event will mention.
                if recursive && is_real_folder(&path) {
                    let scanned = scan(&folder, &path, true, &rules);
                    looked.extend(scanned.files.into_iter().map(look_at));
                    unreadable.extend(scanned.unreadable);
                } else {
                    looked.push(look_at(path));
                }
            }
            (looked, unreadable)
        })
        .await;
        if let Ok((looked, unreadable)) = found {
            self.take_looks(looked, unreadable);
        }
    }

    /// Whether events about `path` concern this watch at all: inside the folder (directly, unless
    /// recursive) and not in an ignored folder such as `.uploaded/`.
    fn is_watched(&self, path: &Path) -> bool {
        match relative_path(&self.watch.folder, path) {
            Ok(relative) => {
                (self.watch.recursive || !relative.contains('/'))
                    && !self
                        .rules
                        .matched(&relative)
                        .is_some_and(|found| found.in_ignored_folder)
            }
            // Looked at, so that a file that cannot be uploaded is reported.
            Err(_) => path.starts_with(&self.watch.folder) && path != self.watch.folder,
        }
    }

    /// An event or a scan found `look` at `path`.
    fn saw(&mut self, path: PathBuf, look: Look, now: Instant) {
        let is_file = matches!(look, Look::File { .. });
        let relative = match relative_path(&self.watch.folder, &path) {
            Ok(relative) => relative,
            Err(reason) => {
                if is_file {
                    let refused = ClientError::invalid(
                        mediasaur_api::ErrorCode::InvalidPath,
                        format!("{} cannot be uploaded: {reason}", path.display()),
                    );
                    self.reporter.error(Some(&path), &refused);
                }
                return;
            }
        };
        if let Some(found) = self.rules.matched(&relative) {
            match (found.in_ignored_folder, is_file) {
                (true, _) => {}
                (false, true) => {
                    self.reporter.ignored(&path, found.pattern);
                    self.rechecks.add(&path, now);
                }
                (false, false) => {
                    self.reporter.clear(&path);
                    self.rechecks.remove(&path);
                }
            }
            return;
        }
        match &look {
            Look::File { state, .. } if self.settled.get(&path) == Some(state) => return,
            Look::File { .. } => {}
            Look::Missing | Look::NotAFile => {
                self.settled.remove(&path);
                self.held.remove(&path);
            }
        }
        match self.stability.saw(&path, now, look) {
            Verdict::Waiting(reason) => self.reporter.waiting(&path, reason),
            Verdict::Dropped | Verdict::Ready(_) => self.reporter.clear(&path),
        }
    }

    async fn on_due(&mut self) {
        let now = Instant::now();
        let due = self.stability.due(now);
        let candidates = due.len();
        let rechecks = self.rechecks.due(now);
        let Ok(mut looked) = tokio::task::spawn_blocking(move || {
            due.into_iter()
                .chain(rechecks)
                .map(look_at)
                .collect::<Vec<_>>()
        })
        .await
        else {
            return;
        };
        for (path, look) in looked.drain(candidates..) {
            if matches!(look, Look::File { .. }) {
                self.rechecks.still_there(&path, now);
            } else {
                self.rechecks.remove(&path);
                self.reporter.clear(&path);
            }
        }
        let mut finished = Vec::new();
        for (path, look) in looked {
            match self.stability.check(&path, now, look) {
                Verdict::Waiting(reason) => self.reporter.waiting(&path, reason),
                Verdict::Dropped => {
                    self.reporter.clear(&path);
                    self.settled.remove(&path);
                }
                Verdict::Ready(state) => finished.push((path, state)),
            }
        }
        for batch in finished.chunks(QUEUE_BATCH) {
            self.finish(batch).await;
        }
    }

    /// Queues finished files, unless the history shows they were uploaded as they are.
    async fn finish(&mut self, files: &[(PathBuf, FileState)]) {
        let mut to_queue = Vec::with_capacity(files.len());
        for (path, state) in files {
            if self.settled.get(path) == Some(state) {
                self.reporter.clear(path);
                continue;
            }
            let remote = match remote_path(&self.watch, path) {
                Ok(remote) => remote,
                Err(error) => {
                    self.reporter.error(Some(path), &error);
                    self.settled.insert(path.clone(), *state);
                    continue;
                }
            };
            let file = Finished {
                path: path.clone(),
                state: *state,
                remote,
            };
            let recorded = self
                .db
                .uploaded_from_source(path, state.size, state.modified_ns)
                .await;
            match recorded {
                Ok(None) => to_queue.push(file),
                Ok(Some(sha256)) => {
                    self.reporter.waiting(path, WaitReason::Comparing);
                    self.to_compare.push_back((file, sha256));
                }
                Err(error) => {
                    self.reporter.error(Some(path), &error);
                    self.retry(file);
                }
            }
        }
        self.start_comparisons();
        self.enqueue(to_queue).await;
    }

    fn start_comparisons(&mut self) {
        while self.comparing.len() < PARALLEL_COMPARISONS {
            let Some((file, recorded)) = self.to_compare.pop_front() else {
                break;
            };
            self.comparing.spawn_blocking(move || {
                let hashed = sha256_of_file(&file.path);
                (file, recorded, hashed)
            });
        }
    }

    async fn on_compared(&mut self, (file, recorded, hashed): Comparison) {
        match hashed {
            Ok(sha256) if sha256.eq_ignore_ascii_case(&recorded) => {
                self.settled.insert(file.path.clone(), file.state);
                let reason = SkipReason::AlreadyUploaded { sha256 };
                self.reporter.skipped(&file.path, reason, true);
            }
            Ok(_) => self.enqueue(vec![file]).await,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                self.reporter.clear(&file.path);
            }
            Err(error) => {
                let unreadable = ClientError::reading(&file.path, error);
                self.reporter.error(Some(&file.path), &unreadable);
            }
        }
        self.start_comparisons();
    }

    /// Adds `files` to the transfer queue in one transaction, or holds them while paused.
    async fn enqueue(&mut self, files: Vec<Finished>) {
        if files.is_empty() {
            return;
        }
        if *self.paused.borrow() {
            for file in files {
                self.reporter.waiting(&file.path, WaitReason::Paused);
                self.held.insert(file.path, file.state);
            }
            return;
        }
        let items: Vec<NewTransfer> = files.iter().map(|file| self.transfer(file)).collect();
        match self.db.enqueue(&items).await {
            Ok(results) => {
                for (file, result) in files.into_iter().zip(results) {
                    match result {
                        Enqueued::New(id) => self.reporter.queued(&file.path, id),
                        Enqueued::AlreadyQueued(transfer) => {
                            let reason = SkipReason::AlreadyQueued { transfer };
                            self.reporter.skipped(&file.path, reason, true);
                        }
                    }
                    self.settled.insert(file.path, file.state);
                }
            }
            Err(error) => {
                self.reporter.error(None, &error);
                for file in files {
                    self.retry(file);
                }
            }
        }
    }

    fn transfer(&self, file: &Finished) -> NewTransfer {
        NewTransfer {
            source: file.path.clone(),
            size: file.state.size,
            modified_ns: file.state.modified_ns,
            profile: self.watch.profile.clone(),
            bucket: self.watch.bucket.clone(),
            path: file.remote.clone(),
            strategy: Strategy::Auto,
            watch_id: Some(self.watch.id),
            batch: None,
        }
    }

    /// Tracks a file again from now, when queueing it failed for a reason that may pass.
    fn retry(&mut self, file: Finished) {
        self.retrack(&file.path, file.state, Instant::now());
    }

    fn retrack(&mut self, path: &Path, state: FileState, now: Instant) {
        let look = Look::File {
            state,
            unopenable: None,
        };
        if let Verdict::Waiting(reason) = self.stability.saw(path, now, look) {
            self.reporter.waiting(path, reason);
        }
    }

    fn on_pause_changed(&mut self) {
        if *self.paused.borrow_and_update() {
            return;
        }
        // They may have changed while paused: each gets one more window and a fresh look.
        let now = Instant::now();
        for (path, state) in std::mem::take(&mut self.held) {
            self.retrack(&path, state, now);
        }
    }
}

/// Events that may mean a file changed; opening and reading (ours included) do not.
fn is_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}
