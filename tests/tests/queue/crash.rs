//! A runner that dies mid-upload without cleaning up (its runtime shut down under it, as in a crash):
//! its row stays `running` under its claim until the lease runs out, then the next runner resumes the
//! same tus upload from the saved offset.

use std::time::Duration;

use mediasaur::store::queue::{TransferOutcome, TransferState};
use mediasaur::store::Database;
use mediasaur::transfers::{start_queue, QueueConfig};
use mediasaur::Strategy;
use mediasaur_e2e::sha256_hex;

use crate::support::*;

/// The claim on a row, read with plain SQL (the store does not expose it).
async fn claim(db: &Database, id: i64) -> (Option<String>, Option<i64>) {
    sqlx::query_as("SELECT runner, lease_until FROM transfers WHERE id = ?")
        .bind(id)
        .fetch_one(db.pool())
        .await
        .expect("read a transfer's claim")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_runners_upload_resumes_after_its_lease_from_the_saved_offset() {
    let setup = Setup::new().await;
    let (path, bytes) = setup.write("crash.bin", 6 * MIB, 71);
    let id = setup
        .enqueue(transfer(&path, "default", "crash/crash.bin", Strategy::Tus))
        .await;
    let lease = Duration::from_secs(1);

    // The first runner lives in its own runtime, with its own database handle, like another process.
    let doomed = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime for the doomed runner");
    let (tx, _doomed_events) = tokio::sync::mpsc::unbounded_channel();
    let data_dir = setup.temp.path().join("data");
    let credentials = setup.credentials();
    let doomed_config = QueueConfig {
        client: slow_client(2 * MIB as u64),
        lease,
        ..config()
    };
    doomed.spawn(async move {
        let db = Database::open_in(&data_dir)
            .await
            .expect("open the database");
        let _runner = start_queue(db, credentials, doomed_config, tx).expect("start a runner");
        std::future::pending::<()>().await;
    });
    let under_way = setup
        .row_when(id, "1 MiB acknowledged", |t| t.acked_bytes >= MIB as u64)
        .await;
    // Every task of that runtime is dropped without being polled again: no unclaiming, no
    // terminating, like a process killed mid-chunk.
    doomed.shutdown_background();
    // Let a write that SQLite was already carrying out land before looking.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let crashed = setup.row(id).await;
    assert_eq!(
        crashed.state,
        TransferState::Running,
        "left as it was: {crashed:#?}"
    );
    assert!(crashed.acked_bytes >= under_way.acked_bytes, "{crashed:#?}");
    assert!(crashed.acked_bytes < bytes.len() as u64, "{crashed:#?}");
    let upload_url = crashed
        .upload_url
        .clone()
        .expect("the tus upload is on the row");
    let (runner, lease_until) = claim(&setup.db, id).await;
    let runner = runner.expect("still claimed");
    assert!(
        runner.starts_with(&format!("{}-", std::process::id())),
        "claimed by this process: {runner}"
    );
    let lease_until = lease_until.expect("a lease");

    // The next runner (same process, so only the lease can tell the claim is dead). It exits when
    // idle, so it must wait for the dead claim rather than leave at once with the row `running`.
    let mut next = setup.start(QueueConfig {
        lease,
        exit_when_idle: true,
        ..config()
    });
    let claimed = next.events.changed_to(id, TransferState::Running).await;
    assert!(
        claimed.updated_at > lease_until,
        "taken over only after the lease ran out ({} <= {lease_until})",
        claimed.updated_at
    );
    assert_eq!(claimed.upload_url.as_deref(), Some(upload_url.as_str()));
    let done = next.events.changed_to(id, TransferState::Done).await;
    let (summary, events) = next.finish().await;
    assert_eq!(summary.done, 1, "{summary:?} {events:#?}");

    let row = setup.row(id).await;
    assert_eq!(row, done);
    assert_eq!(row.outcome, Some(TransferOutcome::Uploaded));
    assert_eq!(
        row.restart_reason, None,
        "resumed, not started over: {row:#?}"
    );
    assert_eq!(
        row.upload_url.as_deref(),
        Some(upload_url.as_str()),
        "the same tus upload"
    );
    assert_eq!(row.attempts, 2, "one try per runner: {row:#?}");
    let (runner, lease_until) = claim(&setup.db, id).await;
    assert_eq!((runner, lease_until), (None, None), "the claim is gone");
    let entry = setup
        .db
        .history_by_file_id(row.file_id.as_deref().unwrap(), None)
        .await
        .unwrap()
        .unwrap();
    assert!(entry.verified);
    assert_eq!(entry.sha256, sha256_hex(&bytes));
    assert_eq!(entry.file.sha256, sha256_hex(&bytes));
    assert_eq!(setup.stored_bytes("crash/crash.bin").await, bytes);
}
