//! When a file is finished: its size and mtime held still for a whole stability window and it can be
//! opened. Pure bookkeeping over observations and `Instant`s the caller supplies, so every rule is
//! testable without a clock or a file system.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

/// Why a file seen by a watch is not queued (yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum WaitReason {
    /// Just seen; waiting for one stability window without change.
    Settling,
    /// It changed during the last window; the window was lengthened.
    StillGrowing,
    /// It looks finished but cannot be opened for reading (another program holds it, or
    /// permissions).
    CannotOpen {
        /// The system's reason.
        message: String,
    },
    /// A temporary or system file, or one of the watch's ignore patterns: never uploaded.
    Ignored {
        /// The pattern that matched.
        pattern: String,
    },
    /// Finished, and the history holds an upload of the same path, size and mtime: its bytes are
    /// being compared with that upload's.
    Comparing,
    /// Finished, but the watch is paused.
    Paused,
}

impl fmt::Display for WaitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Settling => f.write_str("settling"),
            Self::StillGrowing => f.write_str("still growing"),
            Self::CannotOpen { message } => write!(f, "cannot be opened yet: {message}"),
            Self::Ignored { pattern } => write!(f, "ignored by pattern `{pattern}`"),
            Self::Comparing => f.write_str("comparing with an earlier upload"),
            Self::Paused => f.write_str("the watch is paused"),
        }
    }
}

/// A regular file's size and modification time (ns since the epoch) at one look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileState {
    pub size: u64,
    pub modified_ns: i64,
}

/// What a look at a path found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Look {
    /// Nothing there (deleted, or renamed away).
    Missing,
    /// Something that is not a regular file (a folder, a socket, a link to a folder).
    NotAFile,
    /// A regular file; `unopenable` says why opening it for reading failed, if it did.
    File {
        state: FileState,
        unopenable: Option<String>,
    },
}

/// What to do with a file after a look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Keep waiting, for this reason.
    Waiting(WaitReason),
    /// Finished as it is now: queue it.
    Ready(FileState),
    /// Gone or not a file: forget it.
    Dropped,
}

#[derive(Debug)]
struct Candidate {
    /// The state at the previous deadline (or the first look).
    seen: FileState,
    /// An event said it changed since then, whatever its size and mtime say (coarse mtimes).
    touched: bool,
    window: Duration,
    deadline: Instant,
    reason: WaitReason,
}

/// The files waiting to be finished, each with the deadline of its next look.
#[derive(Debug)]
pub(crate) struct Stability {
    window: Duration,
    max_window: Duration,
    candidates: HashMap<PathBuf, Candidate>,
    /// The same deadlines in order, so the due ones are found without a pass over every file.
    deadlines: BTreeSet<(Instant, PathBuf)>,
}

impl Stability {
    /// `window` is how long a file must hold still; a file seen growing waits twice as long each
    /// time, up to `max_window`.
    pub fn new(window: Duration, max_window: Duration) -> Self {
        Self {
            window,
            max_window: max_window.max(window),
            candidates: HashMap::new(),
            deadlines: BTreeSet::new(),
        }
    }

    /// An event or a scan says `path` appeared or changed, and `look` is what is there now.
    pub fn saw(&mut self, path: &Path, now: Instant, look: Look) -> Verdict {
        let Look::File { state, .. } = look else {
            self.forget(path);
            return Verdict::Dropped;
        };
        if let Some(candidate) = self.candidates.get_mut(path) {
            // The deadline stays: the look at it compares with the state a whole window earlier.
            // The events of one write can arrive in two batches (the close after the write); the
            // second must not lengthen the window, so unchanged numbers are trusted when the mtime
            // is precise. A whole-second mtime (FAT, some network shares) cannot show a rewrite of
            // the same size within that second, so there any event counts as a change.
            if candidate.seen != state || state.modified_ns % 1_000_000_000 == 0 {
                candidate.touched = true;
            }
            return Verdict::Waiting(candidate.reason.clone());
        }
        let deadline = now + self.window;
        self.candidates.insert(
            path.to_path_buf(),
            Candidate {
                seen: state,
                touched: false,
                window: self.window,
                deadline,
                reason: WaitReason::Settling,
            },
        );
        self.deadlines.insert((deadline, path.to_path_buf()));
        Verdict::Waiting(WaitReason::Settling)
    }

