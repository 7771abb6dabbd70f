//! Benchmark (not a test) of watched-folder latency: an in-process server, a real database, a
//! `FolderWatcher` with the default 2 s stability window and a queue runner woken on every `Queued`
//! (as `mediasaur watch run` wires them). Per file, latency = the moment its upload started (the
//! runner's `Changed` event with state `running`, timestamped on receipt) − the end of its stability
//! window (the moment its last write finished + the window). Two scenarios of 1,000 files of 16 KiB:
//! a steady stream (one file every 10 ms) and a burst (all at once). Prints p50/p95/max per scenario
//! and the burst's queue throughput. Goal: p95 <= 300 ms; a missed goal is printed, never a failure.
//! Fails only when an upload is missing or its bytes are wrong.
//!
//!   --window-ms N / BENCH_WINDOW_MS=2000   the stability window
//!   BENCH_FILES=1000                       files per scenario
//!   BENCH_FILE_KB=16                       size of each file (KiB)
//!   BENCH_INTERVAL_MS=10                   the steady stream's interval
//!   BENCH_CONCURRENCY=4                    the runner's concurrency (`watch run`'s default)
//!   BENCH_DEBOUNCE_MS=50                   how long the watcher gathers events (the default)

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use mediasaur::api::messages::FileList;
use mediasaur::store::queue::{TransferOutcome, TransferQuery, TransferState};
use mediasaur::store::watches::NewWatch;
use mediasaur::store::Database;
use mediasaur::transfers::{start_queue, FixedCredentials, QueueConfig, QueueEvent};
use mediasaur::watch::{FolderWatcher, WaitReason, WatchEvent, WatchOptions};
use mediasaur::ApiKey;
use mediasaur_e2e::{sha256_hex, test_bytes, TestServer};
use tokio::sync::mpsc::unbounded_channel;

/// The goal from the issue, on the p95 of the start latency.
const GOAL_P95_MS: f64 = 300.0;
/// How long a scenario may take before the missing uploads count as missing.
const PATIENCE: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Copy)]
struct Settings {
    window: Duration,
    files: usize,
    file_bytes: usize,
    interval: Duration,
    concurrency: usize,
    debounce: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Steady,
    Burst,
}

impl Scenario {
    fn name(self, settings: &Settings) -> String {
        match self {
            Self::Steady => format!("steady, 1 per {} ms", settings.interval.as_millis()),
            Self::Burst => "burst, all at once".to_owned(),
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Self::Steady => "steady",
            Self::Burst => "burst",
        }
    }
}

/// When things happened to each file, as the event consumer saw them.
#[derive(Debug, Default)]
struct Timeline {
    queued: HashMap<PathBuf, Instant>,
    running: HashMap<PathBuf, Instant>,
    done: HashMap<PathBuf, Instant>,
    /// Files whose window was lengthened because the watch saw them change (`still growing`).
    grown: HashSet<PathBuf>,
    failed: Vec<String>,
}

/// What one scenario measured.
#[derive(Debug)]
struct Outcome {
    name: String,
    files: usize,
    /// Window end → upload start, ms, sorted.
    start: Vec<f64>,
    /// Window end → queued, ms, sorted.
    queued: Vec<f64>,
    verified: usize,
    /// Files whose window was lengthened.
    grown: usize,
    problems: Vec<String>,
    /// First queued → last done.
    span: Duration,
}

fn main() {
    let settings = settings();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let outcomes = runtime.block_on(async {
        let server = TestServer::start().await;
        let mut outcomes = Vec::new();
        for scenario in [Scenario::Steady, Scenario::Burst] {
            outcomes.push(run(&server, &settings, scenario).await);
        }
        server.stop().await;
        outcomes
    });
    report(&settings, &outcomes);
    if outcomes.iter().any(|o| !o.problems.is_empty()) {
        std::process::exit(1);
    }
}

