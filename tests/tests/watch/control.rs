//! Pausing a watch and stopping it.

use mediasaur::watch::{WaitReason, WatchEvent};

use crate::support::Setup;

#[tokio::test]
async fn a_paused_watch_queues_nothing_until_resumed() {
    let setup = Setup::new().await;
    setup.write("before.jpg", b"before");
    let mut watch = setup.add_watch(|_| {}).await;
    watch = setup.db.set_watch_paused(watch.id, true).await.unwrap();
    let mut watcher = setup.start(&watch);
    assert!(watcher.handle().is_paused());
    let during = setup.write("during.jpg", b"during");
    for path in [setup.folder.join("before.jpg"), during] {
        watcher
            .events
            .wait_for("the file held by the pause", |e| {
                matches!(e, WatchEvent::Waiting { path: p, reason: WaitReason::Paused, .. } if *p == path)
            })
            .await;
    }
    assert!(setup.transfers().await.is_empty());
    let pending = watcher.handle().pending();
    assert_eq!(pending.len(), 2, "{pending:?}");
    assert!(pending
        .iter()
        .all(|p| p.reason.to_string() == "the watch is paused"));

    watcher.handle().set_paused(false);
    setup.queued("before.jpg").await;
    setup.queued("during.jpg").await;
    setup.sentinel("sentinel.txt").await;
    assert_eq!(setup.transfers().await.len(), 3);
}

#[tokio::test]
async fn dropping_the_handle_stops_the_watch() {
    let setup = Setup::new().await;
    let watch = setup.add_watch(|_| {}).await;
    let mut watcher = setup.start(&watch);
    setup.write("first.jpg", b"first");
    setup.queued("first.jpg").await;

    drop(watcher.handle.take());
    // The task owns the only sender: the channel closes once it is gone, watcher and all.
    watcher.events.closed().await;
    setup.write("second.jpg", b"second");

    // Nothing is lost by stopping: the next start finds the file by scanning.
    let again = setup.start(&watch);
    setup.queued("second.jpg").await;
    let sources = setup.sources().await;
    assert_eq!(sources, [setup.path("first.jpg"), setup.path("second.jpg")]);
    drop(again);
}
