//! `upload FILES_OR_DIRS...`: every file is started at once under the client's concurrency limit;
//! results go to stdout as they finish, failures are summed up on stderr at the end.

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use mediasaur::api::{BucketName, ObjectPath};
use mediasaur::{
    ClientConfig, ClientError, Destination, UploadClient, UploadOptions, UploadOutcome,
};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::args::{human_bytes, parse_positive_size, StrategyArg};
use crate::commands::sign::no_bucket;
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::output::{print_line, to_json};
use crate::progress_ui::{ProgressMode, ProgressUi};
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
}

/// A file that was not uploaded, and why.
#[derive(Debug)]
struct Failure {
    source: PathBuf,
    destination: Option<String>,
    code: String,
    message: String,
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
    let (_, client) = ctx.client(config).await?;

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

    let (events_tx, mut events) = mpsc::unbounded_channel();
    let options = UploadOptions {
        strategy: args.strategy.into(),
        events: Some(events_tx),
    };
    let started = Instant::now();
    let mut running = JoinSet::new();
    // What each task uploads, to name the file if the task itself dies.
    let mut tasks = HashMap::new();
    let mut planner = Planner::default();
    for file in walked.files {
        let target = (bucket.as_str(), prefix.as_str());
        match start(&client, &mut planner, target, &file, options.clone()) {
            Ok((handle, destination)) => {
                ui.add(handle.id(), &destination, file.size);
                let task = running.spawn(handle.wait());
                tasks.insert(task.id(), (file.source, destination));
            }
            Err(failure) => failures.push(failure),
        }
    }
    // Only the uploads hold senders now: the channel closes when the last one ends.
    drop(options);

    let (mut uploaded, mut uploaded_bytes) = (0_usize, 0_u64);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let (task, result) = tokio::select! {
            biased;
            _ = &mut ctrl_c => {
                // Dropping the handles stops the uploads; what the server acknowledged stays
                // resumable (in this process's memory only).
                let stopped = running.len();
                drop(running);
                ui.clear();
                eprintln!("interrupted: {stopped} unfinished uploads stopped");
                return Ok(ExitCode::from(INTERRUPTED));
            }
            Some(event) = events.recv() => {
                ui.event(event);
                continue;
            }
            joined = running.join_next_with_id() => match joined {
                None => break,
                Some(Ok((task, result))) => {
                    (task, result.map_err(|e| (e.code().to_owned(), e.to_string())))
                }
                Some(Err(error)) => (
                    error.id(),
                    Err(("internal".to_owned(), format!("the upload task died: {error}"))),
                ),
            },
        };
        let Some((source, destination)) = tasks.remove(&task) else {
            continue;
        };
        match result {
            Ok(outcome) => {
                uploaded += 1;
                uploaded_bytes += outcome.size;
                report_success(&ui, json, bucket.as_str(), &destination, &outcome)?;
            }
            Err((code, message)) => failures.push(Failure {
                source,
                destination: Some(destination),
                code,
                message,
            }),
        }
    }
    while let Ok(event) = events.try_recv() {
        ui.event(event);
    }
    ui.clear();
    if !json && uploaded > 0 {
        eprintln!(
            "{uploaded} uploaded ({}) in {:.1}s",
            human_bytes(uploaded_bytes),
            started.elapsed().as_secs_f64()
        );
    }
    if failures.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    failures.sort_by(|a, b| a.source.cmp(&b.source));
    eprintln!("{} of {attempted} uploads failed:", failures.len());
    for failure in &failures {
        let target = failure
            .destination
            .as_ref()
            .map(|d| format!(" → {}/{d}", bucket.as_str()))
            .unwrap_or_default();
        eprintln!(
            "  {}{target}: {} [{}]",
            failure.source.display(),
            failure.message,
            failure.code
        );
    }
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
        let destination =
            Destination::parse(bucket, &path).map_err(|e| failure(file, &path, e.code(), e))?;
        // Compared as the server stores it (NFC).
        let path = destination.path.as_str();
        if !self.taken.insert(path.to_owned()) {
            let message = format!("another file of this upload also goes to {bucket}/{path}");
            return Err(failure(file, path, "duplicate_path", message));
        }
        Ok(destination)
    }
}

fn failure(file: &LocalFile, path: &str, code: &str, message: impl ToString) -> Failure {
    Failure {
        source: file.source.clone(),
        destination: Some(path.to_owned()),
        code: code.to_owned(),
        message: message.to_string(),
    }
}

/// Checks the destination and starts one upload.
fn start(
    client: &UploadClient,
    planner: &mut Planner,
    (bucket, prefix): (&str, &str),
    file: &LocalFile,
    options: UploadOptions,
) -> Result<(mediasaur::UploadHandle, String), Failure> {
    let destination = planner.destination(bucket, prefix, file)?;
    let path = destination.path.as_str().to_owned();
    let handle = client
        .upload(&file.source, destination, options)
        .map_err(|e| failure(file, &path, e.code(), e))?;
    Ok((handle, path))
}

/// One line per uploaded file on stdout: the File object with `--json`, else a short sentence.
fn report_success(
    ui: &ProgressUi,
    json: bool,
    bucket: &str,
    destination: &str,
    outcome: &UploadOutcome,
) -> CliResult<()> {
    let line = if json {
        match &outcome.file {
            Some(file) => to_json(file)?,
            None => to_json(&serde_json::json!({
                "sha256": outcome.sha256,
                "size": outcome.size,
                "upload_url": outcome.upload_url,
            }))?,
        }
    } else {
        let location = outcome
            .file
            .as_ref()
            .map(|f| format!("{} {}", f.id, f.url))
            .or_else(|| outcome.upload_url.clone())
            .unwrap_or_default();
        // A re-run over files already there says so instead of pretending to upload them again.
        let verb = if outcome.reused {
            "already uploaded"
        } else {
            "uploaded"
        };
        format!(
            "{verb} {bucket}/{destination} ({}) {location}",
            human_bytes(outcome.size)
        )
    };
    ui.suspend(|| print_line(&line))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(relative: &str) -> LocalFile {
        LocalFile {
            source: PathBuf::from("/src").join(relative),
            relative: relative.to_owned(),
            size: 1,
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
        assert_eq!(bad.destination.as_deref(), Some("back\\slash"));
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
