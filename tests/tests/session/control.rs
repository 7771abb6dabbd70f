//! Pause, resume and cancel from the UI while uploads are sending: a paused upload goes quiet and
//! later resumes to the right bytes, a canceled one leaves nothing on the server, the "all" actions
//! count what they changed, finished rows can be cleared, and a pause undone at once does not leave
//! an upload stuck.

use std::time::{Duration, Instant};

use mediasaur::session::{SessionEvent, TransferAction};
use mediasaur::settings::Settings;
use mediasaur::store::queue::{Transfer, TransferCounts, TransferOutcome, TransferState};
use mediasaur_e2e::sha256_hex;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_cancel_act_on_running_uploads() {
    let mut h = Harness::new().await;
    send_slowly(&h).await;
    let (keep, keep_bytes) = h.write_random("keep.bin", 16 * MIB, 41);
    let (drop, _) = h.write_random("drop.bin", 16 * MIB, 42);
    assert_eq!(h.add(&[&keep, &drop], "control").await.queued, 2);
    let keep_id = h.row_to("control/keep.bin").await.id;
    let drop_id = h.row_to("control/drop.bin").await.id;
    for id in [keep_id, drop_id] {
        h.events
            .wait_for(&format!("progress of transfer {id}"), |e| {
                progress_of(e, id).is_some_and(|sent| sent > 0)
            })
            .await;
    }

    // Pause: the runner stops sending it (reporting it once the action has), and it stays quiet.
    let held = act_until_reported(
        &mut h,
        keep_id,
        TransferAction::Pause,
        TransferState::Paused,
    )
    .await;
    assert!(held.acked_bytes < held.size, "{held:#?}");
    let mark = h.events.seen.len();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    h.events.drain();
    let late: Vec<u64> = h.events.seen[mark..]
        .iter()
        .filter_map(|e| progress_of(e, keep_id))
        .collect();
    assert!(late.is_empty(), "progress after the pause: {late:?}");
    let still = h.session.database().transfer(keep_id).await.unwrap();
    assert_eq!(
        (still.state, still.acked_bytes),
        (TransferState::Paused, held.acked_bytes)
    );

    // Cancel: stopped for good, and nothing lands on the server.
    let row = act_until_reported(
        &mut h,
        drop_id,
        TransferAction::Cancel,
        TransferState::Canceled,
    )
    .await;
    assert_eq!((row.outcome, row.file_id.as_deref()), (None, None));
    if let Some(upload_url) = &row.upload_url {
        let status = h
            .server
            .http()
            .head(upload_url)
            .header("Authorization", h.server.bearer())
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert!(
            status == 404 || status == 410,
            "HEAD on the canceled upload answered {status}"
        );
    }
    assert!(h.server_files("control/drop").await.is_empty());
    assert_eq!(h.download("control/drop.bin").await.0, 404);

    // All at once: the two new ones pause, the paused one resumes with them.
    let (c, _) = h.write_random("c.bin", 2 * MIB, 43);
    let (d, _) = h.write_random("d.bin", 2 * MIB, 44);
    assert_eq!(h.add(&[&c, &d], "control").await.queued, 2);
    assert_eq!(
        h.session
            .transfer_action_all(TransferAction::Pause)
            .await
            .unwrap(),
        2
    );
    // One notice for the whole change, not one event per row.
    h.event(SessionEvent::QueueChanged).await;
    let counts = h.session.transfer_counts().await.unwrap();
    let expected = TransferCounts {
        paused: 3,
        canceled: 1,
        ..TransferCounts::default()
    };
    assert_eq!(counts, expected);
    h.forget_events();
    assert_eq!(
        h.session
            .transfer_action_all(TransferAction::Resume)
            .await
            .unwrap(),
        3
    );
    // Once the runner is idle again, every resumed transfer has finished.
    let batch = h.batch_finished().await;
    let unfinished: Vec<_> = h
        .rows()
        .await
        .into_iter()
        .filter(|t| !matches!(t.state, TransferState::Done | TransferState::Canceled))
        .collect();
    assert!(
        unfinished.is_empty(),
        "the runner went idle ({batch:?}) leaving transfers unfinished: {unfinished:#?}"
    );
    assert_eq!(
        (batch.files, batch.done, batch.failed),
        (3, 3, 0),
        "{batch:?}"
    );
    let (resumed, file) = h.done_at("control/keep.bin").await;
    assert_eq!(resumed.id, keep_id);
    assert_eq!(resumed.outcome, Some(TransferOutcome::Uploaded));
    assert_eq!(file.sha256, sha256_hex(&keep_bytes));
    let (status, stored) = h.download("control/keep.bin").await;
    assert_eq!(status, 200);
    assert_eq!(sha256_hex(&stored), sha256_hex(&keep_bytes));
    h.done_at("control/c.bin").await;
    h.done_at("control/d.bin").await;

    // Clearing removes the done and canceled rows; the history keeps the uploads.
    let counts = h.session.transfer_counts().await.unwrap();
    let expected = TransferCounts {
        done: 3,
        canceled: 1,
        ..TransferCounts::default()
    };
    assert_eq!(counts, expected);
    assert_eq!(h.session.clear_finished().await.unwrap(), 4);
    assert_eq!(
        h.session.transfer_counts().await.unwrap(),
        TransferCounts::default()
    );
    assert!(h.rows().await.is_empty());
    assert_eq!(h.history().await.len(), 3);
    h.shutdown().await;
}

