//! `history search|export|get`: the local record of uploads, searched, exported and shown without
//! asking the server.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use chrono::{DateTime, Local, NaiveDate, TimeZone};
use clap::{Args, Subcommand, ValueEnum};
use mediasaur::api::FileKind;
use mediasaur::store::export::ExportFormat;
use mediasaur::store::history::HistoryEntry;
use mediasaur::store::search::{HistoryQuery, DEFAULT_LIMIT, MAX_LIMIT};
use mediasaur::store::share::HistoryEntryWithLinks;
use mediasaur::ClientError;

use crate::args::human_bytes;
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::output::{print_json, print_line, print_table};

/// `mediasaur history`.
#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Finds uploads by words in their name or path and by their facts, newest first.
    Search(SearchArgs),
    /// Writes every upload the filters select, with its share links, as CSV or JSON.
    Export(ExportArgs),
    /// Shows one upload and its share links.
    Get {
        /// The file's id (file_…), or the history entry's number.
        id: String,
    },
}

/// `mediasaur history search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    #[command(flatten)]
    filters: FilterArgs,
    /// Entries per page.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LIMIT,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_LIMIT)))]
    limit: u32,
    /// Continue after an earlier page (the cursor it printed after `more:`).
    #[arg(long, value_name = "C")]
    cursor: Option<String>,
}

/// `mediasaur history export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    filters: FilterArgs,
    /// The file format.
    #[arg(long, value_enum)]
    format: FormatArg,
    /// Write to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// The export formats, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    /// A header row, then one row per upload.
    Csv,
    /// One JSON array of upload objects.
    Json,
}

/// What both `search` and `export` select by.
#[derive(Debug, Args)]
struct FilterArgs {
    /// Words that must all appear in the name or the path (as word beginnings; case and accents
    /// are ignored).
    #[arg(value_name = "QUERY")]
    words: Vec<String>,
    /// Only this kind: image, video, audio, document, archive or other.
    #[arg(long, value_name = "KIND", value_parser = parse_kind)]
    kind: Option<FileKind>,
    /// Only this MIME type (image/png) or family (image/).
    #[arg(long = "type", value_name = "MIME")]
    mime_type: Option<String>,
    /// Only images and videos at least N pixels wide.
    #[arg(long, value_name = "N")]
    min_width: Option<u32>,
    /// Only images and videos at most N pixels wide.
    #[arg(long, value_name = "N")]
    max_width: Option<u32>,
    /// Only images and videos at least N pixels high.
    #[arg(long, value_name = "N")]
    min_height: Option<u32>,
    /// Only images and videos at most N pixels high.
    #[arg(long, value_name = "N")]
    max_height: Option<u32>,
    /// Only audio and video lasting at least S seconds.
    #[arg(long, value_name = "S")]
    min_duration: Option<f64>,
    /// Only audio and video lasting at most S seconds.
    #[arg(long, value_name = "S")]
    max_duration: Option<f64>,
    /// Only files in this bucket.
    #[arg(long, value_name = "B")]
    bucket: Option<String>,
    /// Only uploads made with this profile (default: every profile).
    #[arg(long, value_name = "P")]
    from_profile: Option<String>,
    /// Only uploads from this day (2026-11-23, local time) or instant (RFC 3339) on.
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    since: Option<i64>,
    /// Only uploads up to the end of this day (2026-11-23, local time) or before this instant
    /// (RFC 3339).
    #[arg(long, value_name = "DATE", value_parser = parse_until)]
    until: Option<i64>,
    /// Only uploads whose bytes the server confirmed (same SHA-256).
    #[arg(long, conflicts_with = "unverified")]
    verified: bool,
    /// Only uploads that were not confirmed.
    #[arg(long)]
    unverified: bool,
}

impl FilterArgs {
    fn into_query(self) -> HistoryQuery {
        let text = self.words.join(" ");
        HistoryQuery {
            text: (!text.trim().is_empty()).then_some(text),
            kind: self.kind,
            mime_type: self.mime_type,
            profile: self.from_profile,
            bucket: self.bucket,
            uploaded_after: self.since,
            uploaded_before: self.until,
            min_width: self.min_width,
            max_width: self.max_width,
            min_height: self.min_height,
            max_height: self.max_height,
            min_duration: self.min_duration,
            max_duration: self.max_duration,
            verified: match (self.verified, self.unverified) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            },
            ..HistoryQuery::default()
        }
    }
}

