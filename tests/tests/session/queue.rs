//! The queue as the app drives it: a dropped folder is uploaded with its layout and reported once
//! as a batch, and again only as duplicates; bad input is refused with codes, file by file, without
//! losing the good files.

use mediasaur::session::{SessionEvent, TransferAction, UploadTarget};
use mediasaur::settings::Settings;
use mediasaur::store::queue::{TransferCounts, TransferOutcome, TransferState};
use mediasaur::store::search::HistoryQuery;
use mediasaur_e2e::api_client::png;
use mediasaur_e2e::sha256_hex;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_folder_is_uploaded_as_one_batch_and_again_only_as_duplicates() {
    let mut h = Harness::new().await;
    let wide = png(300, 200);
    let small = png(40, 30);
    h.write("shots/wide.png", &wide);
    h.write("shots/sub/small.png", &small);
    h.write("shots/sub/notes.txt", b"what these shots are\n");
    let folder = h.files_dir().join("shots");

    let report = h.add(&[&folder], "drop").await;
    assert_eq!(report.queued, 3, "{report:?}");
    assert_eq!(report.already_queued, 0);
    assert!(report.failures.is_empty(), "{report:?}");

    let paths = [
        "drop/shots/sub/notes.txt",
        "drop/shots/sub/small.png",
        "drop/shots/wide.png",
    ];
    let mut ids = Vec::new();
    for path in paths {
        let (transfer, file) = h.done_at(path).await;
        assert_eq!(transfer.outcome, Some(TransferOutcome::Uploaded));
        assert_eq!(file.path, path);
        ids.push(transfer.id);
    }
    let batch = h.batch_finished().await;
    assert_eq!(
        (batch.files, batch.done, batch.failed),
        (3, 3, 0),
        "{batch:?}"
    );
    let total = (wide.len() + small.len() + 21) as u64;
    assert_eq!((batch.bytes_total, batch.bytes_sent), (total, total));
    h.event(SessionEvent::HistoryChanged).await;
    h.events.drain();
    let batches = h
        .events
        .seen
        .iter()
        .filter(|e| matches!(e, SessionEvent::BatchFinished { .. }))
        .count();
    assert_eq!(batches, 1, "one batch: {:#?}", h.events.seen);
    for id in ids {
        assert_eq!(
            times_changed_to(&h.events.seen, id, TransferState::Done),
            1,
            "transfer {id}"
        );
    }

    let mut on_server: Vec<_> = h
        .server_files("drop/")
        .await
        .into_iter()
        .map(|f| f.path)
        .collect();
    on_server.sort();
    assert_eq!(on_server, paths);
    let (status, bytes) = h.download("drop/shots/wide.png").await;
    assert_eq!((status, bytes == wide), (200, true));

    // The history knows the images' sizes, and finds them by them.
    let entry = h
        .history_at("drop/shots/wide.png")
        .await
        .expect("in history");
    assert_eq!(
        (entry.file.width, entry.file.height),
        (Some(300), Some(200))
    );
    assert_eq!(entry.file.sha256, sha256_hex(&wide));
    assert!(entry.verified, "{entry:?}");
    let entry = h.history_at("drop/shots/sub/small.png").await.unwrap();
    assert_eq!((entry.file.width, entry.file.height), (Some(40), Some(30)));
    let entry = h.history_at("drop/shots/sub/notes.txt").await.unwrap();
    assert_eq!((entry.file.width, entry.file.height), (None, None));
    let wide_only = h
        .session
        .search_history(&HistoryQuery {
            min_width: Some(100),
            ..HistoryQuery::default()
        })
        .await
        .unwrap();
    let found: Vec<_> = wide_only.entries.iter().map(|e| &e.file.path).collect();
    assert_eq!(found, ["drop/shots/wide.png"]);
    let by_words = h
        .session
        .search_history(&HistoryQuery {
            text: Some("sma".into()),
            ..HistoryQuery::default()
        })
        .await
        .unwrap();
    let found: Vec<_> = by_words.entries.iter().map(|e| &e.file.path).collect();
    assert_eq!(found, ["drop/shots/sub/small.png"]);

    // The same folder again, once done: queued, then recognised as duplicates and not sent.
    h.forget_events();
    let files_before = h.server_files("drop/").await;
    let report = h.add(&[&folder], "drop").await;
    assert_eq!((report.queued, report.already_queued), (3, 0), "{report:?}");
    for path in paths {
        let (transfer, _) = h.done_at(path).await;
        assert_eq!(
            transfer.outcome,
            Some(TransferOutcome::Duplicate),
            "{transfer:#?}"
        );
    }
    let batch = h.batch_finished().await;
    assert_eq!(
        (batch.files, batch.done, batch.failed),
        (3, 3, 0),
        "{batch:?}"
    );
    h.events.drain();
    assert!(
        !h.events.seen.contains(&SessionEvent::HistoryChanged),
        "duplicates add nothing to the history: {:#?}",
        h.events.seen
    );
    assert_eq!(
        h.server_files("drop/").await,
        files_before,
        "nothing re-sent"
    );
    assert_eq!(h.history().await.len(), 3);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_codes_and_the_good_files_are_still_queued() {
    let mut h = Harness::new().await;

    // A finished transfer cannot be resumed, retried or canceled.
    let done = h.write("done.txt", b"finished already");
    assert_eq!(h.add(&[&done], "bad-input").await.queued, 1);
    let (finished, _) = h.done_at("bad-input/done.txt").await;
    for action in [
        TransferAction::Resume,
        TransferAction::Retry,
        TransferAction::Cancel,
        TransferAction::Pause,
    ] {
        error_with(
            h.session.transfer_action(finished.id, action).await,
            "invalid_state",
        );
    }
    error_with(
        h.session
            .transfer_action(finished.id + 1000, TransferAction::Pause)
            .await,
        "not_found",
    );

    // Slow enough that the good files are still sending while the rest of the test runs.
    h.session
        .save_settings(Settings {
            bandwidth_limit: Some(2048),
            ..Settings::default()
        })
        .await
        .unwrap();
    let (good_a, _) = h.write_random("good-a.bin", 64 * 1024, 1);
    let (good_b, _) = h.write_random("good-b.bin", 64 * 1024, 2);
    let bad_name = h.write("back\\slash.txt", b"a name no object path may have");
    let missing = h.files_dir().join("missing.bin");
    let report = h
        .add(&[&good_a, &bad_name, &missing, &good_b], "bad-input")
        .await;
    assert_eq!((report.queued, report.already_queued), (2, 0), "{report:?}");
    let mut failures: Vec<_> = report
        .failures
        .iter()
        .map(|f| (f.source.clone(), f.code.as_str()))
        .collect();
    failures.sort();
    let mut expected = vec![
        (bad_name.clone(), "invalid_path"),
        (missing.clone(), "unreadable_file"),
    ];
    expected.sort();
    assert_eq!(failures, expected, "{report:#?}");
    assert!(report.failures.iter().all(|f| !f.message.is_empty()));
    let pending = |counts: &TransferCounts| counts.queued + counts.running;
    let counts = h.session.transfer_counts().await.unwrap();
    assert_eq!((pending(&counts), counts.done), (2, 1), "{counts:?}");

    // Asked again while they are still on their way: not queued twice.
    let again = h.add(&[&good_a, &good_b], "bad-input").await;
    assert_eq!((again.queued, again.already_queued), (0, 2), "{again:?}");

    let before = h.rows().await;
    assert_eq!(before.len(), 3);
    let bad_bucket = UploadTarget {
        bucket: Some("Bad Bucket!".into()),
        ..target("bad-input")
    };
    error_with(
        h.session
            .add_paths(vec![good_a.clone(), done.clone()], bad_bucket)
            .await,
        "invalid_bucket",
    );
    // A profile without a default bucket, and no bucket named.
    h.session
        .save_profile(mediasaur::session::ProfileInput {
            name: "nobucket".into(),
            bucket: None,
            make_default: false,
            ..h.profile_input()
        })
        .await
        .unwrap();
    let no_bucket = UploadTarget {
        profile: Some("nobucket".into()),
        ..UploadTarget::default()
    };
    error_with(
        h.session.add_paths(vec![done.clone()], no_bucket).await,
        "bucket_required",
    );
    assert_eq!(h.rows().await.len(), before.len(), "nothing queued");

    error_with(h.session.share_link(1, 0).await, "invalid_request");
    error_with(h.session.share_link(424_242, 3600).await, "not_found");

    let counts = h.session.transfer_counts().await.unwrap();
    assert_eq!(
        pending(&counts),
        2,
        "the good files are still queued: {counts:?}"
    );
    assert_eq!(
        h.session
            .transfer_action_all(TransferAction::Cancel)
            .await
            .unwrap(),
        2
    );
    h.shutdown().await;
}