fn settings() -> Settings {
    let mut window_ms = env_number("BENCH_WINDOW_MS", 2000);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = if arg == "--window-ms" {
            args.next()
        } else {
            arg.strip_prefix("--window-ms=").map(str::to_owned)
        };
        if let Some(value) = value {
            window_ms = value
                .parse()
                .unwrap_or_else(|_| panic!("--window-ms takes milliseconds, not {value:?}"));
        }
        // Anything else (cargo passes `--bench`) is not ours.
    }
    assert!(window_ms >= 50, "the window must be at least 50 ms");
    Settings {
        window: Duration::from_millis(window_ms as u64),
        files: env_number("BENCH_FILES", 1000).max(1),
        file_bytes: env_number("BENCH_FILE_KB", 16).max(1) * 1024,
        interval: Duration::from_millis(env_number("BENCH_INTERVAL_MS", 10) as u64),
        concurrency: env_number("BENCH_CONCURRENCY", 4).max(1),
        debounce: match std::env::var("BENCH_DEBOUNCE_MS") {
            Ok(_) => Duration::from_millis(env_number("BENCH_DEBOUNCE_MS", 0) as u64),
            Err(_) => WatchOptions::default().debounce,
        },
    }
}

fn env_number(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not {value:?}")),
        Err(_) => default,
    }
}