/// 2 MB/s in 1 MiB chunks: uploads last long enough to be acted on while they send.
async fn send_slowly(h: &Harness) {
    h.session
        .save_settings(Settings {
            bandwidth_limit: Some(2_000_000),
            chunk_size: MIB as u64,
            ..Settings::default()
        })
        .await
        .unwrap();
}

/// Acts on a sending transfer, checks the state the action answers, waits until the runner has
/// reported the change as well (the second such event), and returns the row as stored then.
async fn act_until_reported(
    h: &mut Harness,
    id: i64,
    action: TransferAction,
    state: TransferState,
) -> Transfer {
    let answered = h.session.transfer_action(id, action).await.unwrap();
    assert_eq!(answered.state, state, "{answered:#?}");
    h.until(
        &format!("the runner reporting transfer {id} {state}"),
        |seen| times_changed_to(seen, id, state) >= 2,
    )
    .await;
    let row = h.session.database().transfer(id).await.unwrap();
    assert_eq!(row.state, state, "{row:#?}");
    row
}

/// The states reported for transfer `id`, in order.
fn states_of(h: &Harness, id: i64) -> Vec<&'static str> {
    h.events
        .seen
        .iter()
        .filter_map(changed)
        .filter(|(t, _)| t.id == id)
        .map(|(t, _)| t.state.as_str())
        .collect()
}

/// Fails unless transfer `id` is done or a `Progress` event for it arrives within `stall` (stale
/// ones, sent before an earlier pause, are flushed within a tenth of a second).
async fn moving_or_done(h: &mut Harness, id: i64, stall: Duration, when: &str) {
    let mark = h.events.drain().len();
    let deadline = Instant::now() + stall;
    loop {
        let row = h.session.database().transfer(id).await.unwrap();
        let moved = h.events.drain()[mark..]
            .iter()
            .any(|e| progress_of(e, id).is_some());
        if moved || row.state == TransferState::Done {
            return;
        }
        if Instant::now() > deadline {
            panic!(
                "{when}: transfer {id} is {} and sent nothing for {stall:?} (counts {:?}; states \
                 reported: {:?}): {row:#?}",
                row.state,
                h.session.transfer_counts().await.unwrap(),
                states_of(h, id)
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_paused_and_resumed_at_once_still_finishes() {
    let mut h = Harness::new().await;
    send_slowly(&h).await;
    let (path, bytes) = h.write_random("toggle.bin", 24 * MIB, 51);
    assert_eq!(h.add(&[&path], "toggle").await.queued, 1);
    let id = h.row_to("toggle/toggle.bin").await.id;
    h.events
        .wait_for("progress", |e| {
            progress_of(e, id).is_some_and(|sent| sent > 0)
        })
        .await;

    // A pause button clicked twice in quick succession: the upload goes on each time.
    for cycle in 1..=4 {
        let paused = h
            .session
            .transfer_action(id, TransferAction::Pause)
            .await
            .unwrap();
        assert_eq!(paused.state, TransferState::Paused);
        let resumed = h
            .session
            .transfer_action(id, TransferAction::Resume)
            .await
            .unwrap();
        // The runner may have claimed it already.
        assert!(
            matches!(
                resumed.state,
                TransferState::Queued | TransferState::Running
            ),
            "{resumed:#?}"
        );
        // Long enough for the stopped task to be gone and its last progress shown.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let when = format!("after pause and resume #{cycle}");
        moving_or_done(&mut h, id, Duration::from_secs(3), &when).await;
    }

    let finished = Instant::now() + PATIENCE;
    while h.session.database().transfer(id).await.unwrap().state != TransferState::Done {
        assert!(
            Instant::now() < finished,
            "never done: {:?}",
            states_of(&h, id)
        );
        moving_or_done(&mut h, id, Duration::from_secs(3), "on the way").await;
    }
    let (status, stored) = h.download("toggle/toggle.bin").await;
    assert_eq!(status, 200);
    assert_eq!(sha256_hex(&stored), sha256_hex(&bytes));
    h.shutdown().await;
}
