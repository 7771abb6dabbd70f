//! `upload FILES_OR_DIRS...`: every file becomes a row of the transfer queue, then a runner limited to
//! this command's files sends them under the concurrency limit; results go to stdout as they finish,
//! failures are summed up on stderr at the end.

use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use mediasaur::intake::{plan_uploads, IntakeTarget};
use mediasaur::transfers::{start_queue, DuplicatePolicy, QueueConfig};
use mediasaur::ClientConfig;
use tokio::sync::mpsc;

use crate::args::{human_bytes, parse_positive_size, StrategyArg};
use crate::commands::sign::no_bucket;
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::progress_ui::{ProgressMode, ProgressUi};
use crate::queue_ui::{follow, print_failures, runner_error, Failure};

/// The exit code after Ctrl-C, as shells report a SIGINT death.
const INTERRUPTED: u8 = 130;

/// `mediasaur upload`.
#[derive(Debug, Args)]
pub struct UploadArgs {
    /// Files and directories; directories are uploaded recursively under their own name.
    #[arg(value_name = "FILES_OR_DIRS", required = true)]
    paths: Vec<PathBuf>,
    /// Bucket to upload to (default: the profile's).
    #[arg(long, value_name = "B")]
    bucket: Option<String>,
    /// Put this before every path (default: the profile's prefix).
    #[arg(long, value_name = "P")]
    prefix: Option<String>,
    /// Uploads sending at the same time.
    #[arg(long, value_name = "N", default_value = "4")]
    concurrency: NonZeroUsize,
    /// Bandwidth shared by all uploads, per second (e.g. 512K, 10M).
    #[arg(long, value_name = "RATE", value_parser = parse_positive_size)]
    limit_rate: Option<u64>,
    /// Size of each resumable (tus) chunk (e.g. 16M).
    #[arg(long, value_name = "SIZE", value_parser = parse_positive_size)]
    chunk_size: Option<u64>,
    /// How files are sent.
    #[arg(long, value_enum, default_value_t = StrategyArg::Auto)]
    strategy: StrategyArg,
    /// Send files even when the local history says the destination already holds their bytes.
    #[arg(long)]
    force: bool,
}

/// Uploads everything; the exit code says whether all of it worked.
pub async fn run(ctx: &Context, json: bool, args: UploadArgs) -> CliResult<ExitCode> {
    let profile = ctx.profile()?;
    if args.bucket.is_none() && profile.bucket.is_none() {
        return Err(no_bucket(&profile.name));
    }
    let target =
        IntakeTarget::for_profile(&profile, args.bucket.as_deref(), args.prefix.as_deref())?;
    let mut config = ClientConfig {
        concurrency: args.concurrency.get(),
        bandwidth_limit: args.limit_rate,
        ..ClientConfig::default()
    };
    if let Some(chunk_size) = args.chunk_size {
        config.chunk_size = chunk_size;
    }
    let (_, client) = ctx.client(config.clone()).await?;

    let batch = format!("upload-{}-{}", std::process::id(), batch_stamp());
    let (paths, strategy, planned_batch) =
        (args.paths.clone(), args.strategy.into(), batch.clone());
    let intake = tokio::task::spawn_blocking(move || {
        plan_uploads(&paths, &target, strategy, Some(&planned_batch))
    })
    .await
    .map_err(|e| CliError::new("internal", format!("listing the files failed: {e}")))?;
    let mut ui = ProgressUi::new(match (json, std::io::stderr().is_terminal()) {
        (true, _) => ProgressMode::Quiet,
        (false, true) => ProgressMode::Bars,
        (false, false) => ProgressMode::Log,
    });
    for warning in &intake.warnings {
        ui.println(&format!("warning: {warning}"));
    }
    let attempted = intake.transfers.len() + intake.failures.len();
    let mut failures: Vec<Failure> = intake.failures;
    if attempted == 0 {
        eprintln!("nothing to upload");
        return Ok(ExitCode::SUCCESS);
    }
    // One cheap request first: an unreachable server or a refused key fails the run at once,
    // instead of after every file has spent its own retries.
    if let Err(error) = client.list_files(None, "", None, 1).await {
        return Err(CliError::new(
            error.code(),
            format!("cannot start uploading: {error}"),
        ));
    }

    // Every file is a row before its first byte is sent: a crash or Ctrl-C loses nothing, and
    // `mediasaur queue run` finishes the rest.
    let queued = intake.transfers;
    let db = ctx.database().await?;
    for (item, enqueued) in queued.iter().zip(db.enqueue(&queued).await?) {
        ui.add(
            u64::try_from(enqueued.id()).unwrap_or_default(),
            &item.path,
            item.size,
        );
    }
    let (events_tx, events) = mpsc::unbounded_channel();
    let queue_config = QueueConfig {
        concurrency: args.concurrency.get(),
        client: config,
        duplicates: if args.force {
            DuplicatePolicy::Never
        } else {
            DuplicatePolicy::SameDestination
        },
        exit_when_idle: true,
        batch: Some(batch),
        ..QueueConfig::default()
    };
    let handle =
        start_queue(db, ctx.credentials(), queue_config, events_tx).map_err(runner_error)?;
    let started = Instant::now();
    let mut report = follow(handle, events, &mut ui, json).await?;
    ui.clear();
    if report.interrupted {
        eprintln!(
            "interrupted: {} unfinished uploads stopped; `mediasaur queue run` continues them",
            report.summary.interrupted
        );
        return Ok(ExitCode::from(INTERRUPTED));
    }
    failures.append(&mut report.failures);
    if !json && report.done > 0 {
        eprintln!(
            "{} uploaded ({}) in {:.1}s",
            report.done,
            human_bytes(report.bytes),
            started.elapsed().as_secs_f64()
        );
    }
    if failures.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    print_failures(&mut failures, attempted);
    Ok(ExitCode::FAILURE)
}

/// A tag unique to this command run (pid + nanoseconds), for its batch of transfers.
fn batch_stamp() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}
