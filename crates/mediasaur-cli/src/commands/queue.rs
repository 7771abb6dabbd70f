//! `queue list|pause|resume|retry|cancel|run`: the transfer queue in the local database. Changes
//! made here reach a runner in another process (the app, `watch run`) at its next heartbeat.

use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use mediasaur::store::queue::{Transfer, TransferQuery, TransferState};
use mediasaur::store::Database;
use mediasaur::transfers::{start_queue, QueueConfig};
use mediasaur::{ClientConfig, ClientError};
use tokio::sync::mpsc;

use crate::args::{human_bytes, parse_positive_size};
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::output::{print_json, print_table};
use crate::progress_ui::{ProgressMode, ProgressUi};
use crate::queue_ui::{follow, print_failures, runner_error};

/// The exit code after Ctrl-C.
const INTERRUPTED: u8 = 130;

/// `mediasaur queue …`.
#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// List transfers (oldest first).
    List(ListArgs),
    /// Hold transfers; they keep what the server acknowledged.
    Pause(Selection),
    /// Put paused transfers back in the queue.
    Resume(Selection),
    /// Put failed or canceled transfers back in the queue.
    Retry(Selection),
    /// Stop transfers for good.
    Cancel(Selection),
    /// Send every queued transfer (including ones a crash left behind) and exit when none is left;
    /// exits non-zero if any failed.
    Run(RunArgs),
}

/// A transfer state by its stored name (`queued`, `running`, `paused`, `failed`, `done`, `canceled`).
fn parse_state(raw: &str) -> Result<TransferState, String> {
    TransferState::ALL
        .into_iter()
        .find(|state| state.as_str() == raw)
        .ok_or_else(|| {
            let names: Vec<&str> = TransferState::ALL.iter().map(|s| s.as_str()).collect();
            format!("{raw:?} is not a state: use one of {}", names.join(", "))
        })
}

/// `queue list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only transfers in this state (repeatable): queued, running, paused, failed, done, canceled.
    #[arg(long, value_parser = parse_state)]
    state: Vec<TransferState>,
    /// Only transfers with a greater id (the last id of the previous page).
    #[arg(long, value_name = "ID")]
    after: Option<i64>,
    /// At most this many.
    #[arg(long, default_value = "100")]
    limit: u32,
}

/// Which transfers a command applies to.
#[derive(Debug, Args)]
pub struct Selection {
    /// Transfer ids (see `queue list`).
    #[arg(value_name = "ID", required_unless_present = "all")]
    ids: Vec<i64>,
    /// Every transfer the command applies to.
    #[arg(long, conflicts_with = "ids")]
    all: bool,
}

/// `queue run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Transfers sending at the same time.
    #[arg(long, value_name = "N", default_value = "4")]
    concurrency: NonZeroUsize,
    /// Bandwidth shared by all transfers, per second (e.g. 512K, 10M).
    #[arg(long, value_name = "RATE", value_parser = parse_positive_size)]
    limit_rate: Option<u64>,
}

/// Runs a `queue` command.
pub async fn run(ctx: &Context, json: bool, command: QueueCommand) -> CliResult<ExitCode> {
    let db = ctx.database().await?;
    use TransferState::*;
    match command {
        QueueCommand::List(args) => list(&db, json, args).await?,
        QueueCommand::Pause(selection) => {
            change(&db, json, selection, &[Queued, Running], Paused).await?;
        }
        QueueCommand::Resume(selection) => change(&db, json, selection, &[Paused], Queued).await?,
        QueueCommand::Retry(selection) => {
            change(&db, json, selection, &[Failed, Canceled], Queued).await?;
        }
        QueueCommand::Cancel(selection) => cancel(ctx, &db, json, selection).await?,
        QueueCommand::Run(args) => return run_queue(ctx, db, json, args).await,
    }
    Ok(ExitCode::SUCCESS)
}

async fn list(db: &Database, json: bool, args: ListArgs) -> CliResult<()> {
    let query = TransferQuery {
        states: args.state,
        after: args.after,
        limit: Some(args.limit),
    };
    let transfers = db.transfers(&query).await?;
    if json {
        return transfers.iter().try_for_each(print_json);
    }
    if transfers.is_empty() {
        eprintln!("no transfers");
        return Ok(());
    }
    let rows: Vec<[String; 6]> = transfers.iter().map(row).collect();
    print_table(
        &["ID", "STATE", "PROGRESS", "TRIES", "DESTINATION", "NOTE"],
        &rows,
    )
}