async fn run(server: &TestServer, settings: &Settings, scenario: Scenario) -> Outcome {
    let temp = tempfile::tempdir().expect("a temp dir");
    let folder = temp.path().join("watched");
    std::fs::create_dir(&folder).expect("the watched folder");
    let folder = folder.canonicalize().expect("a canonical folder");
    let db = Database::open_in(&temp.path().join("data"))
        .await
        .expect("open the database");
    let watch = db
        .add_watch(&NewWatch {
            folder: folder.clone(),
            profile: "default".into(),
            bucket: "default".into(),
            prefix: scenario.prefix().into(),
            recursive: true,
            ..NewWatch::default()
        })
        .await
        .expect("add the watch");

    // Wired as `watch run` wires them.
    let credentials = Arc::new(FixedCredentials::new(
        server.base.clone(),
        ApiKey::parse(&server.api_key).expect("the server's key"),
    ));
    let (queue_tx, mut queue_rx) = unbounded_channel();
    let config = QueueConfig {
        concurrency: settings.concurrency,
        ..QueueConfig::default()
    };
    let runner = start_queue(db.clone(), credentials, config, queue_tx).expect("start the runner");
    let waker = runner.waker();
    let options = WatchOptions {
        stability_window: settings.window,
        max_stability_window: (settings.window * 15).max(Duration::from_secs(30)),
        debounce: settings.debounce,
    };
    let (watch_tx, mut watch_rx) = unbounded_channel();
    let watcher =
        FolderWatcher::start(db.clone(), watch, options, watch_tx).expect("start watching");

    let timeline = Arc::new(Mutex::new(Timeline::default()));
    let consumer = {
        let timeline = timeline.clone();
        tokio::spawn(async move {
            let (mut watch_open, mut queue_open) = (true, true);
            while watch_open || queue_open {
                tokio::select! {
                    event = watch_rx.recv(), if watch_open => match event {
                        Some(WatchEvent::Queued { path, .. }) => {
                            waker.notify_one();
                            let now = Instant::now();
                            lock(&timeline).queued.entry(path).or_insert(now);
                        }
                        Some(WatchEvent::Waiting { path, reason: WaitReason::StillGrowing, .. }) => {
                            lock(&timeline).grown.insert(path);
                        }
                        Some(WatchEvent::Error { path, code, message, .. }) => {
                            lock(&timeline).failed.push(format!("watch error {code} at {path:?}: {message}"));
                        }
                        Some(_) => {}
                        None => watch_open = false,
                    },
                    event = queue_rx.recv(), if queue_open => match event {
                        Some(QueueEvent::Changed { transfer, .. }) => {
                            let now = Instant::now();
                            let mut timeline = lock(&timeline);
                            match transfer.state {
                                TransferState::Running => {
                                    timeline.running.entry(transfer.source.clone()).or_insert(now);
                                }
                                TransferState::Done => {
                                    timeline.done.entry(transfer.source.clone()).or_insert(now);
                                }
                                TransferState::Failed | TransferState::Canceled => {
                                    timeline.failed.push(format!(
                                        "{} ended {}: {:?}",
                                        transfer.source.display(),
                                        transfer.state,
                                        transfer.error_message
                                    ));
                                }
                                _ => {}
                            }
                        }
                        Some(_) => {}
                        None => queue_open = false,
                    },
                }
            }
        })
    };

    // The files are written from a plain thread, on their own schedule.
    let (count, size, interval) = (settings.files, settings.file_bytes, settings.interval);
    let writer_folder = folder.clone();
    let written = tokio::task::spawn_blocking(move || {
        write_files(&writer_folder, scenario, count, size, interval)
    })
    .await
    .expect("the writer thread");

    let deadline = Instant::now() + PATIENCE;
    loop {
        {
            let timeline = lock(&timeline);
            if timeline.done.len() + timeline.failed.len() >= count {
                break;
            }
        }
        if Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    watcher.shutdown().await;
    runner.stop();
    runner
        .wait()
        .await
        .expect("the runner ends without an error");
    consumer.await.expect("the event consumer");
    let timeline = std::mem::take(&mut *lock(&timeline));

    let mut problems = timeline.failed.clone();
    let verified = verify(server, &db, &folder, scenario, &written, &mut problems).await;
    db.close().await;

    let mut start = Vec::with_capacity(written.len());
    let mut queued = Vec::with_capacity(written.len());
    for file in &written {
        let window_end = file.written + settings.window;
        if let Some(at) = timeline.running.get(&file.path) {
            start.push(signed_ms(*at, window_end));
        }
        if let Some(at) = timeline.queued.get(&file.path) {
            queued.push(signed_ms(*at, window_end));
        }
    }
    start.sort_by(f64::total_cmp);
    queued.sort_by(f64::total_cmp);
    let first_queued = timeline.queued.values().min().copied();
    let last_done = timeline.done.values().max().copied();
    let span = match (first_queued, last_done) {
        (Some(first), Some(last)) => last.saturating_duration_since(first),
        _ => Duration::ZERO,
    };
    Outcome {
        name: scenario.name(settings),
        files: written.len(),
        start,
        queued,
        verified,
        grown: timeline.grown.len(),
        problems,
        span,
    }
}

/// A file the benchmark wrote: where, when its last write finished, and its SHA-256.
#[derive(Debug)]
struct Written {
    path: PathBuf,
    written: Instant,
    sha256: String,
}

fn write_files(
    folder: &Path,
    scenario: Scenario,
    count: usize,
    size: usize,
    interval: Duration,
) -> Vec<Written> {
    // The bytes are made first, so the schedule is only file system writes.
    let contents: Vec<Vec<u8>> = (0..count).map(|i| test_bytes(size, i as u64 + 1)).collect();
    let started = Instant::now();
    let mut written = Vec::with_capacity(count);
    for (i, bytes) in contents.iter().enumerate() {
        if scenario == Scenario::Steady {
            let due = started + interval * u32::try_from(i).unwrap_or(u32::MAX);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        let path = folder.join(format!("{i:05}.jpg"));
        std::fs::write(&path, bytes).expect("write a file");
        written.push(Written {
            path,
            written: Instant::now(),
            sha256: String::new(),
        });
    }
    for (file, bytes) in written.iter_mut().zip(&contents) {
        file.sha256 = sha256_hex(bytes);
    }
    written
}

/// Checks every file has one `done` transfer that sent it and a File object with its bytes under
/// the scenario's prefix, and nothing else is there. Returns how many files checked out.
async fn verify(
    server: &TestServer,
    db: &Database,
    folder: &Path,
    scenario: Scenario,
    written: &[Written],
    problems: &mut Vec<String>,
) -> usize {
    let mut rows = Vec::new();
    loop {
        let query = TransferQuery {
            after: rows
                .last()
                .map(|t: &mediasaur::store::queue::Transfer| t.id),
            limit: Some(1000),
            ..TransferQuery::default()
        };
        let page = db.transfers(&query).await.expect("list transfers");
        if page.is_empty() {
            break;
        }
        rows.extend(page);
    }
    if rows.len() != written.len() {
        problems.push(format!(
            "{} transfers for {} files",
            rows.len(),
            written.len()
        ));
    }
    let mut done: HashMap<&Path, usize> = HashMap::new();
    for row in &rows {
        if row.state == TransferState::Done && row.outcome == Some(TransferOutcome::Uploaded) {
            *done.entry(row.source.as_path()).or_default() += 1;
        }
    }
    let stored = server_files(server, scenario.prefix()).await;
    let mut verified = 0;
    for file in written {
        let relative = file
            .path
            .strip_prefix(folder)
            .expect("inside the folder")
            .to_string_lossy();
        let remote = format!("{}/{relative}", scenario.prefix());
        let sent = done.get(file.path.as_path()).copied().unwrap_or_default();
        match stored.get(&remote) {
            Some(sha256) if *sha256 == file.sha256 && sent == 1 => verified += 1,
            Some(sha256) if *sha256 != file.sha256 => {
                problems.push(format!("{remote} holds other bytes ({sha256})"));
            }
            Some(_) => problems.push(format!("{remote} was sent {sent} times")),
            None => problems.push(format!("{remote} is missing on the server")),
        }
    }
    if stored.len() != written.len() {
        problems.push(format!(
            "{} File objects under {}/ for {} files",
            stored.len(),
            scenario.prefix(),
            written.len()
        ));
    }
    verified
}

/// The File objects under `prefix/` in bucket `default`: path → SHA-256.
async fn server_files(server: &TestServer, prefix: &str) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![
            ("bucket", "default".to_owned()),
            ("prefix", format!("{prefix}/")),
            ("limit", "1000".to_owned()),
        ];
        if let Some(cursor) = cursor.take() {
            query.push(("cursor", cursor));
        }
        let response = server
            .http()
            .get(server.url("/files"))
            .query(&query)
            .header("Authorization", server.bearer())
            .send()
            .await
            .expect("list files");
        assert!(response.status().is_success(), "GET /files: {response:?}");
        let body: serde_json::Value = response.json().await.expect("a JSON envelope");
        let page: FileList =
            serde_json::from_value(body["data"].clone()).expect("a page of File objects");
        files.extend(page.files.into_iter().map(|f| (f.path, f.sha256)));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return files,
        }
    }
}

