//! History search: words matched against names and paths through the FTS5 index, plus filters on the
//! File facts (kind, type, dimensions, duration, dates, profile, bucket, verification), newest first,
//! one page at a time behind an opaque cursor.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mediasaur_api::{ErrorCode, FileKind};
use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Sqlite};

use super::history::{EntryRow, HistoryEntry, ENTRY_COLUMNS};
use super::{database, Database};
use crate::error::{ClientError, ClientResult};

/// Entries per page when the query does not say.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest page a query may ask for.
pub const MAX_LIMIT: u32 = 500;
/// Words a text search may hold: FTS5 nests one expression level per word, and nobody types more.
pub const MAX_WORDS: usize = 32;

/// Prefix of the cursor's payload, so a cursor from another listing (e.g. the server's file list)
/// is refused instead of being misread as a row id.
const CURSOR_TAG: &str = "h";

/// What to look for in the history. Every field narrows the search; the default finds everything.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HistoryQuery {
    /// Words that must all appear in the name or the path, each as a word prefix (`hol par` finds
    /// `holiday-paris.jpg`), ignoring case and diacritics. Punctuation is part of no word: the text
    /// is never read as FTS5 syntax.
    pub text: Option<String>,
    /// Only this kind of file.
    pub kind: Option<FileKind>,
    /// An exact MIME type (`image/png`) or a family (`image/`, or `image` alone).
    #[serde(alias = "type")]
    pub mime_type: Option<String>,
    /// Only uploads made with this profile.
    pub profile: Option<String>,
    /// Only files in this bucket.
    pub bucket: Option<String>,
    /// Only uploads finished at or after this time (ms since the Unix epoch).
    pub uploaded_after: Option<i64>,
    /// Only uploads finished before this time (ms since the Unix epoch).
    pub uploaded_before: Option<i64>,
    /// Only images and videos at least this many pixels wide.
    pub min_width: Option<u32>,
    /// Only images and videos at most this many pixels wide.
    pub max_width: Option<u32>,
    /// Only images and videos at least this many pixels high.
    pub min_height: Option<u32>,
    /// Only images and videos at most this many pixels high.
    pub max_height: Option<u32>,
    /// Only audio and video lasting at least this many seconds.
    pub min_duration: Option<f64>,
    /// Only audio and video lasting at most this many seconds.
    pub max_duration: Option<f64>,
    /// Only entries whose server SHA-256 equals (true) or differs from (false) the local one.
    pub verified: Option<bool>,
    /// Where the previous page ended ([`HistoryPage::next_cursor`]); `None` for the first page.
    pub cursor: Option<String>,
    /// Entries per page, 1 to [`MAX_LIMIT`].
    pub limit: u32,
}

