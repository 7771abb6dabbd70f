//! Progress bars on stderr, driven by the core's `UploadEvent`s: one bar per upload while it holds
//! a slot (with its state, speed and time left), and a total bar at the bottom. Finished uploads'
//! bars disappear; failed ones stay, marked failed. When stderr is not a terminal it only notes
//! retries, one line each; with `--json` it says nothing.

use std::collections::HashMap;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use mediasaur::upload::{UploadEvent, UploadId, UploadState};

use crate::args::human_bytes;

/// Widest file label on a bar; longer paths keep their end.
const LABEL_WIDTH: usize = 24;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// Bars on stderr, a terminal.
    Bars,
    /// A line on stderr per retry, for logs.
    Log,
    /// Nothing.
    Quiet,
}

/// The bars of one `upload` command.
#[derive(Debug)]
pub struct ProgressUi {
    mode: ProgressMode,
    multi: MultiProgress,
    total: ProgressBar,
    uploads: HashMap<UploadId, Tracked>,
    finished: usize,
    failed: usize,
}

#[derive(Debug)]
struct Tracked {
    label: String,
    size: u64,
    sent: u64,
    bar: Option<ProgressBar>,
}

impl ProgressUi {
    /// Progress shown as `mode` says.
    pub fn new(mode: ProgressMode) -> Self {
        let target = if mode == ProgressMode::Bars {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let multi = MultiProgress::with_draw_target(target);
        let total = multi.add(ProgressBar::new(0).with_style(style(
            "{prefix:24} {bar:16.green} {bytes:>9} {percent:>3}% \
             {binary_bytes_per_sec:>11}, {eta} left",
        )));
        Self {
            mode,
            multi,
            total,
            uploads: HashMap::new(),
            finished: 0,
            failed: 0,
        }
    }

    /// Tracks an upload that was started (it is queued until it gets a slot).
    pub fn add(&mut self, id: UploadId, label: &str, size: u64) {
        self.uploads.insert(
            id,
            Tracked {
                label: label.to_owned(),
                size,
                sent: 0,
                bar: None,
            },
        );
        self.total.inc_length(size);
        self.update_total();
    }

    /// Tracks an upload unless it already is (the queue reports transfers as it finds them).
    pub fn track(&mut self, id: UploadId, label: &str, size: u64) {
        if !self.uploads.contains_key(&id) {
            self.add(id, label, size);
        }
    }

    /// Applies one event of the core.
    pub fn event(&mut self, event: UploadEvent) {
        match event {
            UploadEvent::State { upload, state } => self.state(upload, state),
            UploadEvent::Progress {
                upload,
                sent,
                total,
                bytes_per_second,
                eta_seconds,
            } => {
                let Some(tracked) = self.uploads.get_mut(&upload) else {
                    return;
                };
                self.total
                    .set_position((self.total.position() + sent).saturating_sub(tracked.sent));
                tracked.sent = sent;
                let bar = tracked.bar(&self.multi, &self.total);
                bar.set_length(total);
                bar.set_position(sent);
                bar.set_message(speed_message(bytes_per_second, eta_seconds));
            }
        }
    }

    fn state(&mut self, id: UploadId, state: UploadState) {
        let Some(tracked) = self.uploads.get_mut(&id) else {
            return;
        };
        match state {
            // Queued uploads get no bar: with thousands of files only the running ones show.
            UploadState::Queued if tracked.bar.is_none() => {}
            UploadState::Queued => tracked.message(&self.multi, &self.total, "queued".into()),
            UploadState::Uploading => {
                tracked.message(&self.multi, &self.total, "starting".into());
            }
            UploadState::Paused => tracked.message(&self.multi, &self.total, "paused".into()),
            UploadState::Restarting { reason } => {
                if self.mode == ProgressMode::Log {
                    eprintln!("{}: starting over: {reason}", tracked.label);
                }
                tracked.message(&self.multi, &self.total, "starting over".into());
            }
            UploadState::Retrying {
                attempt,
                delay_ms,
                code,
                message,
            } => {
                let delay = delay_ms as f64 / 1000.0;
                if self.mode == ProgressMode::Log {
                    eprintln!(
                        "{}: retrying in {delay:.1}s (attempt {attempt}): {message}",
                        tracked.label
                    );
                }
                // Short enough for an 80-column terminal; the summary has the full message.
                let note = format!("retry {attempt} in {delay:.1}s: {code}");
                tracked.message(&self.multi, &self.total, note);
            }
            UploadState::Completed { .. } => {
                self.total.set_position(
                    (self.total.position() + tracked.size).saturating_sub(tracked.sent),
                );
                tracked.sent = tracked.size;
                if let Some(bar) = tracked.bar.take() {
                    bar.finish_and_clear();
                    self.multi.remove(&bar);
                }
                self.finished += 1;
            }
            UploadState::Failed { code, .. } => {
                self.drop_from_total(id);
                self.end_bar(id, format!("failed [{code}]"));
                self.failed += 1;
            }
            UploadState::Cancelled => {
                self.drop_from_total(id);
                self.end_bar(id, "cancelled".into());
                self.failed += 1;
            }
        }
        self.update_total();
    }

    /// A failed upload's bytes no longer count towards the total.
    fn drop_from_total(&mut self, id: UploadId) {
        if let Some(tracked) = self.uploads.get(&id) {
            self.total.dec_length(tracked.size);
            self.total
                .set_position(self.total.position().saturating_sub(tracked.sent));
        }
    }

    fn end_bar(&mut self, id: UploadId, message: String) {
        if let Some(tracked) = self.uploads.get_mut(&id) {
            tracked
                .bar(&self.multi, &self.total)
                .abandon_with_message(message);
        }
    }

    /// The total bar's label counts files, so it fits an 80-column terminal.
    fn update_total(&self) {
        let mut label = format!("total {}/{} files", self.finished, self.uploads.len());
        if self.failed > 0 {
            label.push_str(&format!(" ({} failed)", self.failed));
        }
        self.total.set_prefix(label);
    }

    /// Writes a line to stderr above the bars.
    pub fn println(&self, line: &str) {
        if self.multi.is_hidden() {
            eprintln!("{line}");
        } else {
            let _ = self.multi.println(line);
        }
    }

    /// Runs `f` (e.g. printing to stdout) with the bars out of the way.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.multi.suspend(f)
    }