fn report(settings: &Settings, outcomes: &[Outcome]) {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!();
    println!(
        "watched-folder latency: {} files of {} KiB per scenario, stability window {} ms, \
         debounce {} ms, runner concurrency {}",
        settings.files,
        settings.file_bytes / 1024,
        settings.window.as_millis(),
        settings.debounce.min(settings.window / 2).as_millis(),
        settings.concurrency
    );
    println!(
        "latency = upload start (runner's `running` event) - (last write + window); \
         load average before the report: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!();
    println!(
        "{:<22} | {:>5} | {:>8} | {:>8} | {:>8} | all uploaded (verified)",
        "scenario", "files", "p50 ms", "p95 ms", "max ms"
    );
    println!("{}", "-".repeat(86));
    for outcome in outcomes {
        let all = outcome.verified == outcome.files && outcome.problems.is_empty();
        println!(
            "{:<22} | {:>5} | {:>8.1} | {:>8.1} | {:>8.1} | {} ({}/{})",
            outcome.name,
            outcome.files,
            percentile(&outcome.start, 50.0),
            percentile(&outcome.start, 95.0),
            outcome.start.last().copied().unwrap_or(f64::NAN),
            if all { "yes" } else { "NO" },
            outcome.verified,
            outcome.files
        );
    }
    println!();
    println!("of which the watcher (window end -> queued):");
    for outcome in outcomes {
        println!(
            "  {:<22} p50 {:>7.1} ms, p95 {:>7.1} ms, max {:>7.1} ms; {} file(s) waited a \
             lengthened window (seen `still growing`)",
            outcome.name,
            percentile(&outcome.queued, 50.0),
            percentile(&outcome.queued, 95.0),
            outcome.queued.last().copied().unwrap_or(f64::NAN),
            outcome.grown
        );
    }
    println!();
    for outcome in outcomes {
        let p95 = percentile(&outcome.start, 95.0);
        let verdict = if p95 <= GOAL_P95_MS { "MET" } else { "MISSED" };
        println!(
            "goal p95 <= {GOAL_P95_MS:.0} ms, {}: {verdict} ({p95:.1} ms)",
            outcome.name
        );
    }
    if let Some(burst) = outcomes.iter().find(|o| o.name.starts_with("burst")) {
        let seconds = burst.span.as_secs_f64();
        let rate = if seconds > 0.0 {
            burst.verified as f64 / seconds
        } else {
            f64::NAN
        };
        println!(
            "burst queue throughput: {rate:.0} files/s ({} files from first queued to last done in \
             {seconds:.2} s)",
            burst.verified
        );
    }
    for outcome in outcomes {
        for problem in &outcome.problems {
            println!("FAILED {}: {problem}", outcome.name);
        }
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `at - since` in milliseconds, negative when `at` came first.
fn signed_ms(at: Instant, since: Instant) -> f64 {
    match at.checked_duration_since(since) {
        Some(after) => after.as_secs_f64() * 1000.0,
        None => -(since.duration_since(at).as_secs_f64() * 1000.0),
    }
}

fn lock(timeline: &Mutex<Timeline>) -> std::sync::MutexGuard<'_, Timeline> {
    timeline.lock().unwrap_or_else(PoisonError::into_inner)
}