    /// The look at `path` when its deadline came.
    pub fn check(&mut self, path: &Path, now: Instant, look: Look) -> Verdict {
        let (state, unopenable) = match look {
            Look::File { state, unopenable } => (state, unopenable),
            Look::Missing | Look::NotAFile => {
                self.forget(path);
                return Verdict::Dropped;
            }
        };
        let Some(candidate) = self.candidates.get_mut(path) else {
            return Verdict::Dropped;
        };
        let reason = if candidate.touched || candidate.seen != state {
            candidate.window = (candidate.window * 2).min(self.max_window);
            candidate.seen = state;
            candidate.touched = false;
            WaitReason::StillGrowing
        } else if let Some(message) = unopenable {
            WaitReason::CannotOpen { message }
        } else {
            self.forget(path);
            return Verdict::Ready(state);
        };
        self.deadlines
            .remove(&(candidate.deadline, path.to_path_buf()));
        candidate.deadline = now + candidate.window;
        candidate.reason = reason.clone();
        self.deadlines
            .insert((candidate.deadline, path.to_path_buf()));
        Verdict::Waiting(reason)
    }

    /// Stops tracking `path`.
    pub fn forget(&mut self, path: &Path) {
        if let Some(candidate) = self.candidates.remove(path) {
            self.deadlines
                .remove(&(candidate.deadline, path.to_path_buf()));
        }
    }

