//! What was there before the watch started (or came in as a whole folder): queued unless the history
//! or the queue already has it.

use std::path::Path;

use chrono::Utc;
use mediasaur::api::{FileKind, FileObject};
use mediasaur::store::history::NewHistoryEntry;
use mediasaur::watch::{SkipReason, WatchEvent};
use sha2::{Digest, Sha256};

use crate::support::{modified_ns, Setup};

fn file_object(path: &str, bytes: &[u8], sha256: &str) -> FileObject {
    FileObject {
        id: format!("file_{:0>16}", path.len()),
        kind: FileKind::Image,
        mime_type: "image/jpeg".into(),
        width: None,
        height: None,
        duration: None,
        filesize: bytes.len() as u64,
        sha256: sha256.to_owned(),
        bucket: "photos".into(),
        path: path.to_owned(),
        url: format!("http://127.0.0.1/photos/{path}"),
        created: Utc::now(),
        updated: Utc::now(),
    }
}

/// Records an upload of `source` as it is now, with `sha256` as its recorded hash.
async fn record(setup: &Setup, source: &Path, remote: &str, sha256: &str, id: &str) {
    let bytes = std::fs::read(source).unwrap();
    let mut file = file_object(remote, &bytes, sha256);
    file.id = id.to_owned();
    let entry = NewHistoryEntry {
        profile: "default".into(),
        source: Some((
            source.to_path_buf(),
            bytes.len() as u64,
            modified_ns(source),
        )),
        sha256: sha256.to_owned(),
        file,
    };
    setup.db.record_upload(&entry).await.unwrap();
}

#[tokio::test]
async fn files_present_before_the_start_are_queued_unless_uploaded_as_they_are() {
    let setup = Setup::new().await;
    let fresh = setup.write("fresh.jpg", b"never uploaded");
    let uploaded = setup.write("2025/uploaded.jpg", b"uploaded before");
    let edited = setup.write("edited.jpg", b"same size!!");
    let sha = |bytes: &[u8]| hex::encode(Sha256::digest(bytes));
    record(
        &setup,
        &uploaded,
        "2025/uploaded.jpg",
        &sha(b"uploaded before"),
        "file_aaaaaaaaaaaaaaaa1",
    )
    .await;
    // Same path, size and mtime as recorded, but other bytes: the hash tells them apart.
    record(
        &setup,
        &edited,
        "edited.jpg",
        &sha(b"other bytes"),
        "file_aaaaaaaaaaaaaaaa2",
    )
    .await;

    let watch = setup.add_watch(|w| w.prefix = "camera".into()).await;
    let mut watcher = setup.start(&watch);
    let skipped = watcher
        .events
        .wait_for("the uploaded file skipped", |e| {
            matches!(e, WatchEvent::Skipped { path, reason: SkipReason::AlreadyUploaded { .. }, .. } if *path == uploaded)
        })
        .await;
    let WatchEvent::Skipped {
        reason: SkipReason::AlreadyUploaded { sha256 },
        ..
    } = skipped
    else {
        unreachable!()
    };
    assert_eq!(sha256, sha(b"uploaded before"));
    let fresh_row = setup.queued("fresh.jpg").await;
    assert_eq!(fresh_row.path, "camera/fresh.jpg");
    assert_eq!(fresh_row.source, fresh.to_str().unwrap());
    let edited_row = setup.queued("edited.jpg").await;
    assert_eq!(edited_row.path, "camera/edited.jpg");

    setup.sentinel("sentinel.txt").await;
    let sources = setup.sources().await;
    assert!(
        !sources.contains(&setup.path("2025/uploaded.jpg")),
        "{sources:?}"
    );
    assert_eq!(sources.len(), 3, "{sources:?}");
}

#[tokio::test]
async fn a_restart_finds_unfinished_transfers_instead_of_queueing_again() {
    let setup = Setup::new().await;
    setup.write("a.jpg", b"a");
    let watch = setup.add_watch(|_| {}).await;
    let first = setup.start(&watch);
    let row = setup.queued("a.jpg").await;
    first.handle.unwrap().shutdown().await;

    let mut second = setup.start(&watch);
    let event = second
        .events
        .wait_for("the file found in the queue", |e| {
            matches!(
                e,
                WatchEvent::Skipped {
                    reason: SkipReason::AlreadyQueued { .. },
                    ..
                }
            )
        })
        .await;
    let WatchEvent::Skipped {
        reason: SkipReason::AlreadyQueued { transfer },
        ..
    } = event
    else {
        unreachable!()
    };
    assert_eq!(transfer, row.id);
    setup.sentinel("sentinel.txt").await;
    assert_eq!(setup.transfers().await.len(), 2);
}

#[tokio::test]
async fn a_folder_moved_in_has_all_its_files_queued() {
    let setup = Setup::new().await;
    let watch = setup.add_watch(|_| {}).await;
    let _watcher = setup.start(&watch);
    // Prepared outside, then moved in at once: no event names the files inside.
    let outside = setup.temp.path().join("card");
    for name in ["DCIM/1.jpg", "DCIM/2.jpg", "DCIM/deeper/3.jpg"] {
        let path = outside.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, name).unwrap();
    }
    std::fs::rename(&outside, setup.folder.join("card")).unwrap();
    for name in [
        "card/DCIM/1.jpg",
        "card/DCIM/2.jpg",
        "card/DCIM/deeper/3.jpg",
    ] {
        let row = setup.queued(name).await;
        assert_eq!(row.path, name);
    }
    setup.sentinel("sentinel.txt").await;
    assert_eq!(setup.transfers().await.len(), 4);
}
