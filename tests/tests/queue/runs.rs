//! Runs to the end: every kind of file uploaded and recorded, a retried transfer that still reports
//! success, and real failures that keep their code and can be retried.

use mediasaur::store::queue::{TransferOutcome, TransferState};
use mediasaur::transfers::{QueueConfig, QueueEvent, RunSummary};
use mediasaur::upload::SingleRequest;
use mediasaur::Strategy;
use mediasaur_e2e::fault_proxy::FaultProxy;
use mediasaur_e2e::sha256_hex;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mix_of_files_ends_done_uploaded_verified_and_reported() {
    let setup = Setup::new().await;
    let files = [
        ("empty.bin", 0, Strategy::Auto),
        ("empty-tus.bin", 0, Strategy::Tus),
        ("small.bin", 100_000, Strategy::Auto),
        (
            "multipart.bin",
            300_000,
            Strategy::Single(SingleRequest::MultipartToken),
        ),
        // Above the 1 MiB single-request limit: tus in 1 MiB chunks.
        ("large.bin", 3 * MIB + 12_345, Strategy::Auto),
    ];
    let mut queued = Vec::new();
    for (seed, (name, len, strategy)) in files.into_iter().enumerate() {
        let (path, bytes) = setup.write(name, len, seed as u64 + 1);
        let target = format!("mix/{name}");
        let id = setup
            .enqueue(transfer(&path, "default", &target, strategy))
            .await;
        queued.push((id, target, bytes));
    }

    let (summary, events) = setup.run_until_idle(config()).await;

    assert_eq!(
        summary,
        RunSummary {
            done: queued.len() as u64,
            ..RunSummary::default()
        }
    );
    assert_eq!(events.last(), Some(&QueueEvent::Idle), "{events:#?}");
    for (id, target, bytes) in &queued {
        let row = setup.row(*id).await;
        let sha256 = sha256_hex(bytes);
        assert_eq!(row.state, TransferState::Done, "{row:#?}");
        assert_eq!(row.outcome, Some(TransferOutcome::Uploaded), "{row:#?}");
        assert_eq!(row.attempts, 1, "{row:#?}");
        assert_eq!(row.acked_bytes, bytes.len() as u64, "{row:#?}");
        assert_eq!(
            (row.error_code.as_deref(), row.error_message.as_deref()),
            (None, None)
        );
        assert!(
            row.started_at.is_some() && row.finished_at.is_some(),
            "{row:#?}"
        );
        let file_id = row.file_id.clone().expect("a done transfer names its File");

        let entry = setup
            .db
            .history_by_file_id(&file_id, Some(PROFILE))
            .await
            .unwrap()
            .expect("the upload is in the history");
        assert!(entry.verified, "{entry:#?}");
        assert_eq!(entry.sha256, sha256);
        assert_eq!(
            entry.file.sha256, sha256,
            "the server's File holds the bytes"
        );
        assert_eq!(entry.file.filesize, bytes.len() as u64);
        assert_eq!(&entry.file.path, target);
        assert_eq!(entry.source.as_deref(), Some(row.source.as_path()));
        assert_eq!(&setup.stored_bytes(target).await, bytes, "{target}");

        // Reported: claimed (running), then done with the File object, and nothing after that.
        let states = states_of(&events, *id);
        assert_eq!(
            states,
            [TransferState::Running, TransferState::Done],
            "transfer {id}: {events:#?}"
        );
        let (done, file) = events
            .iter()
            .filter_map(changed)
            .find(|(t, _)| t.id == *id && t.state == TransferState::Done)
            .unwrap();
        assert_eq!(done, &row, "the event carries the row as written");
        let file = file.expect("the done event carries the File object");
        assert_eq!(file.id, file_id);
        assert_eq!(file.sha256, sha256);
    }
    assert_eq!(setup.server_files("mix/").await.len(), queued.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_that_failed_once_then_succeeded_is_done_with_its_attempts_counted() {
    let setup = Setup::new().await;
    let proxy = FaultProxy::start(setup.server.addr).await;
    let (path, bytes) = setup.write("flaky.bin", 3 * MIB, 31);
    let id = setup
        .enqueue(transfer(&path, "default", "flaky/flaky.bin", Strategy::Tus))
        .await;
    // The first PATCH loses its connection half-way through its chunk.
    proxy.cut_next_upload_after(MIB as u64 / 2);
    let (summary, events) = Runner::start(
        setup.db.clone(),
        credentials_for(
            url::Url::parse(&proxy.url("")).unwrap(),
            &setup.server.api_key,
        ),
        QueueConfig {
            exit_when_idle: true,
            ..config()
        },
    )
    .finish()
    .await;

    assert_eq!(proxy.cuts(), 1, "the fault fired");
    assert_eq!(summary.done, 1, "{summary:?}");
    let row = setup.row(id).await;
    assert_eq!(row.state, TransferState::Done, "{row:#?}");
    assert_eq!(row.outcome, Some(TransferOutcome::Uploaded));
    assert!(row.attempts >= 2, "the retry is counted: {row:#?}");
    assert_eq!(row.error_code, None, "a success carries no error: {row:#?}");
    assert_eq!(row.error_message, None);
    let retried = events
        .iter()
        .any(|e| matches!(e, QueueEvent::Retrying { transfer, .. } if *transfer == id));
    assert!(retried, "the retry was reported: {events:#?}");
    assert_eq!(
        states_of(&events, id).last(),
        Some(&TransferState::Done),
        "{events:#?}"
    );
    let entry = setup
        .db
        .history_by_file_id(row.file_id.as_deref().unwrap(), None)
        .await
        .unwrap()
        .unwrap();
    assert!(entry.verified);
    assert_eq!(entry.file.sha256, sha256_hex(&bytes));
    assert_eq!(setup.stored_bytes("flaky/flaky.bin").await, bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_failures_keep_their_code_the_rest_finishes_and_a_retry_completes() {
    let setup = Setup::new().await;
    let (fine, fine_bytes) = setup.write("fine.bin", 50_000, 41);
    let (gone, gone_bytes) = setup.write("gone.bin", 60_000, 42);
    let (other, _) = setup.write("other.bin", 70_000, 43);
    let (big, _) = setup.write("big.bin", 2 * MIB, 44);
    let fine_id = setup
        .enqueue(transfer(&fine, "default", "fail/fine.bin", Strategy::Auto))
        .await;
    let gone_id = setup
        .enqueue(transfer(&gone, "default", "fail/gone.bin", Strategy::Auto))
        .await;
    // A bucket the server does not have, by a signed PUT and through tus.
    let no_bucket_id = setup
        .enqueue(transfer(
            &other,
            "no-such-bucket",
            "fail/other.bin",
            Strategy::Auto,
        ))
        .await;
    let no_bucket_tus_id = setup
        .enqueue(transfer(
            &big,
            "no-such-bucket",
            "fail/big.bin",
            Strategy::Tus,
        ))
        .await;
    // A name no bucket can have.
    let bad_name_id = setup
        .enqueue(transfer(
            &other,
            "Bad_Bucket",
            "fail/other.bin",
            Strategy::Auto,
        ))
        .await;
    std::fs::remove_file(&gone).unwrap();

    let (summary, events) = setup.run_until_idle(config()).await;

    assert_eq!(
        summary,
        RunSummary {
            done: 1,
            failed: 4,
            ..RunSummary::default()
        },
        "{events:#?}"
    );
    let fine_row = setup.row(fine_id).await;
    assert_eq!(fine_row.state, TransferState::Done, "{fine_row:#?}");
    assert_eq!(setup.stored_bytes("fail/fine.bin").await, fine_bytes);
    for (id, code, names) in [
        (gone_id, "source_missing", "gone.bin"),
        (no_bucket_id, "not_found", "no-such-bucket"),
        (no_bucket_tus_id, "not_found", "no-such-bucket"),
        (bad_name_id, "invalid_bucket", "bucket"),
    ] {
        let row = setup.row(id).await;
        assert_eq!(row.state, TransferState::Failed, "{row:#?}");
        assert_eq!(row.error_code.as_deref(), Some(code), "{row:#?}");
        let message = row.error_message.clone().unwrap_or_default();
        assert!(message.contains(names), "{code}: {message}");
        assert!(row.finished_at.is_some(), "{row:#?}");
        assert_eq!((row.outcome, row.file_id.as_deref()), (None, None));
        assert_eq!(
            states_of(&events, id),
            [TransferState::Running, TransferState::Failed],
            "{events:#?}"
        );
    }

    // The file is back: retried, the transfer goes through; the others stay as they were.
    std::fs::write(&gone, &gone_bytes).unwrap();
    let retried = setup.db.retry_transfer(gone_id).await.unwrap();
    assert_eq!(retried.state, TransferState::Queued);
    assert_eq!((retried.error_code, retried.error_message), (None, None));
    let (summary, _) = setup.run_until_idle(config()).await;
    assert_eq!(summary.done, 1, "{summary:?}");
    let row = setup.row(gone_id).await;
    assert_eq!(row.state, TransferState::Done, "{row:#?}");
    assert_eq!(row.outcome, Some(TransferOutcome::Uploaded));
    assert_eq!(row.attempts, 2, "one try per run: {row:#?}");
    assert_eq!((row.error_code, row.error_message), (None, None));
    assert_eq!(setup.stored_bytes("fail/gone.bin").await, gone_bytes);
    for id in [no_bucket_id, no_bucket_tus_id, bad_name_id] {
        assert_eq!(setup.row(id).await.state, TransferState::Failed);
    }
}