    /// The earliest deadline, to sleep until.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.first().map(|(deadline, _)| *deadline)
    }

    /// The files whose deadline is `now` or earlier, earliest first.
    pub fn due(&self, now: Instant) -> Vec<PathBuf> {
        self.deadlines
            .iter()
            .take_while(|(deadline, _)| *deadline <= now)
            .map(|(_, path)| path.clone())
            .collect()
    }

    /// Whether `path` is waiting.
    #[cfg(test)]
    pub fn contains(&self, path: &Path) -> bool {
        self.candidates.contains_key(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(2);
    const CAP: Duration = Duration::from_secs(10);

    fn file(size: u64, modified_ns: i64) -> Look {
        Look::File {
            state: FileState { size, modified_ns },
            unopenable: None,
        }
    }

    fn at(start: Instant, millis: u64) -> Instant {
        start + Duration::from_millis(millis)
    }

    #[test]
    fn a_file_that_holds_still_for_one_window_is_ready_at_its_deadline() {
        let t0 = Instant::now();
        let mut stability = Stability::new(WINDOW, CAP);
        let path = Path::new("/w/a.jpg");
        assert_eq!(
            stability.saw(path, t0, file(10, 1)),
            Verdict::Waiting(WaitReason::Settling)
        );
        assert_eq!(stability.next_deadline(), Some(at(t0, 2000)));
        assert!(stability.due(at(t0, 1999)).is_empty());
        assert_eq!(stability.due(at(t0, 2000)), [path.to_path_buf()]);
        assert_eq!(
            stability.check(path, at(t0, 2000), file(10, 1)),
            Verdict::Ready(FileState {
                size: 10,
                modified_ns: 1
            })
        );
        assert!(!stability.contains(path));
        assert_eq!(stability.next_deadline(), None);
    }

    #[test]
    fn growth_doubles_the_window_up_to_the_cap() {
        let t0 = Instant::now();
        let mut stability = Stability::new(WINDOW, CAP);
        let path = Path::new("/w/movie.mp4");
        stability.saw(path, t0, file(1, 1));
        let mut now = at(t0, 2000);
        let mut expected_windows = vec![];
        for size in 2..=5 {
            assert_eq!(
                stability.check(path, now, file(size, size as i64)),
                Verdict::Waiting(WaitReason::StillGrowing)
            );
            let next = stability.next_deadline().unwrap();
            expected_windows.push(next - now);
            now = next;
        }
        assert_eq!(
            expected_windows,
            [4, 8, 10, 10].map(Duration::from_secs),
            "the window doubles each time growth is seen, and stops at the cap"
        );
        assert!(matches!(
            stability.check(path, now, file(5, 5)),
            Verdict::Ready(_)
        ));
    }

    #[test]
    fn an_event_with_unchanged_numbers_counts_only_when_the_mtime_is_coarse() {
        const PRECISE: i64 = 1_700_000_000_123_456_789;
        const WHOLE_SECOND: i64 = 1_700_000_000_000_000_000;
        let t0 = Instant::now();
        let mut stability = Stability::new(WINDOW, CAP);
        // A nanosecond mtime that did not move: the late event of the same write, not growth.
        let precise = Path::new("/w/a.txt");
        stability.saw(precise, t0, file(3, PRECISE));
        stability.saw(precise, at(t0, 500), file(3, PRECISE));
        assert!(matches!(
            stability.check(precise, at(t0, 2000), file(3, PRECISE)),
            Verdict::Ready(_)
        ));
        // A whole-second mtime cannot show a same-size rewrite: the event is not trusted away.
        let coarse = Path::new("/w/b.txt");
        stability.saw(coarse, t0, file(3, WHOLE_SECOND));
        // The event does not move the deadline…
        stability.saw(coarse, at(t0, 500), file(3, WHOLE_SECOND));
        assert_eq!(stability.next_deadline(), Some(at(t0, 2000)));
        // …but the look at it does not trust the unchanged numbers.
        assert_eq!(
            stability.check(coarse, at(t0, 2000), file(3, WHOLE_SECOND)),
            Verdict::Waiting(WaitReason::StillGrowing)
        );
        assert!(matches!(
            stability.check(coarse, at(t0, 6000), file(3, WHOLE_SECOND)),
            Verdict::Ready(_)
        ));
    }

    #[test]
    fn a_file_that_cannot_be_opened_waits_without_growing_the_window() {
        let t0 = Instant::now();
        let mut stability = Stability::new(WINDOW, CAP);
        let path = Path::new("/w/locked.docx");
        stability.saw(path, t0, file(3, 7));
        let locked = Look::File {
            state: FileState {
                size: 3,
                modified_ns: 7,
            },
            unopenable: Some("used by another process".into()),
        };
        let verdict = stability.check(path, at(t0, 2000), locked);
        let Verdict::Waiting(reason) = verdict else {
            panic!("{verdict:?}")
        };
        assert_eq!(
            reason.to_string(),
            "cannot be opened yet: used by another process"
        );
        assert_eq!(stability.next_deadline(), Some(at(t0, 4000)));
        assert!(matches!(
            stability.check(path, at(t0, 4000), file(3, 7)),
            Verdict::Ready(_)
        ));
    }

    #[test]
    fn files_that_disappear_or_stop_being_files_are_dropped() {
        let t0 = Instant::now();
        let mut stability = Stability::new(WINDOW, CAP);
        let (a, b, c) = (Path::new("/w/a"), Path::new("/w/b"), Path::new("/w/c"));
        for path in [a, b, c] {
            stability.saw(path, t0, file(1, 1));
        }
        assert_eq!(
            stability.saw(a, at(t0, 10), Look::Missing),
            Verdict::Dropped
        );
        assert_eq!(
            stability.check(b, at(t0, 2000), Look::NotAFile),
            Verdict::Dropped
        );
        assert_eq!(stability.due(at(t0, 5000)), [c.to_path_buf()]);
        // A look at something no longer tracked (a stale deadline) changes nothing.
        assert_eq!(
            stability.check(a, at(t0, 2000), file(1, 1)),
            Verdict::Dropped
        );
        assert_eq!(stability.saw(a, t0, Look::NotAFile), Verdict::Dropped);
    }

    #[test]
    fn deadlines_come_out_in_order() {
        let t0 = Instant::now();
        let mut stability = Stability::new(WINDOW, CAP);
        stability.saw(Path::new("/w/late"), at(t0, 300), file(1, 1));
        stability.saw(Path::new("/w/early"), at(t0, 100), file(1, 1));
        stability.saw(Path::new("/w/middle"), at(t0, 200), file(1, 1));
        assert_eq!(stability.next_deadline(), Some(at(t0, 2100)));
        let due: Vec<PathBuf> = stability.due(at(t0, 2250));
        assert_eq!(due, [PathBuf::from("/w/early"), PathBuf::from("/w/middle")]);
    }

    #[test]
    fn reasons_read_as_sentences() {
        assert_eq!(WaitReason::Settling.to_string(), "settling");
        assert_eq!(WaitReason::StillGrowing.to_string(), "still growing");
        assert_eq!(
            WaitReason::Ignored {
                pattern: "*.part".into()
            }
            .to_string(),
            "ignored by pattern `*.part`"
        );
        let json = serde_json::to_value(WaitReason::Ignored {
            pattern: "*.part".into(),
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "ignored", "pattern": "*.part"})
        );
    }
}
