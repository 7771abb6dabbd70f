//! `watch add|list|remove|run`: watched folders. `run` watches every unpaused folder in the
//! foreground and sends what they queue, with progress, until Ctrl-C.

use std::io::IsTerminal;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use mediasaur::store::watches::{AfterUpload, NewWatch, Watch};
use mediasaur::transfers::{start_queue, QueueConfig};
use mediasaur::watch::{FolderWatcher, WatchEvent, WatchOptions};
use tokio::sync::mpsc;

use crate::commands::sign::no_bucket;
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::output::{print_json, print_table};
use crate::progress_ui::{ProgressMode, ProgressUi};
use crate::queue_ui::{follow, runner_error};

/// `mediasaur watch …`.
#[derive(Debug, Subcommand)]
pub enum WatchCommand {
    /// Watch a folder: finished files in it are uploaded (once each).
    Add(AddArgs),
    /// List the watched folders.
    List,
    /// Stop watching a folder (its queued transfers stay).
    Remove {
        /// The watch's id (see `watch list`).
        id: i64,
    },
    /// Watch every folder in the foreground and upload what appears, until Ctrl-C.
    Run(RunArgs),
}

/// `watch add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The folder.
    folder: PathBuf,
    /// Bucket to upload to (default: the profile's).
    #[arg(long, value_name = "B")]
    bucket: Option<String>,
    /// Put this before every uploaded path (default: none).
    #[arg(long, value_name = "P", default_value = "")]
    prefix: String,
    /// Only the folder itself, not its subfolders.
    #[arg(long)]
    no_recursive: bool,
    /// Also ignore files matching this glob (repeatable), on top of temp and system files.
    #[arg(long, value_name = "GLOB")]
    ignore: Vec<String>,
    /// Move each uploaded file into a `.uploaded/` subfolder.
    #[arg(long)]
    move_after_upload: bool,
}

/// `watch run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// How long a file's size and mtime must hold still before it is uploaded (e.g. 2s, 500ms).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    stability: Duration,
    /// Transfers sending at the same time.
    #[arg(long, value_name = "N", default_value = "4")]
    concurrency: NonZeroUsize,
}

/// Runs a `watch` command.
pub async fn run(ctx: &Context, json: bool, command: WatchCommand) -> CliResult<ExitCode> {
    let db = ctx.database().await?;
    match command {
        WatchCommand::Add(args) => {
            let profile = ctx.profile()?;
            let bucket = match (args.bucket, &profile.bucket) {
                (Some(bucket), _) => bucket,
                (None, Some(bucket)) => bucket.as_str().to_owned(),
                (None, None) => return Err(no_bucket(&profile.name)),
            };
            let folder = std::path::absolute(&args.folder).unwrap_or(args.folder);
            let watch = db
                .add_watch(&NewWatch {
                    folder,
                    profile: profile.name,
                    bucket,
                    prefix: args.prefix.trim_matches('/').to_owned(),
                    recursive: !args.no_recursive,
                    ignore: args.ignore,
                    after_upload: if args.move_after_upload {
                        AfterUpload::Move
                    } else {
                        AfterUpload::Keep
                    },
                })
                .await?;
            if json {
                print_json(&watch)?;
            } else {
                eprintln!(
                    "watching {} (watch {}); `mediasaur watch run` uploads what appears",
                    watch.folder.display(),
                    watch.id
                );
            }
        }
        WatchCommand::List => {
            let watches = db.watches().await?;
            if json {
                watches.iter().try_for_each(print_json)?;
            } else if watches.is_empty() {
                eprintln!("no watched folders; add one with `mediasaur watch add FOLDER`");
            } else {
                let rows: Vec<[String; 5]> = watches.iter().map(row).collect();
                print_table(
                    &["ID", "FOLDER", "DESTINATION", "OPTIONS", "PROFILE"],
                    &rows,
                )?;
            }
        }
        WatchCommand::Remove { id } => {
            db.remove_watch(id).await?;
            eprintln!("watch {id} removed");
        }
        WatchCommand::Run(args) => return run_watches(ctx, db, json, args).await,
    }
    Ok(ExitCode::SUCCESS)
}

