//! `share FILE_ID`: a download URL signed locally with the profile's key, recorded with the upload in
//! the local history so it can be found (and exported) later.

use chrono::{DateTime, SecondsFormat};
use clap::Args;
use mediasaur::api::signed_url::{SignedMethod, EXPIRY_PARAM};
use mediasaur::store::history::NewHistoryEntry;
use mediasaur::ClientConfig;
use serde::Serialize;

use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::output::{print_json, print_line};

/// The longest a share link may last: a year.
const MAX_EXPIRY_SECS: u64 = 365 * 86_400;

/// `mediasaur share`.
#[derive(Debug, Args)]
pub struct ShareArgs {
    /// The file's id (file_…).
    file_id: String,
    /// How long the link works: 90s, 15m, 1h, 1d, 7d (up to 365d).
    #[arg(long, value_name = "DURATION", default_value = "1d", value_parser = parse_expires_in)]
    expires_in: u64,
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct Shared<'a> {
    url: &'a str,
    /// RFC 3339, UTC.
    expires_at: String,
    file_id: &'a str,
}

/// Signs a GET URL for the file, records it and prints it.
pub async fn run(ctx: &Context, json: bool, args: ShareArgs) -> CliResult<()> {
    let (profile, client) = ctx.client(ClientConfig::default()).await?;
    let db = ctx.database().await?;
    let entry = match db
        .history_by_file_id(&args.file_id, Some(&profile.name))
        .await?
    {
        Some(entry) => entry,
        None => {
            // Uploaded elsewhere (another machine, the web): record it as the server describes it,
            // with no local SHA-256, so it shows as not verified.
            let file = client.get_file(&args.file_id).await?;
            let id = db
                .record_upload(&NewHistoryEntry {
                    profile: profile.name.clone(),
                    source: None,
                    sha256: String::new(),
                    file,
                })
                .await?;
            db.history_entry(id).await?
        }
    };
    let file = &entry.file;
    let url = client.sign_url(
        SignedMethod::Get,
        &file.bucket,
        &file.path,
        args.expires_in,
        None,
    )?;
    let expiry_secs = url
        .query_pairs()
        .find(|(name, _)| name == EXPIRY_PARAM)
        .and_then(|(_, value)| value.parse::<i64>().ok())
        .ok_or_else(|| CliError::new("internal", "the signed URL carries no expiry"))?;
    let expires_at_ms = expiry_secs.saturating_mul(1000);
    db.record_share_link(entry.id, url.as_str(), expires_at_ms)
        .await?;
    if json {
        print_json(&Shared {
            url: url.as_str(),
            expires_at: DateTime::from_timestamp_millis(expires_at_ms)
                .map(|time| time.to_rfc3339_opts(SecondsFormat::Secs, true))
                .unwrap_or_default(),
            file_id: &file.id,
        })
    } else {
        print_line(url.as_str())
    }
}

/// `90s`, `15m`, `1h`, `1d`, `7d`, or plain seconds; at least one second, at most [`MAX_EXPIRY_SECS`].
fn parse_expires_in(raw: &str) -> Result<u64, String> {
    let text = raw.trim();
    let (number, unit_secs) = match text.char_indices().last() {
        Some((at, unit)) if unit.is_ascii_alphabetic() => {
            let secs = match unit.to_ascii_lowercase() {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                _ => return Err(bad_duration(raw)),
            };
            (&text[..at], secs)
        }
        _ => (text, 1),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_duration(raw));
    }
    let secs = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_secs))
        .filter(|secs| *secs <= MAX_EXPIRY_SECS)
        .ok_or_else(|| format!("{raw:?} is too long: a share link lasts at most 365d"))?;
    if secs == 0 {
        return Err("a share link must last at least 1s".to_owned());
    }
    Ok(secs)
}

fn bad_duration(raw: &str) -> String {
    format!("{raw:?} is not a duration: use a number with s, m, h or d (90s, 15m, 1h, 7d)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_have_units() {
        for (raw, secs) in [
            ("90s", 90),
            ("15m", 900),
            ("1h", 3600),
            ("1d", 86_400),
            ("7D", 604_800),
            ("45", 45),
            ("365d", MAX_EXPIRY_SECS),
        ] {
            assert_eq!(parse_expires_in(raw), Ok(secs), "{raw}");
        }
        for bad in [
            "",
            "0",
            "0s",
            "abc",
            "1w",
            "-1h",
            "1.5h",
            "h",
            "366d",
            "99999999999999999999d",
        ] {
            assert!(parse_expires_in(bad).is_err(), "{bad}");
        }
    }
}
