//! The local database (`mediasaur::store`) on real SQLite files: history search, export, share links,
//! and upgrading a database made by the previous release.

mod export;
mod filters;
mod migrations;
mod search;

use chrono::{TimeZone, Utc};
use mediasaur::api::{FileKind, FileObject};
use mediasaur::store::history::NewHistoryEntry;
use mediasaur::store::search::{HistoryQuery, MAX_LIMIT};
use mediasaur::store::Database;

/// A day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;
/// 2026-11-01T00:00:00Z.
pub const NOV_1: i64 = 1_793_491_200_000;

/// A database in its own temporary directory, removed with it.
#[derive(Debug)]
pub struct TestDb {
    pub db: Database,
    _dir: tempfile::TempDir,
}

impl TestDb {
    /// A fresh, fully migrated database.
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Database::open_in(dir.path())
            .await
            .expect("open the database");
        Self { db, _dir: dir }
    }

    /// Records `file` for `profile`, as a verified upload or not; returns its history id.
    pub async fn record(&self, profile: &str, file: &FileObject, verified: bool) -> i64 {
        let sha256 = if verified {
            file.sha256.clone()
        } else {
            "0".repeat(64)
        };
        self.db
            .record_upload(&NewHistoryEntry {
                profile: profile.to_owned(),
                source: None,
                sha256,
                file: file.clone(),
            })
            .await
            .expect("record an upload")
    }

    /// Sets when entry `id` was uploaded: the store always records "now", and date filters need
    /// other days.
    pub async fn set_uploaded_at(&self, id: i64, ms: i64) {
        sqlx::query("UPDATE history SET uploaded_at = ? WHERE id = ?")
            .bind(ms)
            .bind(id)
            .execute(self.db.pool())
            .await
            .expect("set uploaded_at");
    }
}

/// A File object as the server would describe `bucket/path`; dimensions and duration are added by
/// the caller where they apply. The id and SHA-256 derive from the path, so they are unique per path.
pub fn file(bucket: &str, path: &str, kind: FileKind, mime_type: &str) -> FileObject {
    let digest = mediasaur_e2e::sha256_hex(format!("{bucket}/{path}").as_bytes());
    let created = Utc
        .with_ymd_and_hms(2026, 11, 23, 10, 0, 0)
        .single()
        .expect("a time");
    FileObject {
        id: format!("file_{}", &digest[..24]),
        kind,
        mime_type: mime_type.to_owned(),
        width: None,
        height: None,
        duration: None,
        filesize: 1000 + u64::from_str_radix(&digest[..6], 16).expect("hex"),
        sha256: digest,
        bucket: bucket.to_owned(),
        path: path.to_owned(),
        url: format!("http://127.0.0.1:9/{bucket}/{path}"),
        created,
        updated: created,
    }
}

/// An image of `width` x `height`.
pub fn image(bucket: &str, path: &str, width: u32, height: u32) -> FileObject {
    FileObject {
        width: Some(width),
        height: Some(height),
        ..file(bucket, path, FileKind::Image, mime_for(path))
    }
}

/// A video of `width` x `height` lasting `seconds`.
pub fn video(bucket: &str, path: &str, width: u32, height: u32, seconds: f64) -> FileObject {
    FileObject {
        width: Some(width),
        height: Some(height),
        duration: Some(seconds),
        ..file(bucket, path, FileKind::Video, "video/mp4")
    }
}

/// A sound lasting `seconds`.
pub fn audio(bucket: &str, path: &str, seconds: f64) -> FileObject {
    FileObject {
        duration: Some(seconds),
        ..file(bucket, path, FileKind::Audio, "audio/mpeg")
    }
}

fn mime_for(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        _ => "image/jpeg",
    }
}

/// Every entry (ids, newest first) the query selects, following the cursor to the end.
pub async fn all_ids(test: &TestDb, query: &HistoryQuery) -> Vec<i64> {
    let mut query = HistoryQuery {
        limit: MAX_LIMIT,
        ..query.clone()
    };
    let mut ids = Vec::new();
    loop {
        let page = test
            .db
            .search_history(&query)
            .await
            .unwrap_or_else(|e| panic!("{query:?}: {e}"));
        ids.extend(page.entries.iter().map(|entry| entry.id));
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return ids,
        }
    }
}