impl Default for HistoryQuery {
    fn default() -> Self {
        Self {
            text: None,
            kind: None,
            mime_type: None,
            profile: None,
            bucket: None,
            uploaded_after: None,
            uploaded_before: None,
            min_width: None,
            max_width: None,
            min_height: None,
            max_height: None,
            min_duration: None,
            max_duration: None,
            verified: None,
            cursor: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

/// One page of results, newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HistoryPage {
    /// The entries, newest first.
    pub entries: Vec<HistoryEntry>,
    /// Pass it as [`HistoryQuery::cursor`] for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl Database {
    /// The page of entries `query` selects, newest first. Bad input (a zero or oversized limit, a
    /// minimum above its maximum, a cursor this function did not make) is `invalid_request`.
    pub async fn search_history(&self, query: &HistoryQuery) -> ClientResult<HistoryPage> {
        if query.limit == 0 || query.limit > MAX_LIMIT {
            return Err(invalid(format!(
                "limit must be between 1 and {MAX_LIMIT}, not {}",
                query.limit
            )));
        }
        let before_id = query.cursor.as_deref().map(decode_cursor).transpose()?;
        let plan = SearchPlan::new(query)?;
        let (entries, more) = self.search_page(&plan, before_id, query.limit).await?;
        let next_cursor = match entries.last() {
            Some(last) if more => Some(encode_cursor(last.id)),
            _ => None,
        };
        Ok(HistoryPage {
            entries,
            next_cursor,
        })
    }

    /// Up to `limit` entries of `plan` older than row `before_id`, and whether more follow.
    pub(crate) async fn search_page(
        &self,
        plan: &SearchPlan<'_>,
        before_id: Option<i64>,
        limit: u32,
    ) -> ClientResult<(Vec<HistoryEntry>, bool)> {
        let fts = match &plan.text {
            TextMatch::Nothing => return Ok((Vec::new(), false)),
            TextMatch::Anything => None,
            TextMatch::Fts(expression) => Some(expression.as_str()),
        };
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut sql = select_sql(plan.query, fts, before_id, limit + 1);
        let mut rows: Vec<EntryRow> = sql
            .build_query_as()
            .fetch_all(self.pool())
            .await
            .map_err(database("searching the history"))?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let entries = rows
            .into_iter()
            .map(HistoryEntry::try_from)
            .collect::<ClientResult<Vec<_>>>()?;
        Ok((entries, more))
    }
}

/// A validated query, with its text turned into an FTS5 expression.
#[derive(Debug)]
pub(crate) struct SearchPlan<'q> {
    query: &'q HistoryQuery,
    text: TextMatch,
}

/// What the text asks of the full-text index.
#[derive(Debug, PartialEq)]
enum TextMatch {
    /// No text: every entry.
    Anything,
    /// Text without a single word (only punctuation): nothing can match it.
    Nothing,
    /// An FTS5 expression built by [`fts_expression`].
    Fts(String),
}

impl<'q> SearchPlan<'q> {
    /// Checks everything but the cursor and the limit, which only paging uses.
    pub(crate) fn new(query: &'q HistoryQuery) -> ClientResult<Self> {
        check_range("width", query.min_width, query.max_width)?;
        check_range("height", query.min_height, query.max_height)?;
        for (name, value) in [
            ("min_duration", query.min_duration),
            ("max_duration", query.max_duration),
        ] {
            if value.is_some_and(|seconds| !seconds.is_finite() || seconds < 0.0) {
                return Err(invalid(format!(
                    "{name} must be a number of seconds, 0 or more"
                )));
            }
        }
        check_range("duration", query.min_duration, query.max_duration)?;
        if let (Some(after), Some(before)) = (query.uploaded_after, query.uploaded_before) {
            if after >= before {
                return Err(invalid(
                    "uploaded_after must be earlier than uploaded_before: no upload can match",
                ));
            }
        }
        if query
            .mime_type
            .as_deref()
            .is_some_and(|mime| mime.trim().is_empty())
        {
            return Err(invalid(
                "the type filter is empty: give image/png or image/",
            ));
        }
        let text = match query.text.as_deref().map(fts_expression).transpose()? {
            None => TextMatch::Anything,
            Some(Words::None) => TextMatch::Anything,
            Some(Words::OnlyPunctuation) => TextMatch::Nothing,
            Some(Words::Fts(expression)) => TextMatch::Fts(expression),
        };
        Ok(Self { query, text })
    }
}

fn check_range<T: PartialOrd + std::fmt::Display>(
    what: &str,
    min: Option<T>,
    max: Option<T>,
) -> ClientResult<()> {
    match (min, max) {
        (Some(min), Some(max)) if min > max => Err(invalid(format!(
            "min_{what} ({min}) is larger than max_{what} ({max}): no file can match"
        ))),
        _ => Ok(()),
    }
}

/// The words of a search text.
#[derive(Debug, PartialEq)]
enum Words {
    /// Blank text: no constraint.
    None,
    /// Text, but no letter or digit in it.
    OnlyPunctuation,
    /// The FTS5 expression that requires every word.
    Fts(String),
}

/// Turns the user's text into an FTS5 expression that cannot be a syntax error: every
/// whitespace-separated word becomes an FTS5 string (`"` doubled inside) followed by `*`, so it
/// matches as a prefix, and the strings are ANDed. Inside a string FTS5 operators (`AND`, `NEAR`,
/// `:`, `-`, `(`) are plain text, and the tokenizer splits `cat-photo` into a phrase, as it split
/// the names when indexing them. Words without a letter or digit would be empty phrases, so they
/// are dropped; control characters (a NUL ends an FTS5 string early) become spaces.
fn fts_expression(text: &str) -> ClientResult<Words> {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if cleaned.trim().is_empty() {
        return Ok(Words::None);
    }
    let words: Vec<&str> = cleaned
        .split_whitespace()
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .collect();
    if words.is_empty() {
        return Ok(Words::OnlyPunctuation);
    }
    if words.len() > MAX_WORDS {
        return Err(invalid(format!(
            "the search text has {} words; at most {MAX_WORDS} are searched",
            words.len()
        )));
    }
    let expression = words
        .iter()
        .map(|word| format!("\"{}\"*", word.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" AND ");
    Ok(Words::Fts(expression))
}

/// The index search filters read (migration 0003): the filterable columns in id order, a small
/// fraction of a row's size (the File JSON is most of it).
const FACTS_INDEX: &str = "history_facts";

/// The SELECT for one page, in two steps: the page's ids, then their rows.
///
/// The ids come newest first from the full-text index when there is text (its rowids are history
/// ids, so a common word stops after one page), else from [`FACTS_INDEX`]. Filters are checked on
/// that narrow index, named outright: left to itself SQLite may prefer the time index for a date
/// range and then sort every row in the range, or read the wide rows to test a rare filter.
fn select_sql<'a>(
    query: &'a HistoryQuery,
    fts: Option<&'a str>,
    before_id: Option<i64>,
    limit: usize,
) -> QueryBuilder<'a, Sqlite> {
    let columns = ENTRY_COLUMNS
        .split(',')
        .map(|column| format!("h.{}", column.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut sql = QueryBuilder::new(format!(
        "SELECT {columns} FROM history AS h WHERE h.id IN (SELECT "
    ));
    let order_key = match fts {
        Some(expression) if has_filters(query) => {
            // CROSS JOIN keeps the full-text index as the outer loop.
            sql.push(format_args!(
                "history_fts.rowid FROM history_fts CROSS JOIN history AS x INDEXED BY \
                 {FACTS_INDEX} ON x.id = history_fts.rowid WHERE history_fts MATCH "
            ))
            .push_bind(expression);
            "history_fts.rowid"
        }
        Some(expression) => {
            sql.push("rowid FROM history_fts WHERE history_fts MATCH ")
                .push_bind(expression);
            "rowid"
        }
        None => {
            sql.push(format_args!(
                "x.id FROM history AS x INDEXED BY {FACTS_INDEX} WHERE 1"
            ));
            "x.id"
        }
    };
    if let Some(before_id) = before_id {
        sql.push(format_args!(" AND {order_key} < "))
            .push_bind(before_id);
    }
    push_filters(&mut sql, query);
    sql.push(format_args!(" ORDER BY {order_key} DESC LIMIT "))
        .push_bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .push(") ORDER BY h.id DESC");
    sql
}

/// Whether anything but the text narrows the search.
fn has_filters(query: &HistoryQuery) -> bool {
    query.kind.is_some()
        || query.mime_type.is_some()
        || query.profile.is_some()
        || query.bucket.is_some()
        || query.uploaded_after.is_some()
        || query.uploaded_before.is_some()
        || query.min_width.is_some()
        || query.max_width.is_some()
        || query.min_height.is_some()
        || query.max_height.is_some()
        || query.min_duration.is_some()
        || query.max_duration.is_some()
        || query.verified.is_some()
}

/// The filters other than the text, on the row aliased `x`. Every column they read is in
/// [`FACTS_INDEX`].
fn push_filters<'a>(sql: &mut QueryBuilder<'a, Sqlite>, query: &'a HistoryQuery) {
    if let Some(kind) = query.kind {
        sql.push(" AND x.kind = ").push_bind(kind.as_str());
    }
    if let Some(mime) = &query.mime_type {
        let mime = mime.trim().to_ascii_lowercase();
        if mime.ends_with('/') || !mime.contains('/') {
            let family = if mime.ends_with('/') {
                mime
            } else {
                format!("{mime}/")
            };
            let length = i64::try_from(family.len()).unwrap_or(i64::MAX);
            sql.push(" AND substr(x.mime_type, 1, ")
                .push_bind(length)
                .push(") = ")
                .push_bind(family);
        } else {
            sql.push(" AND x.mime_type = ").push_bind(mime);
        }
    }
    if let Some(profile) = &query.profile {
        sql.push(" AND x.profile = ").push_bind(profile.as_str());
    }
    if let Some(bucket) = &query.bucket {
        sql.push(" AND x.bucket = ").push_bind(bucket.as_str());
    }
    if let Some(after) = query.uploaded_after {
        sql.push(" AND x.uploaded_at >= ").push_bind(after);
    }
    if let Some(before) = query.uploaded_before {
        sql.push(" AND x.uploaded_at < ").push_bind(before);
    }
    let bounds = [
        ("x.width >= ", query.min_width),
        ("x.width <= ", query.max_width),
        ("x.height >= ", query.min_height),
        ("x.height <= ", query.max_height),
    ];
    for (condition, value) in bounds {
        if let Some(value) = value {
            sql.push(format_args!(" AND {condition}"))
                .push_bind(i64::from(value));
        }
    }
    if let Some(seconds) = query.min_duration {
        sql.push(" AND x.duration_ms >= ")
            .push_bind(duration_ms(seconds));
    }
    if let Some(seconds) = query.max_duration {
        sql.push(" AND x.duration_ms <= ")
            .push_bind(duration_ms(seconds));
    }
    if let Some(verified) = query.verified {
        sql.push(" AND x.verified = ").push_bind(verified);
    }
}

/// Seconds as the `duration_ms` column stores them (rounded the same way).
fn duration_ms(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}

/// The cursor after row `id`: opaque to callers, who only hand it back.
fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_TAG}{id}"))
}

