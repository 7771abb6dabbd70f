//! Benchmark (not a test) of history search on a large history: builds a database of realistic
//! uploads (1,000,000 by default), runs each query shape many times through
//! `Database::search_history` and prints p50/p95/max latency per shape. Goal: p95 <= 30 ms.
//!
//!   HISTORY_BENCH_ROWS=1000000     rows to insert
//!   HISTORY_BENCH_ITERATIONS=200   runs of each query shape
//!   HISTORY_BENCH_DB=path          keep the database there and reuse it on the next run (default: a
//!                                  temporary directory, removed at the end)

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use mediasaur::api::{FileKind, FileObject};
use mediasaur::store::search::HistoryQuery;
use mediasaur::store::Database;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{QueryBuilder, Sqlite};

/// Rows per transaction while building.
const TRANSACTION_ROWS: usize = 50_000;
/// Rows per INSERT statement (19 parameters each, well under SQLite's 32,766).
const STATEMENT_ROWS: usize = 500;
/// The one word only ~1 row in 10,000 holds.
const RARE_WORD: &str = "zanzibar";
/// The first upload: 2023-01-01.
const START_MS: i64 = 1_672_531_200_000;

/// Words of names, the first ones far more common than the last (as in real libraries).
const WORDS: [&str; 64] = [
    "holiday",
    "family",
    "beach",
    "birthday",
    "paris",
    "sunset",
    "party",
    "wedding",
    "garden",
    "mountain",
    "trip",
    "kids",
    "dog",
    "cat",
    "christmas",
    "summer",
    "winter",
    "snow",
    "lake",
    "city",
    "concert",
    "friends",
    "dinner",
    "school",
    "project",
    "draft",
    "final",
    "report",
    "meeting",
    "design",
    "logo",
    "banner",
    "product",
    "launch",
    "team",
    "office",
    "invoice",
    "contract",
    "budget",
    "plan",
    "review",
    "notes",
    "lecture",
    "recipe",
    "museum",
    "bridge",
    "forest",
    "river",
    "castle",
    "harbor",
    "market",
    "festival",
    "marathon",
    "graduation",
    "reunion",
    "camping",
    "sailing",
    "skiing",
    "hiking",
    "picnic",
    "rome",
    "berlin",
    "tokyo",
    "lisbon",
];

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run());
}

fn env_number(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not {value:?}")),
        Err(_) => default,
    }
}

async fn run() {
    let rows = env_number("HISTORY_BENCH_ROWS", 1_000_000);
    let iterations = env_number("HISTORY_BENCH_ITERATIONS", 200).max(1);
    let temp = tempfile::tempdir().expect("a temp dir");
    let path = match std::env::var_os("HISTORY_BENCH_DB") {
        Some(path) => PathBuf::from(path),
        None => temp.path().join("history.sqlite3"),
    };
    let reuse = path.exists();
    let db = Database::open(&path).await.expect("open the database");
    let build_time = if reuse {
        println!("reusing {}", path.display());
        None
    } else {
        let started = Instant::now();
        build(&db, rows).await;
        Some(started.elapsed())
    };
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM history")
        .fetch_one(db.pool())
        .await
        .expect("count");
    // Fold the WAL into the main file so the size is the database's.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(db.pool())
        .await
        .expect("checkpoint");
    println!(
        "rows: {total}  build: {}  database: {:.0} MiB",
        build_time.map_or("reused".to_owned(), |t| format!("{:.1} s", t.as_secs_f64())),
        file_size(&path) as f64 / (1024.0 * 1024.0)
    );

    let year_2024 = (
        Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
            .unwrap()
            .timestamp_millis(),
        Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
            .unwrap()
            .timestamp_millis(),
    );
    let text = |words: &str| HistoryQuery {
        text: Some(words.to_owned()),
        ..HistoryQuery::default()
    };
    let first_common_page = db
        .search_history(&text("photos"))
        .await
        .expect("first page");
    let first_newest_page = db
        .search_history(&HistoryQuery::default())
        .await
        .expect("first page");
    let shapes: Vec<(&str, HistoryQuery)> = vec![
        ("common word: photos", text("photos")),
        ("short common word: img", text("img")),
        ("one letter: s", text("s")),
        ("long word: screenshot", text("screenshot")),
        ("rare word: zanzibar", text(RARE_WORD)),
        ("two-word prefix: hol par", text("hol par")),
        (
            "kind=image, min_width 3000",
            HistoryQuery {
                kind: Some(FileKind::Image),
                min_width: Some(3000),
                ..HistoryQuery::default()
            },
        ),
        (
            "text + kind + date: beach, image, 2024",
            HistoryQuery {
                kind: Some(FileKind::Image),
                uploaded_after: Some(year_2024.0),
                uploaded_before: Some(year_2024.1),
                ..text("beach")
            },
        ),
        ("no text, newest page", HistoryQuery::default()),
        (
            "second page via cursor: photos",
            HistoryQuery {
                cursor: first_common_page.next_cursor.clone(),
                ..text("photos")
            },
        ),
        (
            "second page via cursor: no text",
            HistoryQuery {
                cursor: first_newest_page.next_cursor.clone(),
                ..HistoryQuery::default()
            },
        ),
        (
            "date only: 2024",
            HistoryQuery {
                uploaded_after: Some(year_2024.0),
                uploaded_before: Some(year_2024.1),
                ..HistoryQuery::default()
            },
        ),
        (
            "type video/, min 10 min",
            HistoryQuery {
                mime_type: Some("video/".into()),
                min_duration: Some(600.0),
                ..HistoryQuery::default()
            },
        ),
        (
            "bucket backups, not verified",
            HistoryQuery {
                bucket: Some("backups".into()),
                verified: Some(false),
                ..HistoryQuery::default()
            },
        ),
    ];

    println!();
    println!(
        "{:<40} | {:>16} | {:>7} | {:>7} | {:>7}",
        "query", "matches-per-page", "p50 ms", "p95 ms", "max ms"
    );
    println!("{}", "-".repeat(90));
    let mut missed = Vec::new();
    for (name, query) in &shapes {
        let mut times = Vec::with_capacity(iterations);
        let mut matches = 0;
        for _ in 0..iterations {
            let started = Instant::now();
            let page = db.search_history(query).await.expect("a search");
            times.push(started.elapsed());
            matches = page.entries.len();
        }
        times.sort();
        let p50 = percentile(&times, 50);
        let p95 = percentile(&times, 95);
        let max = times[times.len() - 1];
        println!(
            "{:<40} | {:>16} | {:>7.2} | {:>7.2} | {:>7.2}",
            name,
            matches,
            ms(p50),
            ms(p95),
            ms(max)
        );
        if p95 > Duration::from_millis(30) {
            missed.push(*name);
        }
    }
    println!();
    if missed.is_empty() {
        println!("goal p95 <= 30 ms: met by every shape");
    } else {
        println!("goal p95 <= 30 ms: MISSED by {}", missed.join(", "));
    }
    db.close().await;
}

fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    let at = (sorted.len() * percent).div_ceil(100).saturating_sub(1);
    sorted[at.min(sorted.len() - 1)]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn file_size(path: &Path) -> u64 {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    [path.to_path_buf(), PathBuf::from(wal)]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// Inserts `rows` generated uploads, oldest first, a transaction per [`TRANSACTION_ROWS`].
async fn build(db: &Database, rows: usize) {
    let mut rng = StdRng::seed_from_u64(0x6d65_6469_6173);
    let mut uploaded_at = START_MS;
    let mut done = 0;
    while done < rows {
        let in_transaction = TRANSACTION_ROWS.min(rows - done);
        let mut tx = db.pool().begin().await.expect("a transaction");
        let mut left = in_transaction;
        while left > 0 {
            let count = STATEMENT_ROWS.min(left);
            let batch: Vec<Upload> = (0..count)
                .map(|i| {
                    // ~95 s apart on average: a million uploads over three years.
                    uploaded_at += rng.gen_range(1_000..190_000);
                    Upload::generate(&mut rng, done + in_transaction - left + i, uploaded_at)
                })
                .collect();
            insert(&mut tx, &batch).await;
            left -= count;
        }
        tx.commit().await.expect("commit");
        done += in_transaction;
        eprint!("\rbuilt {done} rows");
    }
    eprintln!();
}

async fn insert(tx: &mut sqlx::SqliteConnection, batch: &[Upload]) {
    let mut sql: QueryBuilder<Sqlite> = QueryBuilder::new(
        "INSERT INTO history (file_id, profile, bucket, path, name, kind, mime_type, size, width, \
         height, duration_ms, url, sha256, verified, source, source_size, source_modified_ns, \
         uploaded_at, file_json) ",
    );
    sql.push_values(batch, |mut row, upload| {
        let file = &upload.file;
        row.push_bind(&file.id)
            .push_bind(upload.profile)
            .push_bind(&file.bucket)
            .push_bind(&file.path)
            .push_bind(file.path.rsplit('/').next().unwrap_or(&file.path))
            .push_bind(file.kind.as_str())
            .push_bind(&file.mime_type)
            .push_bind(file.filesize as i64)
            .push_bind(file.width)
            .push_bind(file.height)
            .push_bind(file.duration.map(|s| (s * 1000.0).round() as i64))
            .push_bind(&file.url)
            .push_bind(&file.sha256)
            .push_bind(upload.verified)
            .push_bind(&upload.source)
            .push_bind(file.filesize as i64)
            .push_bind(upload.uploaded_at * 1_000_000)
            .push_bind(upload.uploaded_at)
            .push_bind(serde_json::to_string(file).expect("JSON"));
    });
    sql.build().execute(tx).await.expect("insert a batch");
}

/// One generated upload.
struct Upload {
    profile: &'static str,
    verified: bool,
    source: String,
    uploaded_at: i64,
    file: FileObject,
}

impl Upload {
    fn generate(rng: &mut StdRng, n: usize, uploaded_at: i64) -> Self {
        let time = DateTime::from_timestamp_millis(uploaded_at).expect("a time");
        let stamp = time.format("%Y%m%d_%H%M%S").to_string();
        let kind = match rng.gen_range(0..100) {
            0..60 => FileKind::Image,
            60..75 => FileKind::Video,
            75..83 => FileKind::Audio,
            83..95 => FileKind::Document,
            95..98 => FileKind::Archive,
            _ => FileKind::Other,
        };
        let mut word = || {
            if rng.gen_ratio(1, 10_000) {
                return RARE_WORD;
            }
            // Squaring a uniform number favours the first words.
            let u: f64 = rng.gen();
            WORDS[((u * u) * WORDS.len() as f64) as usize]
        };
        let (w1, w2) = (word(), word());
        let number = rng.gen_range(1..999);
        let (folder, name, mime) = match kind {
            FileKind::Image => match rng.gen_range(0..100) {
                0..40 => ("photos", format!("IMG_{stamp}.jpg"), "image/jpeg"),
                40..60 => ("camera", format!("DSC{:05}.JPG", n % 100_000), "image/jpeg"),
                60..75 => (
                    "screenshots",
                    format!("Screenshot {}.png", time.format("%Y-%m-%d at %H.%M.%S")),
                    "image/png",
                ),
                _ => ("photos", format!("{w1}-{w2}-{number}.jpg"), "image/jpeg"),
            },
            FileKind::Video => match rng.gen_range(0..2) {
                0 => ("videos", format!("VID_{stamp}.mp4"), "video/mp4"),
                _ => (
                    "videos",
                    format!("{w1} {w2} {number}.mov"),
                    "video/quicktime",
                ),
            },
            FileKind::Audio => match rng.gen_range(0..2) {
                0 => (
                    "podcasts",
                    format!("{w1}-{w2}-episode-{number}.mp3"),
                    "audio/mpeg",
                ),
                _ => ("music", format!("voice memo {number}.m4a"), "audio/mp4"),
            },
            FileKind::Document => match rng.gen_range(0..3) {
                0 => ("documents", format!("invoice-{n}.pdf"), "application/pdf"),
                1 => (
                    "documents",
                    format!("{w1}_{w2}_{}.pdf", time.format("%Y")),
                    "application/pdf",
                ),
                _ => (
                    "work",
                    format!("notes {w1}.docx"),
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                ),
            },
            FileKind::Archive => ("backups", format!("backup-{stamp}.zip"), "application/zip"),
            FileKind::Other => (
                "misc",
                format!("{w1}-{number}.bin"),
                "application/octet-stream",
            ),
        };
        let path = format!("{folder}/{}/{name}", time.format("%Y/%m"));
        let (width, height) = match kind {
            FileKind::Image => {
                let sizes = [
                    (4032, 3024),
                    (3024, 4032),
                    (4000, 3000),
                    (6000, 4000),
                    (1920, 1080),
                    (2560, 1440),
                    (1170, 2532),
                    (1280, 720),
                    (800, 600),
                    (640, 480),
                ];
                let (w, h) = sizes[rng.gen_range(0..sizes.len())];
                (Some(w), Some(h))
            }
            FileKind::Video => {
                let sizes = [(1920, 1080), (3840, 2160), (1280, 720), (1080, 1920)];
                let (w, h) = sizes[rng.gen_range(0..sizes.len())];
                (Some(w), Some(h))
            }
            _ => (None, None),
        };
        let duration = match kind {
            FileKind::Video => Some(rng.gen_range(2.0..1200.0)),
            FileKind::Audio => Some(rng.gen_range(10.0..5400.0)),
            _ => None,
        };
        let filesize = match kind {
            FileKind::Image => rng.gen_range(80_000..12_000_000),
            FileKind::Video => rng.gen_range(2_000_000..4_000_000_000),
            FileKind::Audio => rng.gen_range(500_000..200_000_000),
            _ => rng.gen_range(2_000..50_000_000),
        };
        let bucket = match rng.gen_range(0..10) {
            0..7 => "default",
            7..9 => "media",
            _ => "backups",
        };
        let sha256 = format!("{:016x}{:048x}", n, rng.gen::<u128>());
        let created = Utc
            .timestamp_millis_opt(uploaded_at)
            .single()
            .expect("a time");
        Self {
            profile: if rng.gen_ratio(9, 10) {
                "personal"
            } else {
                "work"
            },
            verified: !rng.gen_ratio(2, 100),
            source: format!("/home/me/{path}"),
            uploaded_at,
            file: FileObject {
                id: format!("file_{n:020}"),
                kind,
                mime_type: mime.to_owned(),
                width,
                height,
                duration,
                filesize,
                sha256,
                url: format!("https://media.example.com/{bucket}/{path}"),
                bucket: bucket.to_owned(),
                path,
                created,
                updated: created,
            },
        }
    }
}
