//! History export: every entry a search selects, with its share links, written as JSON or CSV a page
//! at a time, so exporting a million uploads holds one page in memory, not the table.

use std::io::Write;

use chrono::{DateTime, SecondsFormat};
use mediasaur_api::ErrorCode;
use serde::{Deserialize, Serialize};

use super::search::{HistoryQuery, SearchPlan, MAX_LIMIT};
use super::share::HistoryEntryWithLinks;
use super::Database;
use crate::error::{ClientError, ClientResult};

/// How the export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// One JSON array of history entries (with `file` and `share_links`), one entry per line.
    Json,
    /// A header row, then one row per entry (see [`CSV_HEADER`]).
    Csv,
}

/// The CSV columns. Times are RFC 3339 (UTC), `duration` is in seconds, `sha256` is the server's,
/// `verified` says it equals the one computed locally, and `share_links` holds the entry's share
/// URLs joined with `;`.
pub const CSV_HEADER: [&str; 18] = [
    "id",
    "file_id",
    "profile",
    "bucket",
    "path",
    "name",
    "kind",
    "type",
    "size",
    "width",
    "height",
    "duration",
    "url",
    "sha256",
    "verified",
    "source",
    "uploaded_at",
    "share_links",
];

impl Database {
    /// Writes every entry `filter` selects, newest first, to `out`, and returns how many there were.
    /// The filter's `cursor` and `limit` are ignored: the export reads every page itself.
    pub async fn export_history<W: Write>(
        &self,
        filter: &HistoryQuery,
        format: ExportFormat,
        out: W,
    ) -> ClientResult<u64> {
        let plan = SearchPlan::new(filter)?;
        let mut sink = match format {
            ExportFormat::Json => Sink::Json { out, written: 0 },
            ExportFormat::Csv => Sink::Csv(Box::new(csv::Writer::from_writer(out))),
        };
        sink.start()?;
        let mut before_id = None;
        let mut exported = 0_u64;
        loop {
            let (entries, more) = self.search_page(&plan, before_id, MAX_LIMIT).await?;
            before_id = entries.last().map(|entry| entry.id);
            for entry in self.with_share_links(entries).await? {
                sink.entry(&entry)?;
                exported += 1;
            }
            if !more {
                break;
            }
        }
        sink.finish()?;
        Ok(exported)
    }
}

/// The writer in the chosen format.
enum Sink<W: Write> {
    Json { out: W, written: u64 },
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> Sink<W> {
    fn start(&mut self) -> ClientResult<()> {
        match self {
            Self::Json { out, .. } => out.write_all(b"[").map_err(write_failed),
            Self::Csv(writer) => writer.write_record(CSV_HEADER).map_err(csv_failed),
        }
    }

    fn entry(&mut self, item: &HistoryEntryWithLinks) -> ClientResult<()> {
        match self {
            Self::Json { out, written } => {
                let separator: &[u8] = if *written == 0 { b"\n" } else { b",\n" };
                out.write_all(separator).map_err(write_failed)?;
                serde_json::to_writer(&mut *out, item).map_err(|e| {
                    if e.is_io() {
                        write_failed(e.into())
                    } else {
                        export_failed(format!(
                            "cannot encode history entry {}: {e}",
                            item.entry.id
                        ))
                    }
                })?;
                *written += 1;
                Ok(())
            }
            Self::Csv(writer) => writer.write_record(csv_row(item)).map_err(csv_failed),
        }
    }

    fn finish(self) -> ClientResult<()> {
        match self {
            Self::Json { mut out, .. } => out
                .write_all(b"\n]\n")
                .and_then(|()| out.flush())
                .map_err(write_failed),
            Self::Csv(mut writer) => writer.flush().map_err(write_failed),
        }
    }
}

/// One CSV row, in [`CSV_HEADER`]'s order.
fn csv_row(item: &HistoryEntryWithLinks) -> [String; 18] {
    let entry = &item.entry;
    let file = &entry.file;
    let optional = |value: Option<u32>| value.map(|v| v.to_string()).unwrap_or_default();
    [
        entry.id.to_string(),
        file.id.clone(),
        entry.profile.clone(),
        file.bucket.clone(),
        file.path.clone(),
        file.path
            .rsplit('/')
            .next()
            .unwrap_or(&file.path)
            .to_owned(),
        file.kind.as_str().to_owned(),
        file.mime_type.clone(),
        file.filesize.to_string(),
        optional(file.width),
        optional(file.height),
        file.duration.map(|s| s.to_string()).unwrap_or_default(),
        file.url.clone(),
        file.sha256.clone(),
        entry.verified.to_string(),
        entry
            .source
            .as_deref()
            .map(|path| path.display().to_string())
            .unwrap_or_default(),
        rfc3339(entry.uploaded_at),
        item.share_links
            .iter()
            .map(|link| link.url.as_str())
            .collect::<Vec<_>>()
            .join(";"),
    ]
}

/// Milliseconds since the epoch as RFC 3339 in UTC (the raw number if it is out of chrono's range).
fn rfc3339(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|time| time.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

fn csv_failed(error: csv::Error) -> ClientError {
    if error.is_io_error() {
        match error.into_kind() {
            csv::ErrorKind::Io(io) => write_failed(io),
            other => export_failed(format!("cannot write the CSV export: {other:?}")),
        }
    } else {
        export_failed(format!("cannot write the CSV export: {error}"))
    }
}

/// The output could not be written (disk full, closed pipe). There is no I/O variant for output in
/// [`ClientError`]; `internal` at least does not blame the query.
fn write_failed(error: std::io::Error) -> ClientError {
    export_failed(format!("cannot write the export: {error}"))
}

fn export_failed(message: String) -> ClientError {
    ClientError::Invalid {
        code: ErrorCode::Internal,
        message,
    }
}