/// Runs a `history` command.
pub async fn run(ctx: &Context, json: bool, command: HistoryCommand) -> CliResult<()> {
    let db = ctx.database().await?;
    match command {
        HistoryCommand::Search(args) => {
            let query = HistoryQuery {
                cursor: args.cursor,
                limit: args.limit,
                ..args.filters.into_query()
            };
            let page = db.search_history(&query).await?;
            if json {
                for entry in &page.entries {
                    print_json(entry)?;
                }
            } else {
                print_entries(&page.entries)?;
            }
            if let Some(cursor) = &page.next_cursor {
                eprintln!("more: --cursor {cursor}");
            }
            Ok(())
        }
        HistoryCommand::Export(args) => {
            let format = match args.format {
                FormatArg::Csv => ExportFormat::Csv,
                FormatArg::Json => ExportFormat::Json,
            };
            let query = args.filters.into_query();
            match args.output {
                Some(path) => {
                    let file = File::create(&path).map_err(|e| {
                        CliError::new("io", format!("cannot create {}: {e}", path.display()))
                    })?;
                    let mut out = TrackedWriter::new(BufWriter::new(file));
                    let result = db.export_history(&query, format, &mut out).await;
                    let count = out.result(result, &path.display().to_string());
                    if count.is_err() {
                        // A half-written export would pass for a complete one.
                        let _ = std::fs::remove_file(&path);
                    }
                    eprintln!("exported {} entries to {}", count?, path.display());
                    Ok(())
                }
                None => {
                    let mut out = TrackedWriter::new(BufWriter::new(std::io::stdout()));
                    let result = db.export_history(&query, format, &mut out).await;
                    out.result(result, "stdout").map(drop)
                }
            }
        }
        HistoryCommand::Get { id } => {
            let entry = match id.parse::<i64>() {
                Ok(number) => db.history_entry(number).await?,
                Err(_) => db.history_by_file_id(&id, None).await?.ok_or_else(|| {
                    ClientError::NotFound {
                        what: format!("{id:?} in the local history"),
                    }
                })?,
            };
            let entry = db.history_entry_with_links(entry.id).await?;
            if json {
                print_json(&entry)
            } else {
                print_details(&entry)
            }
        }
    }
}

/// A writer that remembers why writing failed, so a full disk or a closed pipe is reported as such
/// rather than as whatever the core makes of it.
struct TrackedWriter<W> {
    inner: W,
    failure: Option<String>,
}

impl<W: Write> TrackedWriter<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            failure: None,
        }
    }

    /// The export's count, or its error: an `io` one when this writer failed.
    fn result(&self, result: Result<u64, ClientError>, target: &str) -> CliResult<u64> {
        match (result, &self.failure) {
            (Ok(count), _) => Ok(count),
            (Err(_), Some(failure)) => Err(CliError::new(
                "io",
                format!("cannot write to {target}: {failure}"),
            )),
            (Err(error), None) => Err(error.into()),
        }
    }

    fn track<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(error) = &result {
            self.failure.get_or_insert_with(|| error.to_string());
        }
        result
    }
}

impl<W: Write> Write for TrackedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let result = self.inner.write(buf);
        self.track(result)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = self.inner.flush();
        self.track(result)
    }
}

fn print_entries(entries: &[HistoryEntry]) -> CliResult<()> {
    if entries.is_empty() {
        eprintln!("no uploads found");
        return Ok(());
    }
    let rows: Vec<[String; 7]> = entries
        .iter()
        .map(|entry| {
            let file = &entry.file;
            [
                local_time(entry.uploaded_at),
                file.kind.as_str().to_owned(),
                shape(entry),
                human_bytes(file.filesize),
                format!("{}/{}", file.bucket, file.path),
                file.id.clone(),
                if entry.verified { "✓" } else { "" }.to_owned(),
            ]
        })
        .collect();
    print_table(
        &["UPLOADED", "KIND", "SHAPE", "SIZE", "PATH", "ID", "OK"],
        &rows,
    )
}

