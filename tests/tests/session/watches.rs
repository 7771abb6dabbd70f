//! Watched folders in a session: a new file is uploaded once it settles; a paused watch shows what
//! waits and uploads it when resumed; a changed watch restarts with its new prefix; a removed one is
//! gone; a folder that does not exist is refused.

use std::time::Duration;

use mediasaur::session::{SessionEvent, WatchView};
use mediasaur::store::watches::NewWatch;
use mediasaur::watch::WaitReason;

use crate::support::*;

/// The stability window the session's watches use, plus room for a loaded machine.
const SETTLED: Duration = Duration::from_millis(3500);

async fn view(h: &Harness, id: i64) -> WatchView {
    h.session
        .watches()
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.watch.id == id)
        .unwrap_or_else(|| panic!("watch {id} is listed"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watched_folder_uploads_new_files_pauses_restarts_and_goes_away() {
    let mut h = Harness::new().await;
    let folder = h.files_dir().join("watched");
    std::fs::create_dir(&folder).unwrap();
    let new = NewWatch {
        folder: folder.clone(),
        profile: PROFILE.into(),
        bucket: BUCKET.into(),
        prefix: "/watched/".into(),
        recursive: true,
        ..NewWatch::default()
    };
    let added = h.session.add_watch(new.clone()).await.expect("add a watch");
    let id = added.watch.id;
    assert!(added.running, "{added:?}");
    assert_eq!(
        (added.watch.prefix.as_str(), added.error),
        ("watched", None)
    );
    h.event(SessionEvent::WatchesChanged).await;

    std::fs::write(folder.join("first.txt"), b"first").unwrap();
    let (transfer, _) = h.done_at("watched/first.txt").await;
    assert_eq!(transfer.watch_id, Some(id));
    let entry = h.history_at("watched/first.txt").await.expect("in history");
    assert_eq!(
        entry.source.as_deref(),
        Some(folder.join("first.txt").as_path())
    );
    assert_eq!(
        h.download("watched/first.txt").await,
        (200, b"first".to_vec())
    );

    // Paused: the new file waits, shown as paused, and is not queued.
    let paused = h.session.set_watch_paused(id, true).await.unwrap();
    assert!(paused.watch.paused && paused.running, "{paused:?}");
    let second = folder.join("second.txt");
    std::fs::write(&second, b"second").unwrap();
    tokio::time::sleep(SETTLED).await;
    let waiting = eventually(
        "second.txt waiting because the watch is paused",
        async || {
            let pending = view(&h, id).await.pending;
            pending
                .iter()
                .any(|p| p.path == second && p.reason == WaitReason::Paused)
                .then_some(pending)
        },
    )
    .await;
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert!(
        h.rows()
            .await
            .iter()
            .all(|t| t.path != "watched/second.txt"),
        "queued while paused"
    );

    // Resumed: it is uploaded.
    h.forget_events();
    let resumed = h.session.set_watch_paused(id, false).await.unwrap();
    assert!(!resumed.watch.paused);
    h.done_at("watched/second.txt").await;
    h.event(SessionEvent::WatchesChanged).await;
    assert!(view(&h, id).await.pending.is_empty());

    // Changed: restarted with the new prefix; new files go there.
    let updated = h
        .session
        .update_watch(
            id,
            NewWatch {
                prefix: "moved".into(),
                ..new.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (updated.watch.id, updated.watch.prefix.as_str()),
        (id, "moved")
    );
    assert!(updated.running, "{updated:?}");
    std::fs::write(folder.join("third.txt"), b"third").unwrap();
    let (transfer, _) = h.done_at("moved/third.txt").await;
    assert_eq!(transfer.watch_id, Some(id));
    assert!(h.server_files("watched/third").await.is_empty());

    // Removed: gone, and acting on it again is not_found.
    h.session.remove_watch(id).await.unwrap();
    assert!(h.session.watches().await.unwrap().is_empty());
    error_with(h.session.remove_watch(id).await, "not_found");
    error_with(h.session.set_watch_paused(id, true).await, "not_found");
    std::fs::write(folder.join("fourth.txt"), b"fourth").unwrap();

    // A folder that does not exist is refused with a code, and nothing is added.
    let missing = NewWatch {
        folder: h.files_dir().join("no-such-folder"),
        ..new
    };
    error_with(h.session.add_watch(missing).await, "invalid_request");
    assert!(h.session.watches().await.unwrap().is_empty());

    tokio::time::sleep(SETTLED).await;
    assert!(
        h.rows()
            .await
            .iter()
            .all(|t| !t.path.ends_with("fourth.txt")),
        "a removed watch still queued a file"
    );
    h.shutdown().await;
}
