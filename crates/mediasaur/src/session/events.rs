//! What a session tells its UI: queue changes, throttled totals, and "this list changed, fetch it
//! again" notices, as one tagged enum.

use serde::Serialize;

use crate::store::queue::TransferCounts;
use crate::transfers::QueueEvent;

/// One thing a session reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "AppEvent"))]
pub enum SessionEvent {
    /// From the queue runner; `progress` events are coalesced to a few per second per transfer.
    Queue {
        /// The runner's event.
        event: QueueEvent,
    },
    /// How many transfers are in each state, and how far the current batch has got (sent at most
    /// four times a second).
    Counts {
        /// Per state.
        counts: TransferCounts,
        /// The files and bytes of the batch in flight since the queue was last idle.
        batch: BatchSummary,
    },
    /// A batch ended (the queue went idle): what it did. Sent once per batch.
    BatchFinished {
        /// The batch.
        batch: BatchSummary,
    },
    /// A finished upload asks for text on the clipboard (the auto-copy setting).
    CopyToClipboard {
        /// The URL or signed link.
        text: String,
    },
    /// Many transfers changed at once (an action on all of them): fetch the queue again.
    QueueChanged,
    /// Watches or their waiting files changed: fetch them again.
    WatchesChanged,
    /// A history entry was added or removed: fetch the history again.
    HistoryChanged,
    /// An upload request changed (an upload arrived, or it expired).
    RequestsChanged,
    /// The shell asks the UI to show a view (e.g. from the tray menu).
    Navigate {
        /// `queue`, `history`, `requests`, `watches` or `settings`.
        view: String,
    },
}

/// The transfers since the queue was last idle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BatchSummary {
    /// Transfers seen in this batch.
    pub files: u64,
    /// Of those, uploaded (or already there).
    pub done: u64,
    /// Of those, failed.
    pub failed: u64,
    /// Their total size.
    pub bytes_total: u64,
    /// Bytes sent so far (a done file counts whole).
    pub bytes_sent: u64,
}

impl BatchSummary {
    /// Whole percent of the batch's bytes sent (100 for an empty batch).
    pub fn percent(&self) -> u64 {
        if self.bytes_total == 0 {
            return 100;
        }
        (u128::from(self.bytes_sent.min(self.bytes_total)) * 100 / u128::from(self.bytes_total))
            as u64
    }

    /// "12 files uploaded, 1 failed", for a notification.
    pub fn describe(&self) -> String {
        let files = |n: u64| if n == 1 { "file" } else { "files" };
        match (self.done, self.failed) {
            (done, 0) => format!("{done} {} uploaded", files(done)),
            (0, failed) => format!("{failed} {} failed", files(failed)),
            (done, failed) => format!("{done} {} uploaded, {failed} failed", files(done)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_read_as_sentences_and_percent_is_bounded() {
        let batch = BatchSummary {
            files: 13,
            done: 12,
            failed: 1,
            bytes_total: 200,
            bytes_sent: 150,
        };
        assert_eq!(batch.describe(), "12 files uploaded, 1 failed");
        assert_eq!(batch.percent(), 75);
        let one = BatchSummary {
            done: 1,
            ..BatchSummary::default()
        };
        assert_eq!(one.describe(), "1 file uploaded");
        assert_eq!(one.percent(), 100);
        let failed = BatchSummary {
            failed: 2,
            bytes_total: 10,
            bytes_sent: 30,
            ..BatchSummary::default()
        };
        assert_eq!(failed.describe(), "2 files failed");
        assert_eq!(failed.percent(), 100);
    }
}
