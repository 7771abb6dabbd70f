//! A watcher and a queue runner together against the real server, as `watch run` and the app use
//! them: every finished file is uploaded exactly once (a burst of 1,000, a `.part` renamed into place,
//! a file written in pieces), a file deleted mid-upload fails as `source_missing` without stopping
//! anything, "move after upload" files land in `.uploaded/`, and restarts neither lose nor repeat.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use mediasaur::api::messages::FileList;
use mediasaur::api::FileObject;
use mediasaur::store::queue::{Transfer, TransferOutcome, TransferQuery, TransferState};
use mediasaur::store::watches::{AfterUpload, NewWatch, Watch};
use mediasaur::transfers::{start_queue, FixedCredentials, QueueConfig, QueueEvent, QueueHandle};
use mediasaur::upload::RetryPolicy;
use mediasaur::watch::{FolderWatcher, SkipReason, WatchEvent, WatchHandle, UPLOADED_FOLDER};
use mediasaur::{ApiKey, ClientConfig};
use mediasaur_e2e::{sha256_hex, test_bytes, TestServer};
use tokio::sync::mpsc::unbounded_channel;

use super::support::{quick_options, Setup, PATIENCE};

const MIB: usize = 1024 * 1024;

/// A server, a watched folder (bucket `default`, recursive) and its database.
struct Env {
    server: TestServer,
    setup: Setup,
    watch: Watch,
}

impl Env {
    async fn new(edit: impl FnOnce(&mut NewWatch)) -> Self {
        let server = TestServer::start().await;
        let setup = Setup::new().await;
        let watch = setup
            .add_watch(|new| {
                new.bucket = "default".into();
                edit(new);
            })
            .await;
        Self {
            server,
            setup,
            watch,
        }
    }

    /// Starts the watcher (300 ms window) and, with a config, a runner woken on every `Queued`.
    fn start(&self, config: Option<QueueConfig>) -> Running {
        let (queue_tx, queue_rx) = unbounded_channel();
        let runner = config.map(|config| {
            let credentials = std::sync::Arc::new(FixedCredentials::new(
                self.server.base.clone(),
                ApiKey::parse(&self.server.api_key).expect("a well-formed key"),
            ));
            start_queue(self.setup.db.clone(), credentials, config, queue_tx)
                .expect("start the runner")
        });
        let (watch_tx, mut watch_rx) = unbounded_channel();
        let watcher = FolderWatcher::start(
            self.setup.db.clone(),
            self.watch.clone(),
            quick_options(),
            watch_tx,
        )
        .expect("start watching");
        // What `watch run` does: a queued file wakes the runner at once.
        let waker = runner.as_ref().map(QueueHandle::waker);
        let (forward_tx, forward_rx) = unbounded_channel();
        tokio::spawn(async move {
            while let Some(event) = watch_rx.recv().await {
                if let (WatchEvent::Queued { .. }, Some(waker)) = (&event, &waker) {
                    waker.notify_one();
                }
                let _ = forward_tx.send(event);
            }
        });
        Running {
            watcher: Some(watcher),
            runner,
            watch_events: Log::new(forward_rx, PATIENCE),
            queue_events: Log::new(queue_rx, PATIENCE),
        }
    }

    fn write(&self, relative: &str, bytes: &[u8]) -> PathBuf {
        self.setup.write(relative, bytes)
    }

    /// Every transfer, in id order.
    async fn rows(&self) -> Vec<Transfer> {
        let mut rows: Vec<Transfer> = Vec::new();
        loop {
            let query = TransferQuery {
                after: rows.last().map(|t| t.id),
                limit: Some(1000),
                ..TransferQuery::default()
            };
            let page = self
                .setup
                .db
                .transfers(&query)
                .await
                .expect("list transfers");
            if page.is_empty() {
                return rows;
            }
            rows.extend(page);
        }
    }

