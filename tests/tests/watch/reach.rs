//! What a watch never queues: ignored files, `.uploaded/`, subfolders of a flat watch, what lies
//! behind links to folders, and names that cannot be object paths.

use std::collections::HashMap;
use std::path::PathBuf;

use mediasaur::watch::{move_to_uploaded, SkipReason, WaitReason, WatchEvent};

use crate::support::{event_path, Setup};

/// Each ignored file reported so far, with its pattern.
fn ignored(events: &[WatchEvent]) -> HashMap<PathBuf, String> {
    events
        .iter()
        .filter_map(|e| match e {
            WatchEvent::Skipped {
                path,
                reason: SkipReason::Ignored { pattern },
                ..
            } => Some((path.clone(), pattern.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn ignored_files_are_reported_with_their_pattern_and_never_queued() {
    let setup = Setup::new().await;
    // Some there before the start (found by the scan), some after (found by events).
    let before = [
        ("a.tmp", "*.tmp"),
        ("~$report.docx", "~$*"),
        (".DS_Store", ".DS_Store"),
        ("raw/IMG_1.RAW", "*.raw"),
    ];
    let after = [
        ("b.part", "*.part"),
        ("setup.exe.crdownload", "*.crdownload"),
        ("Thumbs.db", "Thumbs.db"),
        ("sub/.hidden", ".*"),
        ("drafts/x.jpg", "drafts/**"),
    ];
    for (name, _) in before {
        setup.write(name, b"x");
    }
    setup.write(".git/config", b"inside a dot-folder");
    let watch = setup
        .add_watch(|w| w.ignore = vec!["*.raw".into(), "drafts/**".into()])
        .await;
    let mut watcher = setup.start(&watch);
    for (name, _) in after {
        setup.write(name, b"x");
    }
    setup.write(".git/HEAD", b"inside a dot-folder");
    setup.write("kept.jpg", b"kept");
    setup.queued("kept.jpg").await;
    setup.sentinel("sentinel.txt").await;

    let sources = setup.sources().await;
    assert_eq!(
        sources,
        [setup.path("kept.jpg"), setup.path("sentinel.txt")]
    );
    let reported = ignored(watcher.events.drain());
    for (name, pattern) in before.iter().chain(&after) {
        assert_eq!(
            reported.get(&setup.folder.join(name)).map(String::as_str),
            Some(*pattern),
            "{name}: {reported:#?}"
        );
    }
    assert!(
        watcher
            .events
            .seen
            .iter()
            .all(|e| !event_path(e).is_some_and(|p| p.starts_with(setup.folder.join(".git")))),
        "files in an ignored folder need no report of their own"
    );
    let pending = watcher.handle().pending();
    assert!(pending.iter().any(|p| p.path == setup.folder.join("b.part")
        && p.reason
            == WaitReason::Ignored {
                pattern: "*.part".into()
            }));
}

#[tokio::test]
async fn the_uploaded_folder_is_never_queued() {
    let setup = Setup::new().await;
    setup.write(".uploaded/old.jpg", b"moved long ago");
    let watch = setup.add_watch(|_| {}).await;
    let mut watcher = setup.start(&watch);
    let fresh = setup.write("2026/fresh.jpg", b"fresh");
    setup.queued("2026/fresh.jpg").await;
    // What the runner does once the upload is finished.
    let moved = move_to_uploaded(&setup.folder, &fresh).unwrap();
    assert_eq!(moved, setup.folder.join(".uploaded/2026/fresh.jpg"));
    setup.write(".uploaded/2026/later.jpg", b"written there directly");
    setup.sentinel("sentinel.txt").await;

    let sources = setup.sources().await;
    assert_eq!(
        sources,
        [setup.path("2026/fresh.jpg"), setup.path("sentinel.txt")]
    );
    let uploaded = setup.folder.join(".uploaded");
    let events = watcher.events.drain();
    assert!(
        events
            .iter()
            .all(|e| !event_path(e).is_some_and(|p| p.starts_with(&uploaded))),
        "{events:#?}"
    );
    assert!(watcher.handle().pending().is_empty());
}

#[tokio::test]
async fn a_flat_watch_leaves_subfolders_alone() {
    let setup = Setup::new().await;
    setup.write("sub/before.jpg", b"x");
    setup.write("top-before.jpg", b"x");
    let watch = setup.add_watch(|w| w.recursive = false).await;
    let _watcher = setup.start(&watch);
    setup.write("sub/after.jpg", b"x");
    setup.write("new-sub/after.jpg", b"x");
    setup.queued("top-before.jpg").await;
    setup.sentinel("top-after.jpg").await;
    let sources = setup.sources().await;
    assert_eq!(
        sources,
        [setup.path("top-before.jpg"), setup.path("top-after.jpg")]
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlink_loop_neither_hangs_nor_duplicates() {
    use std::os::unix::fs::symlink;
    let setup = Setup::new().await;
    setup.write("a.jpg", b"a");
    setup.write("sub/b.jpg", b"b");
    symlink("..", setup.folder.join("sub/loop")).unwrap();
    symlink(setup.temp.path(), setup.folder.join("sub/outside")).unwrap();
    let watch = setup.add_watch(|_| {}).await;
    let mut watcher = setup.start(&watch);
    // One more loop, made while watching.
    std::fs::create_dir(setup.folder.join("other")).unwrap();
    symlink("../..", setup.folder.join("other/up")).unwrap();
    setup.write("other/c.jpg", b"c");
    setup.queued("other/c.jpg").await;
    setup.sentinel("sentinel.txt").await;

    let mut paths: Vec<String> = setup
        .transfers()
        .await
        .into_iter()
        .map(|r| r.path)
        .collect();
    paths.sort();
    assert_eq!(paths, ["a.jpg", "other/c.jpg", "sentinel.txt", "sub/b.jpg"]);
    let errors: Vec<_> = watcher
        .events
        .drain()
        .iter()
        .filter(|e| matches!(e, WatchEvent::Error { .. }))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[cfg(unix)]
#[tokio::test]
async fn a_name_that_cannot_be_an_object_path_is_a_coded_error_not_a_crash() {
    let setup = Setup::new().await;
    let watch = setup.add_watch(|_| {}).await;
    let mut watcher = setup.start(&watch);
    // Fine on Unix, refused by the object path rules.
    let bad = setup.write("back\\slash.jpg", b"x");
    let event = watcher
        .events
        .wait_for("an error for the bad name", |e| {
            matches!(e, WatchEvent::Error { .. })
        })
        .await;
    let WatchEvent::Error {
        path,
        code,
        message,
        ..
    } = event
    else {
        unreachable!()
    };
    assert_eq!(path, Some(bad));
    assert_eq!(code, "invalid_path");
    assert!(message.contains("back\\slash.jpg"), "{message}");
    setup.sentinel("sentinel.txt").await;
    assert_eq!(
        setup.transfers().await.len(),
        1,
        "the watch goes on; the bad name is not queued"
    );
}
