//! Follows a queue runner in the foreground for `upload`, `queue run` and `watch run`: its events
//! drive the progress bars, finished files are printed on stdout, failures are collected for the
//! summary, and Ctrl-C stops the runner with every unfinished transfer kept for `queue run`.

use mediasaur::api::FileObject;
use mediasaur::store::queue::{Transfer, TransferOutcome, TransferState};
use mediasaur::transfers::{QueueEvent, QueueHandle, RunSummary};
use mediasaur::upload::{UploadEvent, UploadId, UploadState};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::args::human_bytes;
use crate::error::{CliError, CliResult};
use crate::output::{print_line, to_json};
use crate::progress_ui::ProgressUi;

/// A file that was not uploaded, and why (the same record the core's intake reports).
pub use mediasaur::intake::IntakeFailure as Failure;

/// What happened while following a runner.
#[derive(Debug, Default)]
pub struct QueueReport {
    /// Files now on the server (sent, or already there).
    pub done: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Files that failed or were canceled.
    pub failures: Vec<Failure>,
    /// Ctrl-C stopped the runner.
    pub interrupted: bool,
    /// The runner's own count.
    pub summary: RunSummary,
}

/// Follows `handle` until it stops (or Ctrl-C stops it), printing each finished file.
pub async fn follow(
    handle: QueueHandle,
    mut events: UnboundedReceiver<QueueEvent>,
    ui: &mut ProgressUi,
    json: bool,
) -> CliResult<QueueReport> {
    let mut report = QueueReport::default();
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut stopping = false;
    let stop = handle.stop_token();
    let wait = handle.wait();
    tokio::pin!(wait);
    loop {
        tokio::select! {
            biased;
            _ = &mut ctrl_c, if !stopping => {
                stopping = true;
                report.interrupted = true;
                stop.cancel();
            }
            Some(event) = events.recv() => apply(ui, json, event, &mut report)?,
            summary = &mut wait => {
                while let Ok(event) = events.try_recv() {
                    apply(ui, json, event, &mut report)?;
                }
                report.summary = summary?;
                break;
            }
        }
    }
    Ok(report)
}

fn key(transfer: i64) -> UploadId {
    u64::try_from(transfer).unwrap_or_default()
}

fn apply(
    ui: &mut ProgressUi,
    json: bool,
    event: QueueEvent,
    report: &mut QueueReport,
) -> CliResult<()> {
    let engine_event = match event {
        QueueEvent::Progress {
            transfer,
            sent,
            total,
            bytes_per_second,
            eta_seconds,
        } => UploadEvent::Progress {
            upload: key(transfer),
            sent,
            total,
            bytes_per_second,
            eta_seconds,
        },
        QueueEvent::Retrying {
            transfer,
            attempt,
            delay_ms,
            code,
            message,
        } => UploadEvent::State {
            upload: key(transfer),
            state: UploadState::Retrying {
                attempt,
                delay_ms,
                code,
                message,
            },
        },
        QueueEvent::Changed { transfer, file } => {
            ui.track(key(transfer.id), &transfer.path, transfer.size);
            let state = match transfer.state {
                TransferState::Queued => UploadState::Queued,
                TransferState::Running => match &transfer.restart_reason {
                    Some(reason) => UploadState::Restarting {
                        reason: reason.clone(),
                    },
                    None => UploadState::Uploading,
                },
                TransferState::Paused => UploadState::Paused,
                TransferState::Done => {
                    report.done += 1;
                    report.bytes += transfer.size;
                    print_done(ui, json, &transfer, file.as_deref())?;
                    UploadState::Completed { file: None }
                }
                TransferState::Failed | TransferState::Canceled => {
                    let code = transfer
                        .error_code
                        .clone()
                        .unwrap_or_else(|| transfer.state.as_str().to_owned());
                    let message = transfer
                        .error_message
                        .clone()
                        .unwrap_or_else(|| format!("the transfer was {}", transfer.state));
                    report.failures.push(Failure {
                        source: transfer.source.clone(),
                        destination: Some(format!("{}/{}", transfer.bucket, transfer.path)),
                        code: code.clone(),
                        message: message.clone(),
                    });
                    UploadState::Failed { code, message }
                }
            };
            UploadEvent::State {
                upload: key(transfer.id),
                state,
            }
        }
        QueueEvent::Idle => return Ok(()),
    };
    ui.event(engine_event);
    Ok(())
}

/// One line per finished file on stdout: the File object with `--json`, else a short sentence.
fn print_done(
    ui: &ProgressUi,
    json: bool,
    transfer: &Transfer,
    file: Option<&FileObject>,
) -> CliResult<()> {
    let line = if json {
        match file {
            Some(file) => to_json(file)?,
            None => to_json(&serde_json::json!({
                "size": transfer.size,
                "upload_url": transfer.upload_url,
            }))?,
        }
    } else {
        let location = file
            .map(|f| format!("{} {}", f.id, f.url))
            .or_else(|| transfer.upload_url.clone())
            .unwrap_or_default();
        // A re-run over files already there says so instead of pretending to upload them again.
        let verb = match transfer.outcome {
            Some(TransferOutcome::AlreadyThere) => "already uploaded",
            Some(TransferOutcome::Duplicate) => "already uploaded (duplicate in history)",
            _ => "uploaded",
        };
        format!(
            "{verb} {}/{} ({}) {location}",
            transfer.bucket,
            transfer.path,
            human_bytes(transfer.size)
        )
    };
    ui.suspend(|| print_line(&line))
}

/// Prints the failure summary on stderr (sorted by file).
pub fn print_failures(failures: &mut [Failure], attempted: usize) {
    failures.sort_by(|a, b| a.source.cmp(&b.source));
    eprintln!("{} of {attempted} uploads failed:", failures.len());
    for failure in failures.iter() {
        let target = failure
            .destination
            .as_ref()
            .map(|d| format!(" → {d}"))
            .unwrap_or_default();
        eprintln!(
            "  {}{target}: {} [{}]",
            failure.source.display(),
            failure.message,
            failure.code
        );
    }
}

/// An error for a runner that could not start.
pub fn runner_error(error: mediasaur::ClientError) -> CliError {
    CliError::new(error.code(), format!("cannot run the queue: {error}"))
}