    /// Waits until every file in `sources` has a `done` transfer; fails at once when one of them
    /// failed or was canceled. Returns the done rows by source.
    async fn done(&self, sources: &[PathBuf]) -> BTreeMap<PathBuf, Transfer> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let wanted: BTreeSet<&Path> = sources.iter().map(PathBuf::as_path).collect();
        loop {
            let rows = self.rows().await;
            let mut done = BTreeMap::new();
            for row in rows
                .iter()
                .filter(|row| wanted.contains(row.source.as_path()))
            {
                match row.state {
                    TransferState::Done => {
                        done.insert(row.source.clone(), row.clone());
                    }
                    TransferState::Failed | TransferState::Canceled => {
                        panic!("a transfer did not finish: {row:#?}")
                    }
                    _ => {}
                }
            }
            if done.len() == wanted.len() {
                return done;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {} of {} files were uploaded",
                done.len(),
                wanted.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every File object in bucket `default` (`GET /files`, page by page).
    async fn server_files(&self) -> Vec<FileObject> {
        let mut files = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query = vec![("bucket", "default".to_owned()), ("limit", "1000".into())];
            if let Some(cursor) = cursor.take() {
                query.push(("cursor", cursor));
            }
            let response = self
                .server
                .http()
                .get(self.server.url("/files"))
                .query(&query)
                .header("Authorization", self.server.bearer())
                .send()
                .await
                .expect("list files");
            assert_eq!(response.status(), 200, "GET /files");
            let body: serde_json::Value = response.json().await.expect("a JSON envelope");
            let page: FileList =
                serde_json::from_value(body["data"].clone()).expect("a list of File objects");
            files.extend(page.files);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return files,
            }
        }
    }

    async fn history_count(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM history")
            .fetch_one(self.setup.db.pool())
            .await
            .expect("count the history")
    }

    /// Checks the history entry of each done row: it names the file, holds `expected` SHA-256 and
    /// is verified against the server's.
    async fn assert_history(
        &self,
        rows: &BTreeMap<PathBuf, Transfer>,
        expected: &BTreeMap<PathBuf, String>,
    ) {
        for (source, row) in rows {
            let file_id = row.file_id.as_deref().expect("a done row names its File");
            let entry = self
                .setup
                .db
                .history_by_file_id(file_id, None)
                .await
                .expect("read the history")
                .unwrap_or_else(|| panic!("no history entry for {row:#?}"));
            assert!(entry.verified, "{entry:#?}");
            assert_eq!(entry.source.as_deref(), Some(source.as_path()));
            assert_eq!(
                Some(&entry.sha256),
                expected.get(source),
                "{}",
                source.display()
            );
            assert_eq!(entry.file.sha256, entry.sha256);
        }
    }
}

/// A running watcher and runner, and what they reported.
struct Running {
    watcher: Option<WatchHandle>,
    runner: Option<QueueHandle>,
    watch_events: Log<WatchEvent>,
    queue_events: Log<QueueEvent>,
}

impl Running {
    /// Stops the watcher, then the runner, and waits until both are gone.
    async fn stop(mut self) {
        if let Some(watcher) = self.watcher.take() {
            watcher.shutdown().await;
        }
        if let Some(runner) = self.runner.take() {
            runner.stop();
            tokio::time::timeout(PATIENCE, runner.wait())
                .await
                .expect("the runner stops")
                .expect("the runner ends without an error");
        }
    }
}

/// Events as they arrive, kept.
type Log<T> = mediasaur_e2e::events::EventLog<T>;

/// The row of a `Changed` event.
fn changed(event: &QueueEvent) -> Option<&Transfer> {
    match event {
        QueueEvent::Changed { transfer, .. } => Some(transfer),
        _ => None,
    }
}

/// Quick retries; everything else as the defaults (small files go in one request).
fn config() -> QueueConfig {
    QueueConfig {
        concurrency: 4,
        client: ClientConfig {
            retry: RetryPolicy {
                max_attempts: 5,
                base_delay: Duration::from_millis(20),
                max_delay: Duration::from_millis(200),
            },
            ..ClientConfig::default()
        },
        heartbeat: Duration::from_millis(200),
        ..QueueConfig::default()
    }
}

