//! Every filter of `Database::search_history`, alone and together, with and without text: each
//! selects exactly the rows it describes, newest first.

use mediasaur::api::{FileKind, FileObject};
use mediasaur::store::search::HistoryQuery;

use crate::{all_ids, audio, file, image, video, TestDb, DAY_MS, NOV_1};

/// A test row: what was recorded, to compute the expected answers.
struct Row {
    id: i64,
    file: FileObject,
    profile: &'static str,
    verified: bool,
    uploaded_at: i64,
}

/// Ten varied uploads, all under `shared/` so a text search can select them all.
async fn filter_corpus(test: &TestDb) -> Vec<Row> {
    let uploads = [
        (
            image("default", "shared/photos/sunset-beach.jpg", 4000, 3000),
            "home",
            true,
        ),
        (
            image("default", "shared/photos/portrait.jpg", 3024, 4032),
            "home",
            true,
        ),
        (
            image("media", "shared/icons/icon.png", 64, 64),
            "work",
            true,
        ),
        (
            image("media", "shared/banners/wide.webp", 6000, 1000),
            "work",
            false,
        ),
        (
            video("media", "shared/videos/clip.mp4", 1920, 1080, 95.5),
            "home",
            true,
        ),
        (
            video("media", "shared/videos/talk.mp4", 3840, 2160, 3600.0),
            "work",
            true,
        ),
        (
            audio("default", "shared/music/song.mp3", 210.25),
            "home",
            false,
        ),
        (
            file(
                "default",
                "shared/docs/report.pdf",
                FileKind::Document,
                "application/pdf",
            ),
            "work",
            true,
        ),
        (
            file(
                "default",
                "shared/backups/site.zip",
                FileKind::Archive,
                "application/zip",
            ),
            "home",
            true,
        ),
        (
            file(
                "media",
                "shared/misc/data.bin",
                FileKind::Other,
                "application/octet-stream",
            ),
            "work",
            false,
        ),
    ];
    let mut rows = Vec::new();
    for (day, (file, profile, verified)) in (0_i64..).zip(uploads) {
        let id = test.record(profile, &file, verified).await;
        let uploaded_at = NOV_1 + day * DAY_MS + 3_600_000;
        test.set_uploaded_at(id, uploaded_at).await;
        rows.push(Row {
            id,
            file,
            profile,
            verified,
            uploaded_at,
        });
    }
    rows
}

