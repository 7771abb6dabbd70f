//! Turns the queue runner's events into session events fit for a UI: progress coalesced per
//! transfer (at most ten flushes a second), totals throttled, a summary and the auto-copy text
//! once a batch ends.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::MissedTickBehavior;

use mediasaur_api::signed_url::SignedMethod;
use mediasaur_api::FileObject;

use super::{BatchSummary, Session, SessionEvent};
use crate::settings::AutoCopy;
use crate::store::queue::{Transfer, TransferOutcome, TransferState};
use crate::transfers::QueueEvent;
use crate::UploadClient;

const FLUSH_EVERY: Duration = Duration::from_millis(100);
const COUNTS_EVERY: Duration = Duration::from_millis(250);
/// Most links an auto-copy puts on the clipboard at once.
const MAX_COPIED_LINKS: usize = 100;

/// One transfer of the batch in flight.
#[derive(Debug, Clone, Copy)]
struct Member {
    size: u64,
    sent: u64,
    state: TransferState,
}

#[derive(Debug, Default)]
struct Batch {
    members: HashMap<i64, Member>,
    /// Finished uploads to copy, in the order they finished: (profile, bucket, path, url).
    finished: Vec<(String, String, String, String)>,
}

impl Batch {
    fn changed(&mut self, transfer: &Transfer) {
        let member = self.members.entry(transfer.id).or_insert(Member {
            size: transfer.size,
            sent: 0,
            state: transfer.state,
        });
        member.state = transfer.state;
        member.sent = member.sent.max(transfer.acked_bytes);
    }

    /// Remembers a finished upload for the auto-copy; only the last [`MAX_COPIED_LINKS`] are kept.
    fn finished(&mut self, transfer: &Transfer, file: &FileObject) {
        if self.finished.len() == MAX_COPIED_LINKS {
            self.finished.remove(0);
        }
        self.finished.push((
            transfer.profile.clone(),
            file.bucket.clone(),
            file.path.clone(),
            file.url.clone(),
        ));
    }

    fn progress(&mut self, id: i64, sent: u64, total: u64) {
        let member = self.members.entry(id).or_insert(Member {
            size: total,
            sent: 0,
            state: TransferState::Running,
        });
        member.sent = sent;
    }

    fn summary(&self) -> BatchSummary {
        let mut summary = BatchSummary::default();
        for member in self.members.values() {
            if member.state == TransferState::Canceled {
                continue;
            }
            summary.files += 1;
            summary.bytes_total += member.size;
            match member.state {
                TransferState::Done => {
                    summary.done += 1;
                    summary.bytes_sent += member.size;
                }
                TransferState::Failed => summary.failed += 1,
                _ => summary.bytes_sent += member.sent.min(member.size),
            }
        }
        summary
    }
}

pub(super) async fn run(session: Session, mut events: UnboundedReceiver<QueueEvent>) {
    let mut batch = Batch::default();
    let mut progress: HashMap<i64, QueueEvent> = HashMap::new();
    let mut counts_dirty = true;
    let mut history_dirty = false;
    let mut counts_sent_at: Option<Instant> = None;
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break };
                counts_dirty = true;
                match event {
                    QueueEvent::Progress { transfer, sent, total, .. } => {
                        batch.progress(transfer, sent, total);
                        progress.insert(transfer, event);
                    }
                    QueueEvent::Changed { ref transfer, ref file } => {
                        // The new state supersedes any progress not yet shown.
                        progress.remove(&transfer.id);
                        batch.changed(transfer);
                        if let (TransferState::Done, Some(file)) = (transfer.state, file) {
                            // One notice per flush, not per file: the UI searches again on each.
                            history_dirty |= transfer.outcome != Some(TransferOutcome::Duplicate);
                            batch.finished(transfer, file);
                        }
                        session.emit(SessionEvent::Queue { event });
                    }
                    QueueEvent::Idle => {
                        flush(&session, &mut progress, &mut history_dirty);
                        send_counts(&session, &batch).await;
                        counts_sent_at = Some(Instant::now());
                        counts_dirty = false;
                        finish_batch(&session, std::mem::take(&mut batch)).await;
                        session.emit(SessionEvent::Queue { event });
                    }
                    QueueEvent::Retrying { .. } => session.emit(SessionEvent::Queue { event }),
                }
            }
            _ = tick.tick() => {
                flush(&session, &mut progress, &mut history_dirty);
                if counts_dirty && counts_sent_at.is_none_or(|at| at.elapsed() >= COUNTS_EVERY) {
                    send_counts(&session, &batch).await;
                    counts_sent_at = Some(Instant::now());
                    counts_dirty = false;
                }
            }
        }
    }
    flush(&session, &mut progress, &mut history_dirty);
    send_counts(&session, &batch).await;
}

fn flush(session: &Session, progress: &mut HashMap<i64, QueueEvent>, history_dirty: &mut bool) {
    for (_, event) in progress.drain() {
        session.emit(SessionEvent::Queue { event });
    }
    if std::mem::take(history_dirty) {
        session.emit(SessionEvent::HistoryChanged);
    }
}

async fn send_counts(session: &Session, batch: &Batch) {
    match session.database().transfer_counts().await {
        Ok(counts) => session.emit(SessionEvent::Counts {
            counts,
            batch: batch.summary(),
        }),
        Err(error) => tracing::warn!(%error, "counting transfers failed"),
    }
}

async fn finish_batch(session: &Session, batch: Batch) {
    let summary = batch.summary();
    if summary.done + summary.failed == 0 {
        return;
    }
    session.emit(SessionEvent::BatchFinished { batch: summary });
    let settings = session.settings();
    if settings.auto_copy == AutoCopy::Off || batch.finished.is_empty() {
        return;
    }
    // Signing needs no network: one client per profile signs all of its links.
    let mut clients: HashMap<String, UploadClient> = HashMap::new();
    let mut links = Vec::new();
    for (profile, bucket, path, url) in batch.finished {
        if settings.auto_copy == AutoCopy::Url {
            links.push(url);
            continue;
        }
        if !clients.contains_key(&profile) {
            match session.client_for(&profile).await {
                Ok(client) => {
                    clients.insert(profile.clone(), client);
                }
                Err(error) => tracing::warn!(%error, "signing links to copy failed"),
            }
        }
        let signed = clients.get(&profile).and_then(|client| {
            client
                .sign_url(
                    SignedMethod::Get,
                    &bucket,
                    &path,
                    settings.default_link_expiry,
                    None,
                )
                .map_err(|error| tracing::warn!(%error, "signing a link to copy failed"))
                .ok()
        });
        links.push(signed.map_or(url, |link| link.to_string()));
    }
    session.emit(SessionEvent::CopyToClipboard {
        text: links.join("\n"),
    });
}