/// Waits until `path` exists.
async fn appears(path: &Path) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !path.exists() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_a_renamed_part_file_and_a_file_written_in_pieces_are_each_uploaded_exactly_once() {
    let env = Env::new(|_| {}).await;
    let running = env.start(Some(QueueConfig {
        concurrency: 8,
        ..config()
    }));
    let mut expected: BTreeMap<PathBuf, String> = BTreeMap::new();

    // 1,000 files dropped at once.
    let folder = env.setup.folder.clone();
    let burst = tokio::task::spawn_blocking(move || {
        let mut written = Vec::new();
        for i in 0..1000u64 {
            let bytes = test_bytes(512 + i as usize, i);
            let path = folder.join(format!("burst/{:02}/{i:04}.jpg", i % 10));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
            written.push((path, sha256_hex(&bytes)));
        }
        written
    })
    .await
    .unwrap();
    expected.extend(burst);

    // A download that lands under a temporary name, then is renamed into place.
    let part_bytes = test_bytes(300_000, 7001);
    let part = env.write("movie.mp4.part", &part_bytes[..100_000]);
    {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&part)
            .unwrap();
        file.write_all(&part_bytes[100_000..]).unwrap();
    }
    let movie = env.setup.folder.join("movie.mp4");
    std::fs::rename(&part, &movie).unwrap();
    expected.insert(movie.clone(), sha256_hex(&part_bytes));

    // A file written in five pieces, well inside one window of each other.
    let pieces_bytes = test_bytes(5 * 40_000, 7002);
    let pieces = env.setup.folder.join("pieces.raw");
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&pieces).unwrap();
        for piece in pieces_bytes.chunks(40_000) {
            file.write_all(piece).unwrap();
            file.flush().unwrap();
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    }
    expected.insert(pieces.clone(), sha256_hex(&pieces_bytes));

    let sources: Vec<PathBuf> = expected.keys().cloned().collect();
    let done = env.done(&sources).await;
    assert_eq!(done.len(), 1002);

    // Anything wrongly queued from before would be queued by the time a later file is done.
    let sentinel = env.write("sentinel.txt", b"written last");
    expected.insert(sentinel.clone(), sha256_hex(b"written last"));
    let done = env
        .done(&expected.keys().cloned().collect::<Vec<_>>())
        .await;

    let rows = env.rows().await;
    assert_eq!(rows.len(), 1003, "one transfer per file, no more");
    assert!(rows.iter().all(|r| r.state == TransferState::Done));
    let by_source: BTreeSet<&Path> = rows.iter().map(|r| r.source.as_path()).collect();
    assert_eq!(by_source.len(), 1003, "no file was queued twice");
    assert!(
        rows.iter()
            .all(|r| !r.source.to_string_lossy().contains(".part") && !r.path.contains(".part")),
        "nothing was queued under the temporary name"
    );

    let files = env.server_files().await;
    assert_eq!(files.len(), 1003, "one File object per file");
    let stored: BTreeMap<String, String> = files
        .iter()
        .map(|f| (f.path.clone(), f.sha256.clone()))
        .collect();
    let wanted: BTreeMap<String, String> = expected
        .iter()
        .map(|(path, sha)| {
            let relative = path.strip_prefix(&env.setup.folder).unwrap();
            (relative.to_str().unwrap().to_owned(), sha.clone())
        })
        .collect();
    assert_eq!(
        stored, wanted,
        "the server holds each file's final bytes at its path"
    );
    assert!(stored.contains_key("movie.mp4") && stored.contains_key("pieces.raw"));

    env.assert_history(&done, &expected).await;
    assert_eq!(env.history_count().await, 1003);
    running.stop().await;
}