fn print_details(item: &HistoryEntryWithLinks) -> CliResult<()> {
    let entry = &item.entry;
    let file = &entry.file;
    let mut rows = vec![
        ("entry", entry.id.to_string()),
        ("id", file.id.clone()),
        ("profile", entry.profile.clone()),
        ("path", format!("{}/{}", file.bucket, file.path)),
        (
            "kind",
            format!("{} ({})", file.kind.as_str(), file.mime_type),
        ),
        ("size", human_bytes(file.filesize)),
    ];
    let shape = shape(entry);
    if !shape.is_empty() {
        rows.push(("shape", shape));
    }
    rows.extend([
        ("url", file.url.clone()),
        (
            "verified",
            if entry.verified { "yes" } else { "no" }.to_owned(),
        ),
        ("uploaded", local_time(entry.uploaded_at)),
    ]);
    if let Some(source) = &entry.source {
        rows.push(("source", source.display().to_string()));
    }
    for link in &item.share_links {
        rows.push((
            "shared",
            format!("{} (until {})", link.url, local_time(link.expires_at)),
        ));
    }
    for (key, value) in rows {
        print_line(&format!("{key:9}{value}"))?;
    }
    Ok(())
}

/// `4000x3000`, `3:25`, both for a video, or nothing.
fn shape(entry: &HistoryEntry) -> String {
    let file = &entry.file;
    let size = match (file.width, file.height) {
        (Some(width), Some(height)) => Some(format!("{width}x{height}")),
        _ => None,
    };
    let duration = file.duration.map(|seconds| {
        let total = seconds.round() as u64;
        let (hours, minutes, seconds) = (total / 3600, total / 60 % 60, total % 60);
        if hours > 0 {
            format!("{hours}:{minutes:02}:{seconds:02}")
        } else {
            format!("{minutes}:{seconds:02}")
        }
    });
    [size, duration]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

fn local_time(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|time| {
            time.with_timezone(&Local)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| ms.to_string())
}

fn parse_kind(raw: &str) -> Result<FileKind, String> {
    FileKind::parse(&raw.to_ascii_lowercase()).ok_or_else(|| {
        format!("{raw:?} is not a kind: use image, video, audio, document, archive or other")
    })
}

/// `--since`: the start of a local day, or an RFC 3339 instant, in ms since the epoch.
fn parse_since(raw: &str) -> Result<i64, String> {
    parse_date(raw, 0)
}

/// `--until`: the end of a local day (the next day's start), or an RFC 3339 instant.
fn parse_until(raw: &str) -> Result<i64, String> {
    parse_date(raw, 1)
}

fn parse_date(raw: &str, days_after: u64) -> Result<i64, String> {
    let raw = raw.trim();
    if let Ok(instant) = DateTime::parse_from_rfc3339(raw) {
        return Ok(instant.timestamp_millis());
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        format!("{raw:?} is not a date: use 2026-11-23 or 2026-11-23T14:05:00+01:00")
    })?;
    let midnight = day
        .checked_add_days(chrono::Days::new(days_after))
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .ok_or_else(|| format!("{raw:?} is out of range"))?;
    // `earliest` picks a day's start even where a DST change skips or repeats midnight.
    Local
        .from_local_datetime(&midnight)
        .earliest()
        .map(|time| time.timestamp_millis())
        .ok_or_else(|| format!("{raw:?} has no midnight in the local time zone"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_days_or_instants() {
        let instant = parse_since("2026-11-23T10:00:00Z").expect("RFC 3339");
        assert_eq!(instant, 1_795_428_000_000);
        assert_eq!(parse_until("2026-11-23T10:00:00Z"), Ok(instant));
        let start = parse_since("2026-11-23").expect("a day");
        let end = parse_until("2026-11-23").expect("a day");
        assert!((23..=25).contains(&((end - start) / 3_600_000)), "one day");
        for bad in ["", "23/11/2026", "2026-13-01", "yesterday"] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds_are_the_wire_names() {
        assert_eq!(parse_kind("Image"), Ok(FileKind::Image));
        assert!(parse_kind("photo").unwrap_err().contains("image, video"));
    }
}
