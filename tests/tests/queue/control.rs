//! Pause and cancel written to the database by another process while a runner sends the file: the
//! runner stops at a heartbeat; a paused upload keeps its server-side progress and resumes from it,
//! a canceled one is dropped on the server.

use mediasaur::store::queue::{Transfer, TransferOutcome, TransferState};
use mediasaur::transfers::{QueueConfig, RunSummary};
use mediasaur::Strategy;
use mediasaur_e2e::sha256_hex;

use crate::support::*;

/// A runner that sends 1 MiB/s in 1 MiB tus chunks and keeps running when idle.
fn slow() -> QueueConfig {
    QueueConfig {
        client: slow_client(MIB as u64),
        ..config()
    }
}

/// Queues an 8 MiB file by tus, starts a slow runner, and waits until the server acknowledged at
/// least 1 MiB of it (as the row says).
async fn upload_under_way(
    setup: &Setup,
    name: &str,
    seed: u64,
) -> (i64, Vec<u8>, Runner, Transfer) {
    let (path, bytes) = setup.write(name, 8 * MIB, seed);
    let id = setup
        .enqueue(transfer(
            &path,
            "default",
            &format!("control/{name}"),
            Strategy::Tus,
        ))
        .await;
    let runner = setup.start(slow());
    let row = setup
        .row_when(id, "1 MiB acknowledged", |t| t.acked_bytes >= MIB as u64)
        .await;
    assert_eq!(row.state, TransferState::Running, "{row:#?}");
    assert!(row.upload_url.is_some(), "{row:#?}");
    (id, bytes, runner, row)
}

/// Waits for `runner` to report transfer `id` as `state`, stops the runner, checks it counted the
/// transfer as stopped by the user, and returns the reported row.
async fn stopped_by_the_user(mut runner: Runner, id: i64, state: TransferState) -> Transfer {
    let reported = runner.events.changed_to(id, state).await;
    let (summary, _) = runner.stop().await;
    assert_eq!(
        summary,
        RunSummary {
            stopped: 1,
            ..RunSummary::default()
        }
    );
    reported
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_from_another_process_stops_the_upload_and_resume_continues_from_its_offset() {
    let setup = Setup::new().await;
    let (id, bytes, runner, under_way) = upload_under_way(&setup, "pause.bin", 61).await;

    let cli = setup.other_process_db().await;
    let paused = cli
        .pause_transfer(id)
        .await
        .expect("pause a running transfer");
    assert_eq!(paused.state, TransferState::Paused);
    // The runner notices at a heartbeat, stops sending, and reports the row as it stands.
    let reported = stopped_by_the_user(runner, id, TransferState::Paused).await;
    let row = setup.row(id).await;
    assert_eq!(row.state, TransferState::Paused, "{row:#?}");
    assert_eq!(reported.state, TransferState::Paused, "{reported:#?}");
    assert!(
        row.acked_bytes >= reported.acked_bytes.max(under_way.acked_bytes)
            && row.acked_bytes < bytes.len() as u64,
        "the acknowledged bytes are kept: {row:#?}"
    );
    assert_eq!(row.upload_url, under_way.upload_url);
    assert_eq!((row.outcome, row.error_code.as_deref()), (None, None));
    let upload_url = row.upload_url.clone().unwrap();
    assert_eq!(
        setup.head_upload(&upload_url).await,
        200,
        "the partial upload is kept"
    );

    let resumed = cli
        .resume_transfer(id)
        .await
        .expect("resume a paused transfer");
    assert_eq!(resumed.state, TransferState::Queued);
    // Unlimited this time: the rest goes at full speed.
    let (summary, events) = setup.run_until_idle(config()).await;
    assert_eq!(summary.done, 1, "{summary:?} {events:#?}");
    let row = setup.row(id).await;
    assert_eq!(row.state, TransferState::Done, "{row:#?}");
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
    assert_eq!(row.attempts, 2, "one try per run: {row:#?}");
    let file_id = row.file_id.as_deref().unwrap();
    let entry = setup
        .db
        .history_by_file_id(file_id, None)
        .await
        .unwrap()
        .unwrap();
    assert!(entry.verified);
    assert_eq!(entry.file.sha256, sha256_hex(&bytes));
    assert_eq!(setup.stored_bytes("control/pause.bin").await, bytes);
    cli.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_from_another_process_stops_the_upload_and_drops_it_on_the_server() {
    let setup = Setup::new().await;
    let (id, bytes, runner, under_way) = upload_under_way(&setup, "cancel.bin", 62).await;
    let upload_url = under_way.upload_url.clone().unwrap();

    let cli = setup.other_process_db().await;
    let canceled = cli
        .cancel_transfer(id)
        .await
        .expect("cancel a running transfer");
    assert_eq!(canceled.state, TransferState::Canceled);
    let reported = stopped_by_the_user(runner, id, TransferState::Canceled).await;
    let row = setup.row(id).await;
    assert_eq!(row.state, TransferState::Canceled, "{row:#?}");
    assert_eq!(row.finished_at, reported.finished_at, "{reported:#?}");
    assert!(row.acked_bytes < bytes.len() as u64, "{row:#?}");
    assert!(row.finished_at.is_some(), "{row:#?}");
    assert_eq!((row.outcome, row.file_id.as_deref()), (None, None));
    let status = setup.head_upload(&upload_url).await;
    assert!(
        status == 404 || status == 410,
        "HEAD on the canceled upload answered {status}"
    );
    assert!(setup.server_files("control/").await.is_empty());
    cli.close().await;
}