fn row(watch: &Watch) -> [String; 5] {
    let mut options = vec![if watch.recursive {
        "recursive"
    } else {
        "top level"
    }
    .to_owned()];
    if watch.after_upload == AfterUpload::Move {
        options.push("move to .uploaded".into());
    }
    if watch.paused {
        options.push("paused".into());
    }
    options.extend(watch.ignore.iter().map(|glob| format!("ignore {glob}")));
    [
        watch.id.to_string(),
        watch.folder.display().to_string(),
        format!("{}/{}", watch.bucket, watch.prefix),
        options.join(", "),
        watch.profile.clone(),
    ]
}

async fn run_watches(
    ctx: &Context,
    db: mediasaur::store::Database,
    json: bool,
    args: RunArgs,
) -> CliResult<ExitCode> {
    let watches: Vec<Watch> = db
        .watches()
        .await?
        .into_iter()
        .filter(|w| !w.paused)
        .collect();
    if watches.is_empty() {
        return Err(CliError::new(
            "no_watches",
            "no watched folder to run; add one with `mediasaur watch add FOLDER`",
        ));
    }
    let (queue_tx, queue_events) = mpsc::unbounded_channel();
    let config = QueueConfig {
        concurrency: args.concurrency.get(),
        ..QueueConfig::default()
    };
    let queue =
        start_queue(db.clone(), ctx.credentials(), config, queue_tx).map_err(runner_error)?;
    let waker = queue.waker();
    let options = WatchOptions {
        stability_window: args.stability,
        max_stability_window: (args.stability * 15).max(Duration::from_secs(30)),
        ..WatchOptions::default()
    };
    let (watch_tx, mut watch_events) = mpsc::unbounded_channel();
    let mut handles = Vec::with_capacity(watches.len());
    for watch in watches {
        let folder = watch.folder.clone();
        let handle =
            FolderWatcher::start(db.clone(), watch, options, watch_tx.clone()).map_err(|e| {
                CliError::new(e.code(), format!("cannot watch {}: {e}", folder.display()))
            })?;
        if !json {
            eprintln!("watching {}", folder.display());
        }
        handles.push(handle);
    }
    drop(watch_tx);
    let log = !json && !std::io::stderr().is_terminal();
    // Queued files wake the runner at once rather than at its next heartbeat.
    let reporter = tokio::spawn(async move {
        while let Some(event) = watch_events.recv().await {
            match &event {
                WatchEvent::Queued { .. } => waker.notify_one(),
                WatchEvent::Error {
                    path,
                    message,
                    code,
                    ..
                } => {
                    let place = path
                        .as_ref()
                        .map(|p| format!("{}: ", p.display()))
                        .unwrap_or_default();
                    eprintln!("watch error: {place}{message} [{code}]");
                }
                WatchEvent::Waiting { path, reason, .. } if log => {
                    eprintln!("waiting: {} ({reason})", path.display());
                }
                WatchEvent::Skipped { path, reason, .. } if log => {
                    eprintln!(
                        "skipped: {} ({})",
                        path.display(),
                        serde_json::to_string(reason).unwrap_or_default()
                    );
                }
                _ => {}
            }
        }
    });
    let mut ui = ProgressUi::new(match (json, std::io::stderr().is_terminal()) {
        (true, _) => ProgressMode::Quiet,
        (false, true) => ProgressMode::Bars,
        (false, false) => ProgressMode::Log,
    });
    let report = follow(queue, queue_events, &mut ui, json).await?;
    ui.clear();
    for handle in handles {
        handle.shutdown().await;
    }
    reporter.abort();
    if !json {
        eprintln!(
            "stopped: {} uploaded, {} failed; unfinished transfers stay queued",
            report.done,
            report.failures.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `2s`, `500ms`, `1m`, or plain seconds.
fn parse_duration(raw: &str) -> Result<Duration, String> {
    let text = raw.trim();
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((text, "s"), |at| text.split_at(at));
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration: use 2s, 500ms or 1m"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("{raw:?} is not a duration: use 2s, 500ms or 1m")),
    };
    if !(0.05..=3600.0).contains(&seconds) {
        return Err(format!("{raw:?} must be between 50ms and 1h"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units_and_refuse_nonsense() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("abc").is_err());
        assert!(parse_duration("2h").is_err());
    }
}
