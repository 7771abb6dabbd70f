//! Resuming: after a connection cut mid-chunk only the lost chunk is re-sent; after a "crash" (the
//! handle dropped, a new client) the upload continues from the saved offset; a changed file starts over.

use std::sync::Arc;

use mediasaur::upload::MemoryResumeStore;
use mediasaur::{ClientConfig, Strategy, UploadOptions};
use mediasaur_e2e::fault_proxy::FaultProxy;
use mediasaur_e2e::{sha256_hex, TestServer};

use crate::support::*;

/// Request and response headers of every request of one upload, with a wide margin.
const HEADER_SLACK: u64 = 32 * 1024;

fn tus() -> UploadOptions {
    UploadOptions {
        strategy: Strategy::Tus,
        events: None,
    }
}

#[tokio::test]
async fn a_cut_mid_chunk_resends_at_most_that_chunk() {
    let server = TestServer::start().await;
    let proxy = FaultProxy::start(server.addr).await;
    let dir = tempfile::tempdir().unwrap();
    let len = 5 * MIB;
    let (path, bytes) = write_file(dir.path(), "cut.bin", len, 11);
    let client = client_at(
        &proxy.url(""),
        &server.api_key,
        small_config(),
        Arc::default(),
    );
    // The third PATCH (bytes 2..3 MiB) loses its connection half-way.
    proxy.cut_upload_after(3, MIB as u64 / 2);
    let outcome = client
        .upload(&path, dest("resume/cut.bin"), tus())
        .unwrap()
        .wait()
        .await
        .expect("the upload resumes and completes");
    assert_eq!(proxy.cuts(), 1, "the fault fired");
    assert_eq!(outcome.sha256, sha256_hex(&bytes));
    assert_eq!(outcome.file.unwrap().sha256, sha256_hex(&bytes));
    let sent = proxy.bytes_up();
    assert!(
        sent <= (len + MIB) as u64 + HEADER_SLACK,
        "{sent} bytes went up for a {len}-byte file: more than one chunk was re-sent"
    );
    assert!(
        sent > (len + MIB / 2) as u64,
        "the cut half-chunk was sent again"
    );
    assert_eq!(stored_bytes(&server, "resume/cut.bin").await, bytes);
}

#[tokio::test]
async fn a_new_client_resumes_from_the_saved_offset_after_a_crash() {
    let server = TestServer::start().await;
    let proxy = FaultProxy::start(server.addr).await;
    let dir = tempfile::tempdir().unwrap();
    let len = 6 * MIB;
    let (path, bytes) = write_file(dir.path(), "crash.bin", len, 12);
    let store = Arc::new(MemoryResumeStore::default());
    let slow = ClientConfig {
        bandwidth_limit: Some(4 * MIB as u64),
        ..small_config()
    };
    let first = client_at(&proxy.url(""), &server.api_key, slow, Arc::clone(&store));
    let (handle, mut rx) = start_tus(&first, &path, "resume/crash.bin");
    acknowledged(&mut rx, &store, 2 * MIB as u64).await;
    // The "crash": the handle goes away mid-upload; the store keeps what the server acknowledged.
    drop(handle);
    drop(first);
    let saved = store.all().pop().expect("a resume state");
    assert!(
        saved.offset >= 2 * MIB as u64 && saved.offset < len as u64,
        "{saved:?}"
    );
    let before = proxy.bytes_up();

    let second = client_at(
        &proxy.url(""),
        &server.api_key,
        small_config(),
        Arc::clone(&store),
    );
    let outcome = second
        .upload(&path, dest("resume/crash.bin"), tus())
        .unwrap()
        .wait()
        .await
        .expect("the second client finishes the upload");
    assert_eq!(
        outcome.upload_url.as_deref(),
        Some(saved.upload_url.as_str()),
        "same tus upload"
    );
    assert_eq!(outcome.file.unwrap().sha256, sha256_hex(&bytes));
    let resent = proxy.bytes_up() - before;
    let remaining = len as u64 - saved.offset;
    assert!(
        resent <= remaining + MIB as u64 + HEADER_SLACK,
        "{resent} bytes sent to finish {remaining} remaining bytes"
    );
    assert!(
        store.all().is_empty(),
        "a finished upload leaves no resume state"
    );
}

#[tokio::test]
async fn a_file_changed_since_the_saved_state_starts_over() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let len = 3 * MIB;
    let (path, _) = write_file(dir.path(), "changed.bin", len, 13);
    let store = Arc::new(MemoryResumeStore::default());
    let slow = ClientConfig {
        bandwidth_limit: Some(4 * MIB as u64),
        ..small_config()
    };
    let first = client_at(
        server.base.as_str(),
        &server.api_key,
        slow,
        Arc::clone(&store),
    );
    let (handle, mut rx) = start_tus(&first, &path, "resume/changed.bin");
    acknowledged(&mut rx, &store, MIB as u64).await;
    drop(handle);
    let stale = store.all().pop().expect("a resume state");
    // Same size, other bytes: the fingerprint no longer matches.
    let (_, new_bytes) = write_file(dir.path(), "changed.bin", len, 14);
    let second = client_at(
        server.base.as_str(),
        &server.api_key,
        small_config(),
        Arc::clone(&store),
    );
    let outcome = second
        .upload(&path, dest("resume/changed.bin"), tus())
        .unwrap()
        .wait()
        .await
        .expect("a fresh upload of the new content");
    assert_ne!(
        outcome.upload_url.as_deref(),
        Some(stale.upload_url.as_str())
    );
    assert_eq!(outcome.file.unwrap().sha256, sha256_hex(&new_bytes));
    assert_eq!(stored_bytes(&server, "resume/changed.bin").await, new_bytes);
}