/// The row id a cursor from [`encode_cursor`] holds.
fn decode_cursor(cursor: &str) -> ClientResult<i64> {
    URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix(CURSOR_TAG)?.parse::<i64>().ok())
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            invalid(format!(
                "{cursor:?} is not a history cursor; pass the next_cursor of an earlier page"
            ))
        })
}

fn invalid(message: impl Into<String>) -> ClientError {
    ClientError::Invalid {
        code: ErrorCode::InvalidRequest,
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expression(text: &str) -> Words {
        fts_expression(text).expect("a valid text")
    }

    #[test]
    fn every_word_is_a_quoted_prefix() {
        assert_eq!(
            expression("hol  Par"),
            Words::Fts(r#""hol"* AND "Par"*"#.into())
        );
        assert_eq!(
            expression(r#"say "hi" NEAR(a b) x:y -z"#),
            Words::Fts(
                r#""say"* AND """hi"""* AND "NEAR(a"* AND "b)"* AND "x:y"* AND "-z"*"#.into()
            )
        );
    }

    #[test]
    fn blank_text_is_no_constraint_and_punctuation_matches_nothing() {
        assert_eq!(expression("  \t "), Words::None);
        assert_eq!(expression(r#"" * ( - :"#), Words::OnlyPunctuation);
        assert_eq!(expression("a\0b"), Words::Fts(r#""a"* AND "b"*"#.into()));
    }

    #[test]
    fn too_many_words_are_refused() {
        let text = vec!["w"; MAX_WORDS + 1].join(" ");
        let error = fts_expression(&text).expect_err("too many words");
        assert_eq!(error.code(), "invalid_request");
    }

    #[test]
    fn cursors_round_trip_and_strangers_are_refused() {
        assert_eq!(decode_cursor(&encode_cursor(42)).ok(), Some(42));
        for bad in [
            "",
            "42",
            "!!",
            &URL_SAFE_NO_PAD.encode("x42"),
            &encode_cursor(0),
        ] {
            let error = decode_cursor(bad).expect_err(bad);
            assert_eq!(error.code(), "invalid_request", "{bad}");
        }
    }

    #[test]
    fn minimums_above_maximums_are_refused() {
        let query = HistoryQuery {
            min_width: Some(3000),
            max_width: Some(100),
            ..HistoryQuery::default()
        };
        let error = SearchPlan::new(&query).expect_err("min > max");
        assert!(error.to_string().contains("min_width"), "{error}");
    }

    #[test]
    fn queries_deserialize_with_defaults() {
        let query: HistoryQuery =
            serde_json::from_str(r#"{"text": "cat", "kind": "image", "type": "image/"}"#)
                .expect("a query");
        assert_eq!(query.limit, DEFAULT_LIMIT);
        assert_eq!(query.kind, Some(FileKind::Image));
        assert_eq!(query.mime_type.as_deref(), Some("image/"));
    }
}