fn row(transfer: &Transfer) -> [String; 6] {
    let progress = match transfer.state {
        TransferState::Done => human_bytes(transfer.size),
        _ => format!(
            "{}/{}",
            human_bytes(transfer.acked_bytes),
            human_bytes(transfer.size)
        ),
    };
    let note = match (&transfer.error_code, &transfer.restart_reason) {
        (Some(code), _) => format!(
            "{} [{code}]",
            transfer.error_message.as_deref().unwrap_or_default()
        ),
        (None, Some(reason)) => format!("started over: {reason}"),
        (None, None) => transfer.source.display().to_string(),
    };
    [
        transfer.id.to_string(),
        transfer.state.to_string(),
        progress,
        transfer.attempts.to_string(),
        format!("{}/{}", transfer.bucket, transfer.path),
        note,
    ]
}

/// Moves the selected transfers from one of `from` to `to`; `--all` moves every transfer in `from`.
async fn change(
    db: &Database,
    json: bool,
    selection: Selection,
    from: &[TransferState],
    to: TransferState,
) -> CliResult<()> {
    if selection.all {
        let mut moved = 0;
        for state in from {
            moved += db.move_all_transfers(*state, to).await?;
        }
        if json {
            return print_json(&serde_json::json!({ "state": to, "changed": moved }));
        }
        eprintln!("{moved} transfers now {to}");
        return Ok(());
    }
    let mut first_error = None;
    for id in selection.ids {
        report_change(json, db.move_transfer(id, from, to).await, &mut first_error)?;
    }
    changes_done(first_error)
}

/// Cancels the selected transfers (`--all`: every unfinished one); server-side tus uploads they
/// began are dropped.
async fn cancel(ctx: &Context, db: &Database, json: bool, selection: Selection) -> CliResult<()> {
    use TransferState::*;
    let ids = if selection.all {
        let mut ids = Vec::new();
        let mut query = TransferQuery {
            states: vec![Queued, Running, Paused, Failed],
            after: None,
            limit: Some(1000),
        };
        loop {
            let page = db.transfers(&query).await?;
            let Some(last) = page.last() else { break };
            query.after = Some(last.id);
            ids.extend(page.iter().map(|t| t.id));
        }
        ids
    } else {
        selection.ids
    };
    let credentials = ctx.credentials();
    let mut first_error = None;
    for id in ids {
        let canceled = mediasaur::transfers::cancel_transfer(db, credentials.as_ref(), id).await;
        report_change(json, canceled, &mut first_error)?;
    }
    changes_done(first_error)
}

/// Prints a changed transfer, or its error; the first error decides the exit code.
fn report_change(
    json: bool,
    changed: Result<Transfer, ClientError>,
    first_error: &mut Option<ClientError>,
) -> CliResult<()> {
    match changed {
        Ok(transfer) if json => print_json(&transfer)?,
        Ok(transfer) => eprintln!("transfer {} is now {}", transfer.id, transfer.state),
        Err(error) => {
            eprintln!("error: {error} [{}]", error.code());
            first_error.get_or_insert(error);
        }
    }
    Ok(())
}

/// Fails the command when any transfer could not be changed.
fn changes_done(first_error: Option<ClientError>) -> CliResult<()> {
    match first_error {
        Some(error) => Err(CliError::new(
            error.code(),
            "some transfers could not be changed (see above)",
        )),
        None => Ok(()),
    }
}

async fn run_queue(ctx: &Context, db: Database, json: bool, args: RunArgs) -> CliResult<ExitCode> {
    let counts = db.transfer_counts().await?;
    let (events_tx, events) = mpsc::unbounded_channel();
    let config = QueueConfig {
        concurrency: args.concurrency.get(),
        client: ClientConfig {
            bandwidth_limit: args.limit_rate,
            ..ClientConfig::default()
        },
        exit_when_idle: true,
        ..QueueConfig::default()
    };
    let handle = start_queue(db, ctx.credentials(), config, events_tx).map_err(runner_error)?;
    let mut ui = ProgressUi::new(match (json, std::io::stderr().is_terminal()) {
        (true, _) => ProgressMode::Quiet,
        (false, true) => ProgressMode::Bars,
        (false, false) => ProgressMode::Log,
    });
    let mut report = follow(handle, events, &mut ui, json).await?;
    ui.clear();
    if report.interrupted {
        eprintln!(
            "interrupted: {} unfinished transfers stay queued",
            report.summary.interrupted
        );
        return Ok(ExitCode::from(INTERRUPTED));
    }
    if !json {
        eprintln!(
            "{} done ({}), {} failed; {} paused transfers left alone",
            report.done,
            human_bytes(report.bytes),
            report.failures.len(),
            counts.paused
        );
    }
    if report.failures.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    let attempted = report.done + report.failures.len();
    print_failures(&mut report.failures, attempted);
    Ok(ExitCode::FAILURE)
}
