//! Pause, resume and cancel, per upload.

use std::sync::Arc;
use std::time::Duration;

use mediasaur::upload::{MemoryResumeStore, UploadEvent, UploadState};
use mediasaur::{ClientConfig, ClientError, Strategy, UploadOptions};
use mediasaur_e2e::fault_proxy::FaultProxy;
use mediasaur_e2e::{sha256_hex, TestServer};

use crate::support::*;

fn slow() -> ClientConfig {
    ClientConfig {
        bandwidth_limit: Some(2 * MIB as u64),
        ..small_config()
    }
}

fn sent_at_least(min: u64) -> impl FnMut(&UploadEvent) -> bool {
    move |e| matches!(e, UploadEvent::Progress { sent, .. } if *sent >= min)
}

fn is_state(want: UploadState) -> impl FnMut(&UploadEvent) -> bool {
    move |e| matches!(e, UploadEvent::State { state, .. } if *state == want)
}

#[tokio::test]
async fn pause_stops_sending_and_resume_continues_from_the_server_offset() {
    let server = TestServer::start().await;
    let proxy = FaultProxy::start(server.addr).await;
    let dir = tempfile::tempdir().unwrap();
    let len = 4 * MIB;
    let (path, bytes) = write_file(dir.path(), "pause.bin", len, 21);
    let client = client_at(&proxy.url(""), &server.api_key, slow(), Arc::default());
    let (handle, mut rx) = start_tus(&client, &path, "control/pause.bin");
    wait_for(&mut rx, sent_at_least(MIB as u64 + 1)).await;
    handle.pause();
    wait_for(&mut rx, is_state(UploadState::Paused)).await;
    // Bytes already in socket buffers when the pause came still drain through the proxy; once they
    // have, nothing more may move.
    let mut at_pause = proxy.bytes_up();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = proxy.bytes_up();
        if now == at_pause {
            break;
        }
        at_pause = now;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(proxy.bytes_up(), at_pause, "nothing is sent while paused");
    assert!(!handle.is_finished());
    handle.resume();
    wait_for(&mut rx, is_state(UploadState::Uploading)).await;
    let outcome = handle.wait().await.expect("completes after resuming");
    assert_eq!(outcome.file.unwrap().sha256, sha256_hex(&bytes));
    // Resuming re-sends at most the chunk that was in flight at the pause.
    assert!(
        proxy.bytes_up() <= (len + MIB) as u64 + 32 * 1024,
        "{}",
        proxy.bytes_up()
    );
}

#[tokio::test]
async fn cancel_ends_the_upload_and_terminates_it_on_the_server() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_file(dir.path(), "cancel.bin", 4 * MIB, 22);
    let store = Arc::new(MemoryResumeStore::default());
    let client = client_at(
        server.base.as_str(),
        &server.api_key,
        slow(),
        Arc::clone(&store),
    );
    let (handle, mut rx) = start_tus(&client, &path, "control/cancel.bin");
    acknowledged(&mut rx, &store, MIB as u64).await;
    let upload_url = store.all()[0].upload_url.clone();
    handle.cancel();
    let error = handle.wait().await.expect_err("a cancelled upload fails");
    assert!(matches!(error, ClientError::Cancelled), "{error}");
    assert_eq!(error.code(), "cancelled");
    wait_for(&mut rx, is_state(UploadState::Cancelled)).await;
    assert!(store.all().is_empty(), "no resume state is left");
    let status = server
        .http()
        .head(&upload_url)
        .header("Authorization", server.bearer())
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 404, "the server dropped the partial upload");
    let listing: serde_json::Value = server
        .http()
        .get(server.url("/files?prefix=control/"))
        .header("Authorization", server.bearer())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listing["data"]["files"], serde_json::json!([]));
}

#[tokio::test]
async fn a_queued_upload_can_be_cancelled_before_it_sends_anything() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (first, _) = write_file(dir.path(), "first.bin", 2 * MIB, 23);
    let (second, _) = write_file(dir.path(), "second.bin", 100_000, 24);
    let config = ClientConfig {
        concurrency: 1,
        ..slow()
    };
    let client = client(&server, config);
    let (tx, mut rx) = events();
    let running = client
        .upload(
            &first,
            dest("control/first.bin"),
            UploadOptions {
                strategy: Strategy::Tus,
                events: Some(tx.clone()),
            },
        )
        .unwrap();
    let queued = client
        .upload(
            &second,
            dest("control/second.bin"),
            UploadOptions {
                strategy: Strategy::Auto,
                events: Some(tx),
            },
        )
        .unwrap();
    wait_for(&mut rx, sent_at_least(1)).await;
    queued.cancel();
    assert!(matches!(queued.wait().await, Err(ClientError::Cancelled)));
    running
        .wait()
        .await
        .expect("the running upload is unaffected");
    let events = drain(&mut rx);
    let second_uploaded = events.iter().any(|e| {
        matches!(
            e,
            UploadEvent::State {
                upload: 2,
                state: UploadState::Uploading
            }
        )
    });
    assert!(
        !second_uploaded,
        "the cancelled upload never started: {events:?}"
    );
}