#[tokio::test]
async fn every_filter_selects_exactly_its_rows_newest_first() {
    let test = TestDb::new().await;
    let rows = filter_corpus(&test).await;
    let q = HistoryQuery::default;
    type Check = (&'static str, HistoryQuery, Box<dyn Fn(&Row) -> bool>);
    let width = |row: &Row| row.file.width.unwrap_or(0);
    let checks: Vec<Check> = vec![
        ("everything", q(), Box::new(|_| true)),
        (
            "kind image",
            HistoryQuery {
                kind: Some(FileKind::Image),
                ..q()
            },
            Box::new(|r| r.file.kind == FileKind::Image),
        ),
        (
            "kind video",
            HistoryQuery {
                kind: Some(FileKind::Video),
                ..q()
            },
            Box::new(|r| r.file.kind == FileKind::Video),
        ),
        (
            "images wider than 3000",
            HistoryQuery {
                kind: Some(FileKind::Image),
                min_width: Some(3001),
                ..q()
            },
            Box::new(move |r| r.file.kind == FileKind::Image && width(r) > 3000),
        ),
        (
            "at least 3840 wide, any kind",
            HistoryQuery {
                min_width: Some(3840),
                ..q()
            },
            Box::new(move |r| width(r) >= 3840),
        ),
        (
            "width between 1000 and 3500",
            HistoryQuery {
                min_width: Some(1000),
                max_width: Some(3500),
                ..q()
            },
            Box::new(move |r| (1000..=3500).contains(&width(r))),
        ),
        (
            "at most 100 wide",
            HistoryQuery {
                max_width: Some(100),
                ..q()
            },
            Box::new(|r| r.file.width.is_some_and(|w| w <= 100)),
        ),
        (
            "portrait heights",
            HistoryQuery {
                min_height: Some(3001),
                ..q()
            },
            Box::new(|r| r.file.height.is_some_and(|h| h > 3000)),
        ),
        (
            "at most 1080 high",
            HistoryQuery {
                max_height: Some(1080),
                ..q()
            },
            Box::new(|r| r.file.height.is_some_and(|h| h <= 1080)),
        ),
        (
            "type family image/",
            HistoryQuery {
                mime_type: Some("image/".into()),
                ..q()
            },
            Box::new(|r| r.file.mime_type.starts_with("image/")),
        ),
        (
            "type family without the slash",
            HistoryQuery {
                mime_type: Some("application".into()),
                ..q()
            },
            Box::new(|r| r.file.mime_type.starts_with("application/")),
        ),
        (
            "exact type, any case",
            HistoryQuery {
                mime_type: Some("IMAGE/PNG".into()),
                ..q()
            },
            Box::new(|r| r.file.mime_type == "image/png"),
        ),
        (
            "exact type is not a prefix",
            HistoryQuery {
                mime_type: Some("image/jp".into()),
                ..q()
            },
            Box::new(|_| false),
        ),
        (
            "longer than 100 s",
            HistoryQuery {
                min_duration: Some(100.0),
                ..q()
            },
            Box::new(|r| r.file.duration.is_some_and(|d| d >= 100.0)),
        ),
        (
            "at most 100 s",
            HistoryQuery {
                max_duration: Some(100.0),
                ..q()
            },
            Box::new(|r| r.file.duration.is_some_and(|d| d <= 100.0)),
        ),
        (
            "exactly 95.5 s",
            HistoryQuery {
                min_duration: Some(95.5),
                max_duration: Some(95.5),
                ..q()
            },
            Box::new(|r| r.file.duration == Some(95.5)),
        ),
        (
            "uploaded from Nov 4",
            HistoryQuery {
                uploaded_after: Some(NOV_1 + 3 * DAY_MS),
                ..q()
            },
            Box::new(|r| r.uploaded_at >= NOV_1 + 3 * DAY_MS),
        ),
        (
            "uploaded before Nov 4",
            HistoryQuery {
                uploaded_before: Some(NOV_1 + 3 * DAY_MS),
                ..q()
            },
            Box::new(|r| r.uploaded_at < NOV_1 + 3 * DAY_MS),
        ),
        (
            "uploaded Nov 3 to Nov 6",
            HistoryQuery {
                uploaded_after: Some(NOV_1 + 2 * DAY_MS),
                uploaded_before: Some(NOV_1 + 6 * DAY_MS),
                ..q()
            },
            Box::new(|r| (NOV_1 + 2 * DAY_MS..NOV_1 + 6 * DAY_MS).contains(&r.uploaded_at)),
        ),
        (
            "profile work",
            HistoryQuery {
                profile: Some("work".into()),
                ..q()
            },
            Box::new(|r| r.profile == "work"),
        ),
        (
            "unknown profile",
            HistoryQuery {
                profile: Some("nobody".into()),
                ..q()
            },
            Box::new(|_| false),
        ),
        (
            "bucket media",
            HistoryQuery {
                bucket: Some("media".into()),
                ..q()
            },
            Box::new(|r| r.file.bucket == "media"),
        ),
        (
            "verified",
            HistoryQuery {
                verified: Some(true),
                ..q()
            },
            Box::new(|r| r.verified),
        ),
        (
            "not verified",
            HistoryQuery {
                verified: Some(false),
                ..q()
            },
            Box::new(|r| !r.verified),
        ),
        (
            "everything at once",
            HistoryQuery {
                kind: Some(FileKind::Video),
                mime_type: Some("video/".into()),
                profile: Some("work".into()),
                bucket: Some("media".into()),
                min_width: Some(3000),
                min_height: Some(2000),
                min_duration: Some(60.0),
                uploaded_after: Some(NOV_1),
                verified: Some(true),
                ..q()
            },
            Box::new(|r| r.file.path == "shared/videos/talk.mp4"),
        ),
    ];
    for (name, query, keep) in &checks {
        let expected: Vec<i64> = rows
            .iter()
            .rev()
            .filter(|r| keep(r))
            .map(|r| r.id)
            .collect();
        assert_eq!(all_ids(&test, query).await, expected, "{name}: {query:?}");
        // The same through the full-text index: every path is under `shared/`.
        let with_text = HistoryQuery {
            text: Some("shared".into()),
            ..query.clone()
        };
        assert_eq!(
            all_ids(&test, &with_text).await,
            expected,
            "{name} with text"
        );
    }
    // Text and filters together.
    let query = HistoryQuery {
        text: Some("photos".into()),
        min_width: Some(3500),
        ..q()
    };
    let found = all_ids(&test, &query).await;
    assert_eq!(found, [rows[0].id], "the wide photo");
}