    /// Removes every bar from the terminal.
    pub fn clear(&self) {
        self.total.finish_and_clear();
        for tracked in self.uploads.values() {
            if let Some(bar) = &tracked.bar {
                bar.finish_and_clear();
            }
        }
        let _ = self.multi.clear();
    }
}

impl Tracked {
    /// The upload's bar, created above the total bar the first time it is needed.
    fn bar(&mut self, multi: &MultiProgress, total: &ProgressBar) -> &ProgressBar {
        self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::new(self.size)
                .with_style(style(
                    "{prefix:24} {bar:16.cyan/blue} {bytes:>9} {percent:>3}% {wide_msg}",
                ))
                .with_prefix(shorten(&self.label))
                .with_position(self.sent);
            multi.insert_before(total, bar)
        })
    }

    fn message(&mut self, multi: &MultiProgress, total: &ProgressBar, message: String) {
        self.bar(multi, total).set_message(message);
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=>-")
}

/// `photos/2026/holiday/very-long-name.jpg` as `…holiday/very-long-name.jpg`, to fit a bar.
fn shorten(label: &str) -> String {
    let count = label.chars().count();
    if count <= LABEL_WIDTH {
        return label.to_owned();
    }
    let tail: String = label.chars().skip(count - (LABEL_WIDTH - 1)).collect();
    format!("…{tail}")
}

fn speed_message(bytes_per_second: f64, eta_seconds: Option<f64>) -> String {
    if bytes_per_second <= 0.0 {
        return String::new();
    }
    // Whole bytes per second are plenty for a display.
    let speed = human_bytes(bytes_per_second as u64);
    match eta_seconds {
        Some(eta) => format!(
            "{speed}/s, {} left",
            format_duration(Duration::from_secs_f64(eta.max(0.0)))
        ),
        None => format!("{speed}/s"),
    }
}

/// `75s` as `1m15s`, `3700s` as `1h01m`.
fn format_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_keep_their_end_and_durations_read_well() {
        assert_eq!(shorten("a/b.jpg"), "a/b.jpg");
        let long = format!("{}/end.jpg", "x".repeat(40));
        let short = shorten(&long);
        assert_eq!(short.chars().count(), LABEL_WIDTH);
        assert!(short.starts_with('…') && short.ends_with("/end.jpg"));
        assert_eq!(format_duration(Duration::from_secs(5)), "5s");
        assert_eq!(format_duration(Duration::from_secs(75)), "1m15s");
        assert_eq!(format_duration(Duration::from_secs(3700)), "1h01m");
        assert_eq!(speed_message(0.0, None), "");
        assert_eq!(speed_message(2048.0, Some(3.0)), "2.0 KiB/s, 3s left");
    }

    #[test]
    fn hidden_ui_keeps_count_of_events() {
        let mut ui = ProgressUi::new(ProgressMode::Quiet);
        ui.add(1, "a.txt", 100);
        ui.add(2, "b.txt", 50);
        ui.event(UploadEvent::State {
            upload: 1,
            state: UploadState::Uploading,
        });
        ui.event(UploadEvent::Progress {
            upload: 1,
            sent: 40,
            total: 100,
            bytes_per_second: 10.0,
            eta_seconds: Some(6.0),
        });
        assert_eq!(ui.total.position(), 40);
        ui.event(UploadEvent::State {
            upload: 1,
            state: UploadState::Completed { file: None },
        });
        ui.event(UploadEvent::State {
            upload: 2,
            state: UploadState::Failed {
                code: "network".into(),
                message: "down".into(),
            },
        });
        assert_eq!(ui.total.position(), 100);
        assert_eq!(ui.total.length(), Some(100));
        assert_eq!((ui.finished, ui.failed), (1, 1));
        assert_eq!(ui.total.prefix(), "total 1/2 files (1 failed)");
    }
}
