//! When a new file counts as finished: written in pieces, renamed into place, dropped in a burst.

use std::collections::HashSet;
use std::io::Write;
use std::time::{Duration, Instant};

use mediasaur::watch::{SkipReason, WaitReason, WatchEvent, WatchOptions};

use crate::support::{event_path, modified_ns, quick_options, Setup, PATIENCE};

#[tokio::test]
async fn a_file_written_in_pieces_is_queued_once_after_the_last_piece() {
    let setup = Setup::new().await;
    let watch = setup.add_watch(|_| {}).await;
    // Pauses well inside the window, so a loaded machine cannot stretch one past it.
    let options = WatchOptions {
        stability_window: Duration::from_millis(600),
        ..quick_options()
    };
    let mut watcher = setup.start_with(&watch, options);
    let path = setup.folder.join("video.mp4");
    let mut file = std::fs::File::create(&path).unwrap();
    for piece in 0..5u8 {
        file.write_all(&[piece; 4096]).unwrap();
        file.flush().unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(file);

    let row = setup.queued("video.mp4").await;
    assert_eq!(row.size, 5 * 4096, "queued with its final size");
    assert_eq!(row.modified_ns, modified_ns(&path));
    assert_eq!(row.path, "video.mp4");
    assert_eq!(row.bucket, "photos");
    assert_eq!(row.watch_id, Some(watch.id));
    watcher
        .events
        .wait_for(
            "the queued event",
            |e| matches!(e, WatchEvent::Queued { transfer, .. } if *transfer == row.id),
        )
        .await;

    setup.sentinel("after.txt").await;
    let rows = setup.transfers().await;
    let from_video: Vec<_> = rows.iter().filter(|r| r.source == row.source).collect();
    assert_eq!(from_video.len(), 1, "{rows:#?}");
    let events = watcher.events.drain();
    assert!(
        events.iter().any(|e| matches!(
            e,
            WatchEvent::Waiting { path: p, reason: WaitReason::Settling, .. } if *p == path
        )),
        "{events:#?}"
    );
    assert!(watcher.handle().pending().is_empty());
}

#[tokio::test]
async fn a_part_file_renamed_into_place_is_queued_once_under_its_final_name() {
    let setup = Setup::new().await;
    let watch = setup.add_watch(|_| {}).await;
    let mut watcher = setup.start(&watch);
    let part = setup.write("sub/movie.mp4.part", &[7u8; 10_000]);
    watcher
        .events
        .wait_for("the part file reported as ignored", |e| {
            matches!(
                e,
                WatchEvent::Skipped { path, reason: SkipReason::Ignored { pattern }, .. }
                    if *path == part && pattern == "*.part"
            )
        })
        .await;
    let pending = watcher.handle().pending();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0].reason.to_string(), "ignored by pattern `*.part`");

    let final_path = setup.folder.join("sub/movie.mp4");
    std::fs::rename(&part, &final_path).unwrap();
    let row = setup.queued("sub/movie.mp4").await;
    assert_eq!(row.path, "sub/movie.mp4");
    assert_eq!(row.size, 10_000);

    // A browser download: `.crdownload` renamed into place in the top folder.
    let download = setup.write("report.pdf.crdownload", b"%PDF-1.7");
    std::fs::rename(&download, setup.folder.join("report.pdf")).unwrap();
    setup.queued("report.pdf").await;

    setup.sentinel("after.txt").await;
    let rows = setup.transfers().await;
    let sources: Vec<&str> = rows.iter().map(|r| r.source.as_str()).collect();
    assert_eq!(
        sources,
        [
            setup.path("sub/movie.mp4"),
            setup.path("report.pdf"),
            setup.path("after.txt")
        ],
        "each final name once, never a temporary name"
    );
    // Usually at once, from the rename's event; at worst at the next look at the ignored file.
    let deadline = Instant::now() + PATIENCE;
    while !watcher.handle().pending().is_empty() {
        let pending = watcher.handle().pending();
        assert!(
            Instant::now() < deadline,
            "the renamed-away part files are still listed: {pending:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn a_burst_of_a_thousand_files_queues_each_exactly_once() {
    let setup = Setup::new().await;
    let watch = setup.add_watch(|_| {}).await;
    let mut watcher = setup.start(&watch);
    for i in 0..1000 {
        // Some in subfolders, created during the burst.
        let name = if i % 10 == 0 {
            format!("batch-{}/file-{i:04}.bin", i / 100)
        } else {
            format!("file-{i:04}.bin")
        };
        setup.write(&name, format!("file {i}").as_bytes());
    }
    let rows = setup.at_least(1000).await;
    let sentinel = setup.sentinel("zz-sentinel.txt").await;
    watcher
        .events
        .wait_for(
            "the sentinel's queued event",
            |e| matches!(e, WatchEvent::Queued { transfer, .. } if *transfer == sentinel.id),
        )
        .await;
    let rows_after = setup.transfers().await;
    assert_eq!(rows_after.len(), 1001, "nothing was queued twice");
    let paths: HashSet<&str> = rows.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths.len(), 1000, "each path once");
    assert!(paths.contains("batch-3/file-0300.bin"));
    assert!(paths.contains("file-0999.bin"));
    let events = watcher.events.drain();
    let queued = events
        .iter()
        .filter(|e| matches!(e, WatchEvent::Queued { .. }))
        .count();
    assert_eq!(queued, 1001, "one queued event per file, sentinel included");
    let found_queued: Vec<_> = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                WatchEvent::Skipped {
                    reason: SkipReason::AlreadyQueued { .. },
                    ..
                }
            )
        })
        .collect();
    assert!(
        found_queued.is_empty(),
        "no file was even offered twice: {found_queued:#?}"
    );
    let errors: Vec<_> = watcher
        .events
        .seen
        .iter()
        .filter(|e| matches!(e, WatchEvent::Error { .. }))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(watcher.events.seen.iter().all(|e| event_path(e).is_some()));
}
