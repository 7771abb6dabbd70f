//! What an upload reports while it runs: state changes, always, and progress, at most ten times a
//! second, on an unbounded channel so a slow listener never slows the upload.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use mediasaur_api::FileObject;
use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;

/// Identifies one upload of a client, in events and handles.
pub type UploadId = u64;

/// Progress events are at least this far apart per upload.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);
/// Speed is measured over this much recent history.
const SPEED_WINDOW: Duration = Duration::from_secs(3);

/// Where an upload stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UploadState {
    /// Waiting for a free slot (the concurrency limit).
    Queued,
    /// Sending bytes.
    Uploading,
    /// Paused by its owner; holds no slot.
    Paused,
    /// A request failed and will be retried after `delay_ms`.
    Retrying {
        /// The retry about to happen (1 = first).
        attempt: u32,
        /// The wait before it.
        delay_ms: u64,
        /// The error's code.
        code: String,
        /// The error's message.
        message: String,
    },
    /// A saved resume state could not be used; the upload starts over from byte 0.
    Restarting {
        /// Why, in words (the file changed, the server forgot the upload…).
        reason: String,
    },
    /// Done; the server's File object (`None` from a plain tus server that has no File objects).
    Completed {
        /// What the server stored.
        file: Option<Box<FileObject>>,
    },
    /// Gave up.
    Failed {
        /// Stable code.
        code: String,
        /// Human-readable message.
        message: String,
    },
    /// Cancelled by its owner; the server was told to drop the partial upload.
    Cancelled,
}

/// One thing that happened to one upload.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UploadEvent {
    /// The upload changed state.
    State {
        /// Which upload.
        upload: UploadId,
        /// Its new state.
        #[serde(flatten)]
        state: UploadState,
    },
    /// Bytes moved.
    Progress {
        /// Which upload.
        upload: UploadId,
        /// Bytes handed to the connection (the server's acknowledged offset after a failure).
        sent: u64,
        /// The file's size.
        total: u64,
        /// Recent speed.
        bytes_per_second: f64,
        /// Seconds left at the recent speed, when it is known.
        eta_seconds: Option<f64>,
    },
}

/// Reports one upload's events. Clones share the throttle.
#[derive(Debug, Clone)]
pub(crate) struct Progress {
    upload: UploadId,
    total: u64,
    sink: Option<UnboundedSender<UploadEvent>>,
    shared: Arc<Mutex<Meter>>,
}

#[derive(Debug)]
struct Meter {
    sent: u64,
    last_emit: Option<Instant>,
    samples: VecDeque<(Instant, u64)>,
}

impl Progress {
    pub(crate) fn new(
        upload: UploadId,
        total: u64,
        sink: Option<UnboundedSender<UploadEvent>>,
    ) -> Self {
        Self {
            upload,
            total,
            sink,
            shared: Arc::new(Mutex::new(Meter {
                sent: 0,
                last_emit: None,
                samples: VecDeque::new(),
            })),
        }
    }

    fn emit(&self, event: UploadEvent) {
        if let Some(sink) = &self.sink {
            // A listener that went away is not the upload's problem.
            let _ = sink.send(event);
        }
    }

    pub(crate) fn state(&self, state: UploadState) {
        self.emit(UploadEvent::State {
            upload: self.upload,
            state,
        });
    }

    /// `bytes` more were handed to the connection.
    pub(crate) fn advance(&self, bytes: u64) {
        let sent = {
            let meter = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
            meter.sent + bytes
        };
        self.set(sent, false);
    }

    /// The server holds `sent` bytes; reported at once (a rewind after a failure, or the end).
    pub(crate) fn reset_to(&self, sent: u64) {
        self.set(sent, true);
    }

    fn set(&self, sent: u64, force: bool) {
        let now = Instant::now();
        let event = {
            let mut meter = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
            if sent < meter.sent {
                meter.samples.clear();
            }
            meter.sent = sent;
            let due = meter
                .last_emit
                .is_none_or(|then| now.duration_since(then) >= PROGRESS_INTERVAL);
            if !(due || force) {
                return;
            }
            meter.last_emit = Some(now);
            meter.samples.push_back((now, sent));
            while meter
                .samples
                .front()
                .is_some_and(|(then, _)| now.duration_since(*then) > SPEED_WINDOW)
            {
                meter.samples.pop_front();
            }
            let speed = match meter.samples.front() {
                Some((then, from)) if now.duration_since(*then) > Duration::from_millis(50) => {
                    (sent - from) as f64 / now.duration_since(*then).as_secs_f64()
                }
                _ => 0.0,
            };
            UploadEvent::Progress {
                upload: self.upload,
                sent,
                total: self.total,
                bytes_per_second: speed,
                eta_seconds: (speed > 0.0).then(|| self.total.saturating_sub(sent) as f64 / speed),
            }
        };
        self.emit(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_throttled_but_rewinds_and_states_always_go_out() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let progress = Progress::new(7, 1000, Some(tx));
        progress.state(UploadState::Uploading);
        for _ in 0..1000 {
            progress.advance(1);
        }
        progress.reset_to(500);
        progress.state(UploadState::Paused);
        let mut events = Vec::new();
        while let Ok(event) = rx.try_recv() {
            events.push(event);
        }
        // The first advance, the forced rewind and the two states: the 998 others fell in the
        // throttle window (this loop takes far less than 100 ms).
        assert_eq!(events.len(), 4, "{events:?}");
        assert!(matches!(events[1], UploadEvent::Progress { sent: 1, .. }));
        assert!(matches!(
            events[2],
            UploadEvent::Progress {
                sent: 500,
                total: 1000,
                ..
            }
        ));
        let json = serde_json::to_value(&events[3]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "state", "upload": 7, "state": "paused"})
        );
    }
}
