//! `upload FILES_OR_DIRS...`: every file becomes a row of the transfer queue, then a runner limited to
//! this command's files sends them under the concurrency limit; results go to stdout as they finish,
//! failures are summed up on stderr at the end.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use mediasaur::api::{BucketName, ObjectPath};
use mediasaur::store::queue::NewTransfer;
use mediasaur::transfers::{start_queue, DuplicatePolicy, QueueConfig};
use mediasaur::{ClientConfig, ClientError, Destination};
use tokio::sync::mpsc;

use crate::args::{human_bytes, parse_positive_size, StrategyArg};
use crate::commands::sign::no_bucket;
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::progress_ui::{ProgressMode, ProgressUi};
use crate::queue_ui::{follow, print_failures, runner_error, Failure};
use crate::walk::{self, join_prefix, LocalFile};

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
    let bucket = match (&args.bucket, &profile.bucket) {
        (Some(bucket), _) => BucketName::parse(bucket).map_err(ClientError::from)?,
        (None, Some(bucket)) => bucket.clone(),
        (None, None) => return Err(no_bucket(&profile.name)),
    };
    let prefix = args
        .prefix
        .as_deref()
        .map_or(profile.prefix.as_str(), |p| p.trim_matches('/'))
        .to_owned();
    if !prefix.is_empty() {
        ObjectPath::parse(&prefix).map_err(|e| {
            CliError::new(
                e.code().as_str(),
                format!("the prefix {prefix:?} is not usable: {e}"),
            )
        })?;
    }
    let mut config = ClientConfig {
        concurrency: args.concurrency.get(),
        bandwidth_limit: args.limit_rate,
        ..ClientConfig::default()
    };
    if let Some(chunk_size) = args.chunk_size {
        config.chunk_size = chunk_size;
    }
    let (_, client) = ctx.client(config.clone()).await?;

    let paths = args.paths.clone();
    let walked = tokio::task::spawn_blocking(move || walk::collect(&paths))
        .await
        .map_err(|e| CliError::new("internal", format!("listing the files failed: {e}")))?;
    let mut ui = ProgressUi::new(match (json, std::io::stderr().is_terminal()) {
        (true, _) => ProgressMode::Quiet,
        (false, true) => ProgressMode::Bars,
        (false, false) => ProgressMode::Log,
    });
    for warning in &walked.warnings {
        ui.println(&format!("warning: {warning}"));
    }
    let attempted = walked.files.len() + walked.failures.len();
    let mut failures: Vec<Failure> = walked
        .failures
        .into_iter()
        .map(|f| Failure {
            source: f.source,
            destination: None,
            code: f.code.to_owned(),
            message: f.message,
        })
        .collect();
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

    let mut queued = Vec::with_capacity(walked.files.len());
    let batch = format!("upload-{}-{}", std::process::id(), batch_stamp());
    let mut planner = Planner::default();
    for file in &walked.files {
        match planner.destination(bucket.as_str(), &prefix, file) {
            Ok(destination) => queued.push(NewTransfer {
                source: file.source.clone(),
                size: file.size,
                modified_ns: file.modified_ns,
                profile: profile.name.clone(),
                bucket: bucket.as_str().to_owned(),
                path: destination.path.as_str().to_owned(),
                strategy: args.strategy.into(),
                watch_id: None,
                batch: Some(batch.clone()),
            }),
            Err(failure) => failures.push(failure),
        }
    }
    // Every file is a row before its first byte is sent: a crash or Ctrl-C loses nothing, and
    // `mediasaur queue run` finishes the rest.
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

/// Where each file goes, checked before anything is sent: a path the API refuses, or one that
/// another file of this command already goes to, is that file's failure.
#[derive(Debug, Default)]
struct Planner {
    taken: HashSet<String>,
}

impl Planner {
    fn destination(
        &mut self,
        bucket: &str,
        prefix: &str,
        file: &LocalFile,
    ) -> Result<Destination, Failure> {
        let path = join_prefix(prefix, &file.relative);
        let destination = Destination::parse(bucket, &path)
            .map_err(|e| failure(file, bucket, &path, e.code(), e))?;
        // Compared as the server stores it (NFC).
        let path = destination.path.as_str();
        if !self.taken.insert(path.to_owned()) {
            let message = format!("another file of this upload also goes to {bucket}/{path}");
            return Err(failure(file, bucket, path, "duplicate_path", message));
        }
        Ok(destination)
    }
}

fn failure(
    file: &LocalFile,
    bucket: &str,
    path: &str,
    code: &str,
    message: impl ToString,
) -> Failure {
    Failure {
        source: file.source.clone(),
        destination: Some(format!("{bucket}/{path}")),
        code: code.to_owned(),
        message: message.to_string(),
    }
}

/// A tag unique to this command run (pid + nanoseconds), for its batch of transfers.
fn batch_stamp() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(relative: &str) -> LocalFile {
        LocalFile {
            source: PathBuf::from("/src").join(relative),
            relative: relative.to_owned(),
            size: 1,
            modified_ns: 0,
        }
    }

    #[test]
    fn bad_and_duplicate_destinations_fail_alone() {
        let mut planner = Planner::default();
        let ok = planner
            .destination("default", "up", &file("a/b.jpg"))
            .unwrap();
        assert_eq!(ok.path.as_str(), "up/a/b.jpg");
        let twice = planner
            .destination("default", "up", &file("a/b.jpg"))
            .unwrap_err();
        assert_eq!(twice.code, "duplicate_path");
        assert!(
            twice.message.contains("default/up/a/b.jpg"),
            "{}",
            twice.message
        );
        let bad = planner
            .destination("default", "", &file("back\\slash"))
            .unwrap_err();
        assert_eq!(bad.code, "invalid_path");
        assert_eq!(bad.destination.as_deref(), Some("default/back\\slash"));
        // NFD and NFC spellings are the same object path.
        planner
            .destination("default", "", &file("cafe\u{301}"))
            .unwrap();
        let nfc = planner
            .destination("default", "", &file("caf\u{e9}"))
            .unwrap_err();
        assert_eq!(nfc.code, "duplicate_path");
    }
}
