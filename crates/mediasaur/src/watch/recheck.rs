//! When to look again at an ignored file that is listed as waiting. Its disappearance usually comes
//! with an event, but not always: a temporary file renamed into place within the debounce period is
//! reported only under its final name. So each listed ignored file is looked at again after a
//! window, then at doubling intervals up to a cap, until it is gone.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The next look at each listed ignored file.
#[derive(Debug)]
pub(crate) struct Rechecks {
    first: Duration,
    cap: Duration,
    entries: HashMap<PathBuf, (Instant, Duration)>,
    order: BTreeSet<(Instant, PathBuf)>,
}

impl Rechecks {
    pub fn new(first: Duration, cap: Duration) -> Self {
        Self {
            first,
            cap: cap.max(first),
            entries: HashMap::new(),
            order: BTreeSet::new(),
        }
    }

    /// `path` is listed from `now`; a path already scheduled keeps its schedule.
    pub fn add(&mut self, path: &Path, now: Instant) {
        if !self.entries.contains_key(path) {
            self.schedule(path, now + self.first, self.first);
        }
    }

    /// `path` was still there at its look: the next one waits twice as long, up to the cap.
    pub fn still_there(&mut self, path: &Path, now: Instant) {
        if let Some(interval) = self.remove(path) {
            let interval = (interval * 2).min(self.cap);
            self.schedule(path, now + interval, interval);
        }
    }

    /// Stops looking at `path`; its interval, if it was scheduled.
    pub fn remove(&mut self, path: &Path) -> Option<Duration> {
        let (deadline, interval) = self.entries.remove(path)?;
        self.order.remove(&(deadline, path.to_path_buf()));
        Some(interval)
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.order.first().map(|(deadline, _)| *deadline)
    }

    /// The paths due at `now`.
    pub fn due(&self, now: Instant) -> Vec<PathBuf> {
        self.order
            .iter()
            .take_while(|(deadline, _)| *deadline <= now)
            .map(|(_, path)| path.clone())
            .collect()
    }

    fn schedule(&mut self, path: &Path, deadline: Instant, interval: Duration) {
        self.entries
            .insert(path.to_path_buf(), (deadline, interval));
        self.order.insert((deadline, path.to_path_buf()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_come_at_doubling_intervals_up_to_the_cap_until_removed() {
        let t0 = Instant::now();
        let second = Duration::from_secs(1);
        let mut rechecks = Rechecks::new(second, 3 * second);
        let path = Path::new("/w/a.part");
        rechecks.add(path, t0);
        rechecks.add(path, t0 + second / 2);
        assert_eq!(rechecks.next_deadline(), Some(t0 + second));
        assert!(rechecks.due(t0).is_empty());
        let mut now = t0 + second;
        let mut intervals = Vec::new();
        for _ in 0..3 {
            assert_eq!(rechecks.due(now), [path.to_path_buf()]);
            rechecks.still_there(path, now);
            let next = rechecks.next_deadline().unwrap();
            intervals.push(next - now);
            now = next;
        }
        assert_eq!(intervals, [2 * second, 3 * second, 3 * second]);
        assert_eq!(rechecks.remove(path), Some(3 * second));
        assert_eq!(rechecks.next_deadline(), None);
        // A path no longer listed is not brought back by a late look.
        rechecks.still_there(path, now);
        assert_eq!(rechecks.next_deadline(), None);
    }
}