/// Starts uploading a `size`-byte file slowly with `client`, deletes it once bytes moved (with
/// `margin` bytes still to go), and checks it fails as `source_missing` with no File object left,
/// and that the watch and the runner carry on with the next file.
async fn delete_while_uploading(client: ClientConfig, size: usize, margin: u64) {
    let env = Env::new(|_| {}).await;
    let mut running = env.start(Some(QueueConfig { client, ..config() }));
    let doomed = env.write("doomed.bin", &test_bytes(size, 11));

    let started = running
        .queue_events
        .wait_for("the doomed file's upload", |e| {
            changed(e).is_some_and(|t| t.source == doomed && t.state == TransferState::Running)
        })
        .await;
    let id = changed(&started).unwrap().id;
    let progress = running
        .queue_events
        .wait_for("bytes of the doomed file sent", |e| {
            matches!(e, QueueEvent::Progress { transfer, sent, .. } if *transfer == id && *sent > 0)
        })
        .await;
    let QueueEvent::Progress { sent, total, .. } = progress else {
        unreachable!()
    };
    assert!(
        sent + margin <= total,
        "deleted with at least {margin} bytes still to send ({sent} of {total} sent)"
    );
    std::fs::remove_file(&doomed).unwrap();

    let ended = running
        .queue_events
        .wait_for("the doomed transfer's end", |e| {
            changed(e).is_some_and(|t| {
                t.id == id
                    && matches!(
                        t.state,
                        TransferState::Failed | TransferState::Done | TransferState::Canceled
                    )
            })
        })
        .await;
    let ended = changed(&ended).unwrap().clone();
    assert_eq!(ended.state, TransferState::Failed, "{ended:#?}");
    assert_eq!(
        ended.error_code.as_deref(),
        Some("source_missing"),
        "{ended:#?}"
    );
    assert_eq!(ended.file_id, None);
    let row = env.setup.db.transfer(id).await.unwrap();
    assert_eq!(row.state, TransferState::Failed);
    assert_eq!(row.error_code.as_deref(), Some("source_missing"));

    // The watch and the runner carry on.
    let next_bytes = test_bytes(20_000, 12);
    let next = env.write("next.jpg", &next_bytes);
    let done = env.done(std::slice::from_ref(&next)).await;
    assert_eq!(done[&next].outcome, Some(TransferOutcome::Uploaded));

    let files = env.server_files().await;
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["next.jpg"], "no File object for the deleted file");
    assert_eq!(files[0].sha256, sha256_hex(&next_bytes));
    assert_eq!(env.rows().await.len(), 2);
    assert_eq!(env.history_count().await, 1);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_deleted_between_its_tus_chunks_fails_as_source_missing_and_the_next_file_still_goes(
) {
    // 1 MiB tus chunks at 2 MiB/s: a 6 MiB file takes three seconds to send.
    let client = ClientConfig {
        single_request_max: MIB as u64,
        chunk_size: MIB as u64,
        bandwidth_limit: Some(2 * MIB as u64),
        ..config().client
    };
    delete_while_uploading(client, 6 * MIB, 2 * MIB as u64).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_deleted_during_its_one_request_upload_fails_as_source_missing_and_leaves_no_file() {
    // One request at 256 KiB/s: the server receives every byte (read from the still-open file), so
    // the upload must notice afterwards that the file is gone, and delete the File it made.
    let client = ClientConfig {
        bandwidth_limit: Some(256 * 1024),
        ..config().client
    };
    delete_while_uploading(client, MIB, MIB as u64 / 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moved_files_land_in_uploaded_are_never_queued_again_and_a_later_namesake_gets_a_number() {
    let env = Env::new(|new| new.after_upload = AfterUpload::Move).await;
    let running = env.start(Some(config()));
    let folder = env.setup.folder.clone();
    let uploaded = folder.join(UPLOADED_FOLDER);

    let a_bytes = test_bytes(10_000, 21);
    let b_bytes = test_bytes(12_000, 22);
    let a = env.write("a.jpg", &a_bytes);
    let b = env.write("2026/june/b.jpg", &b_bytes);
    let done = env.done(&[a.clone(), b.clone()]).await;
    assert!(done
        .values()
        .all(|t| t.outcome == Some(TransferOutcome::Uploaded)));
    appears(&uploaded.join("a.jpg")).await;
    appears(&uploaded.join("2026/june/b.jpg")).await;
    assert!(
        !a.exists() && !b.exists(),
        "the originals were moved, not copied"
    );
    assert_eq!(std::fs::read(uploaded.join("a.jpg")).unwrap(), a_bytes);
    assert_eq!(
        std::fs::read(uploaded.join("2026/june/b.jpg")).unwrap(),
        b_bytes
    );

    // A later file is uploaded and moved too; nothing under .uploaded/ was queued meanwhile.
    let c = env.write("c.jpg", b"later");
    env.done(std::slice::from_ref(&c)).await;
    appears(&uploaded.join("c.jpg")).await;
    let rows = env.rows().await;
    assert_eq!(rows.len(), 3, "{rows:#?}");
    assert!(rows.iter().all(|r| !r.source.starts_with(&uploaded)));

    // The same name again (the camera dumped the same photo once more): it goes to `a (1).jpg`
    // and the first one stays as it was.
    let again = env.write("a.jpg", &a_bytes);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let rows = env.rows().await;
        let done_for_a = rows
            .iter()
            .filter(|r| r.source == again && r.state == TransferState::Done)
            .count();
        if done_for_a == 2 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "a.jpg was not uploaded again: {rows:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    appears(&uploaded.join("a (1).jpg")).await;
    assert!(!again.exists());
    assert_eq!(std::fs::read(uploaded.join("a (1).jpg")).unwrap(), a_bytes);
    assert_eq!(std::fs::read(uploaded.join("a.jpg")).unwrap(), a_bytes);

    let rows = env.rows().await;
    assert_eq!(rows.len(), 4, "{rows:#?}");
    assert!(rows.iter().all(|r| !r.source.starts_with(&uploaded)));
    let mut paths: Vec<String> = env
        .server_files()
        .await
        .into_iter()
        .map(|f| f.path)
        .collect();
    paths.sort();
    assert_eq!(paths, ["2026/june/b.jpg", "a.jpg", "c.jpg"]);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_added_while_nothing_ran_are_uploaded_once_after_a_restart_and_nothing_is_sent_twice()
{
    let env = Env::new(|_| {}).await;
    let mut expected: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut add = |env: &Env, name: &str, seed: u64| {
        let bytes = test_bytes(8_000 + seed as usize, seed);
        let path = env.write(name, &bytes);
        expected.insert(path.clone(), sha256_hex(&bytes));
        path
    };

    // First run: one file, uploaded.
    let running = env.start(Some(config()));
    let first = add(&env, "first.jpg", 31);
    env.done(std::slice::from_ref(&first)).await;
    running.stop().await;

    // Nothing runs: two files appear.
    let offline = [
        add(&env, "offline/one.jpg", 32),
        add(&env, "offline/two.jpg", 33),
    ];

    // The watch alone queues one more, and stops before any runner sees it.
    let mut watcher_only = env.start(None);
    let queued_only = add(&env, "queued-only.jpg", 34);
    watcher_only
        .watch_events
        .wait_for(
            "queued-only.jpg queued",
            |e| matches!(e, WatchEvent::Queued { path, .. } if *path == queued_only),
        )
        .await;
    watcher_only.stop().await;

    // Second run: the files from while nothing ran are uploaded; the first file is not.
    let mut running = env.start(Some(config()));
    let mut all = vec![first.clone(), queued_only.clone()];
    all.extend(offline.iter().cloned());
    env.done(&all).await;
    running
        .watch_events
        .wait_for("first.jpg found uploaded", |e| {
            matches!(e, WatchEvent::Skipped { path, reason: SkipReason::AlreadyUploaded { .. }, .. } if *path == first)
        })
        .await;
    running.stop().await;

    // Third run, after everything finished: nothing is queued or sent again.
    let mut running = env.start(Some(config()));
    for path in &all {
        running
            .watch_events
            .wait_for("an uploaded file skipped", |e| {
                matches!(e, WatchEvent::Skipped { path: p, reason: SkipReason::AlreadyUploaded { .. }, .. } if p == path)
            })
            .await;
    }
    let sentinel = add(&env, "sentinel.jpg", 35);
    let done = env
        .done(&expected.keys().cloned().collect::<Vec<_>>())
        .await;
    let rows = env.rows().await;
    assert_eq!(
        rows.len(),
        5,
        "one transfer per file over three runs: {rows:#?}"
    );
    let claimed: Vec<i64> = running
        .queue_events
        .drain()
        .iter()
        .filter_map(changed)
        .filter(|t| t.state == TransferState::Running)
        .map(|t| t.id)
        .collect();
    assert_eq!(
        claimed,
        [done[&sentinel].id],
        "the last run sent only the new file"
    );
    let queued: Vec<&Path> = running
        .watch_events
        .drain()
        .iter()
        .filter_map(|e| match e {
            WatchEvent::Queued { path, .. } => Some(path.as_path()),
            _ => None,
        })
        .collect();
    assert_eq!(queued, [sentinel.as_path()]);

    let files = env.server_files().await;
    assert_eq!(files.len(), 5);
    env.assert_history(&done, &expected).await;
    assert_eq!(env.history_count().await, 5, "each file was recorded once");
    running.stop().await;
}
