//! The transfer queue across process deaths: `upload` killed with SIGKILL mid-file, then
//! `queue run` finishes it from the server's offset on the same tus upload; a file changed while
//! nobody ran starts over with the reason recorded; `queue` pause/resume/retry/cancel/list.

use std::time::Duration;

use mediasaur::store::queue::{Transfer, TransferQuery, TransferState};
use mediasaur::store::Database;
use mediasaur_e2e::{sha256_hex, test_bytes, TestServer};

use crate::support::*;

/// The one transfer in the user's queue.
async fn only_transfer(cli: &Cli) -> Transfer {
    let db = Database::open_in(cli.data_dir())
        .await
        .expect("open the CLI's database");
    let mut transfers = db.transfers(&TransferQuery::default()).await.unwrap();
    db.close().await;
    assert_eq!(transfers.len(), 1, "{transfers:#?}");
    transfers.remove(0)
}

/// Starts `upload` of `file` slowly in 1 MiB tus chunks, waits until the server acknowledged at
/// least `acked` bytes of it (as the queue row says), and kills the process with SIGKILL.
async fn kill_upload_after(cli: &Cli, file: &std::path::Path, acked: u64) -> Transfer {
    let args = [
        "upload",
        "--strategy",
        "tus",
        "--chunk-size",
        "1M",
        "--limit-rate",
        "2M",
        arg(file),
    ];
    let mut child = cli.command(&args).spawn().expect("start mediasaur upload");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the upload never got {acked} bytes acknowledged"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        if !cli
            .data_dir()
            .join(mediasaur::store::DATABASE_FILE)
            .exists()
        {
            continue;
        }
        // The CLI may be creating the database at this moment: a failed look is just retried.
        let Ok(db) = Database::open_in(cli.data_dir()).await else {
            continue;
        };
        let rows = db
            .transfers(&TransferQuery::default())
            .await
            .unwrap_or_default();
        db.close().await;
        if rows.first().is_some_and(|t| t.acked_bytes >= acked) {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "upload ended before it was killed"
        );
    }
    // `kill_on_drop` and `start_kill` send SIGKILL: no destructor, no signal handler runs.
    child.start_kill().unwrap();
    let status = child.wait().await.unwrap();
    assert!(!status.success(), "{status:?}");
    only_transfer(cli).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_killed_with_sigkill_finishes_from_the_servers_offset() {
    let server = TestServer::start().await;
    let cli = Cli::new();
    cli.login_default(server.base.as_str(), &server.api_key)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = test_bytes(12 * MIB + 333, 41);
    let file = write(dir.path(), "killed.bin", &bytes);

    let killed = kill_upload_after(&cli, &file, 3 * MIB as u64).await;
    assert_eq!(
        killed.state,
        TransferState::Running,
        "left as the dead process had it"
    );
    let upload_url = killed
        .upload_url
        .clone()
        .expect("the tus upload's URL was saved");
    let acked = killed.acked_bytes;
    assert!(
        acked >= 3 * MIB as u64 && acked < bytes.len() as u64,
        "{killed:#?}"
    );

    let run = cli.run(["queue", "run", "--json"]).await;
    let stored = run.success().json();
    assert_eq!(text(&stored, "sha256"), sha256_hex(&bytes), "{run}");
    assert_eq!(text(&stored, "path"), "killed.bin");

    let done = only_transfer(&cli).await;
    assert_eq!(done.state, TransferState::Done, "{done:#?}");
    // The same tus upload was continued: nothing started over, and it took one more run.
    assert_eq!(done.restart_reason, None, "{done:#?}");
    assert_eq!(done.upload_url.as_deref(), Some(upload_url.as_str()));
    assert_eq!(done.attempts, 2, "{done:#?}");
    let file_id = done.file_id.clone().expect("the File's id");
    let served = reqwest::Client::new()
        .get(text(&stored, "url"))
        .bearer_auth(&server.api_key)
        .send()
        .await
        .unwrap();
    assert!(served.status().is_success(), "{served:?}");
    let served = served.bytes().await.unwrap();
    assert_eq!(
        sha256_hex(&served),
        sha256_hex(&bytes),
        "the server serves the file's bytes"
    );

    // The history has it, verified.
    let db = Database::open_in(cli.data_dir()).await.unwrap();
    let entry = db
        .history_by_file_id(&file_id, None)
        .await
        .unwrap()
        .expect("in the history");
    assert!(entry.verified);
    assert_eq!(entry.source.as_deref(), Some(file.as_path()));
    db.close().await;

    // Nothing is left to run.
    let again = cli.run(["queue", "run"]).await;
    again.success();
    assert!(again.stdout.is_empty(), "{again}");
    cli.assert_no_leaks();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_changed_while_nobody_ran_starts_over_and_says_why() {
    let server = TestServer::start().await;
    let cli = Cli::new();
    cli.login_default(server.base.as_str(), &server.api_key)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "changed.bin", &test_bytes(8 * MIB, 42));
    kill_upload_after(&cli, &file, MIB as u64).await;

    let replaced = test_bytes(9 * MIB + 5, 43);
    std::fs::write(&file, &replaced).unwrap();
    let run = cli.run(["queue", "run", "--json"]).await;
    let stored = run.success().json();
    assert_eq!(text(&stored, "sha256"), sha256_hex(&replaced), "{run}");
    let done = only_transfer(&cli).await;
    assert_eq!(done.state, TransferState::Done);
    let reason = done.restart_reason.clone().unwrap_or_default();
    assert!(reason.contains("file changed"), "{done:#?}");
    assert_eq!(done.size, replaced.len() as u64);
    cli.assert_no_leaks();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_commands_pause_resume_retry_and_cancel_with_coded_errors() {
    let server = TestServer::start().await;
    let cli = Cli::new();
    cli.login_default(server.base.as_str(), &server.api_key)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "gone-soon.txt", b"bytes that will vanish");
    // A file deleted after it was queued fails as `source_missing`, and can be retried once back.
    let db = Database::open_in(cli.data_dir()).await.unwrap();
    let meta = std::fs::metadata(&file).unwrap();
    let enqueued = db
        .enqueue(&[mediasaur::store::queue::NewTransfer {
            source: file.clone(),
            size: meta.len(),
            modified_ns: mediasaur::upload::modified_ns(&meta),
            profile: "default".into(),
            bucket: "default".into(),
            path: "q/gone-soon.txt".into(),
            strategy: mediasaur::Strategy::Auto,
            watch_id: None,
            batch: None,
        }])
        .await
        .unwrap();
    let id = enqueued[0].id().to_string();
    db.close().await;

    cli.run(["queue", "pause", &id]).await.success();
    let list = cli
        .run(["queue", "list", "--json", "--state", "paused"])
        .await;
    assert_eq!(list.success().json_lines().len(), 1, "{list}");
    // Paused transfers are left alone by `queue run`.
    cli.run(["queue", "run"]).await.success();
    assert_eq!(only_transfer(&cli).await.state, TransferState::Paused);
    cli.run(["queue", "pause", &id])
        .await
        .error("invalid_state");
    cli.run(["queue", "resume", &id]).await.success();

    std::fs::remove_file(&file).unwrap();
    let run = cli.run(["queue", "run"]).await;
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("[source_missing]"), "{run}");
    let failed = only_transfer(&cli).await;
    assert_eq!(failed.state, TransferState::Failed);
    assert_eq!(failed.error_code.as_deref(), Some("source_missing"));

    std::fs::write(&file, b"bytes that will vanish").unwrap();
    cli.run(["queue", "retry", "--all"]).await.success();
    let retried = only_transfer(&cli).await;
    assert_eq!(retried.state, TransferState::Queued);
    assert_eq!(
        (retried.error_code, retried.error_message),
        (None, None),
        "a retried transfer no longer shows its old failure"
    );
    let run = cli.run(["queue", "run", "--json"]).await;
    assert_eq!(text(&run.success().json(), "path"), "q/gone-soon.txt");
    let done = only_transfer(&cli).await;
    assert_eq!((done.state, done.attempts), (TransferState::Done, 2));
    assert_eq!(
        done.error_code, None,
        "a success after a failure is not an error"
    );

    cli.run(["queue", "cancel", &id])
        .await
        .error("invalid_state");
    cli.run(["queue", "resume", "999999"])
        .await
        .error("not_found");
    cli.assert_no_leaks();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canceling_an_abandoned_upload_drops_it_on_the_server() {
    let server = TestServer::start().await;
    let cli = Cli::new();
    cli.login_default(server.base.as_str(), &server.api_key)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "abandoned.bin", &test_bytes(8 * MIB, 44));
    let killed = kill_upload_after(&cli, &file, MIB as u64).await;
    let upload_url = killed.upload_url.clone().expect("a tus upload was begun");
    let head = || async {
        reqwest::Client::new()
            .head(&upload_url)
            .header("Tus-Resumable", "1.0.0")
            .bearer_auth(&server.api_key)
            .send()
            .await
            .unwrap()
            .status()
    };
    assert!(
        head().await.is_success(),
        "the server holds the partial upload"
    );

    cli.run(["queue", "cancel", &killed.id.to_string()])
        .await
        .success();
    let canceled = only_transfer(&cli).await;
    assert_eq!(canceled.state, TransferState::Canceled);
    let status = head().await.as_u16();
    assert!(
        matches!(status, 404 | 410),
        "the partial upload is gone: {status}"
    );
    // Nothing is left for a runner, and the file never became a File.
    cli.run(["queue", "run"]).await.success();
    assert_eq!(only_transfer(&cli).await.state, TransferState::Canceled);
    cli.assert_no_leaks();
}
