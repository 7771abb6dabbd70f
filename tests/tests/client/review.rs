//! Regressions found in review: slow but moving uploads are not timed out while a stalled one is;
//! a tus server that answers HEAD but never takes a chunk runs out of retries; a re-upload never
//! deletes a file it did not store; a tus `Location` elsewhere never receives the key.

use std::time::Duration;

use mediasaur::upload::{UploadEvent, UploadState};
use mediasaur::{ClientConfig, Strategy, UploadOptions};
use mediasaur_e2e::fake_http::{response, FakeHttp};
use mediasaur_e2e::{sha256_hex, TestServer};
use tokio::net::TcpListener;

use crate::support::*;

fn tus() -> UploadOptions {
    UploadOptions {
        strategy: Strategy::Tus,
        events: None,
    }
}

#[tokio::test]
async fn a_slow_patch_that_keeps_moving_outlives_the_idle_timeout() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = write_file(dir.path(), "slow.bin", 2 * MIB, 71);
    let config = ClientConfig {
        // Each 1 MiB PATCH takes about 2 s at 512 KiB/s: twice the idle timeout, yet always moving.
        idle_timeout: Duration::from_secs(1),
        bandwidth_limit: Some(MIB as u64 / 2),
        ..small_config()
    };
    let (tx, mut rx) = events();
    let outcome = client(&server, config)
        .upload(
            &path,
            dest("review/slow.bin"),
            UploadOptions {
                strategy: Strategy::Tus,
                events: Some(tx),
            },
        )
        .unwrap()
        .wait()
        .await
        .expect("a slow upload is not a stalled one");
    assert_eq!(outcome.file.unwrap().sha256, sha256_hex(&bytes));
    assert!(retries(&drain(&mut rx)).is_empty(), "no request timed out");
}

#[tokio::test]
async fn a_server_that_stops_reading_is_a_stall() {
    // Accepts connections and never reads: the client's writes back up and stop moving.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let _server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_file(dir.path(), "stall.bin", 6 * MIB, 72);
    let config = ClientConfig {
        idle_timeout: Duration::from_millis(500),
        single_request_max: 64 * MIB as u64,
        retry: mediasaur::upload::RetryPolicy {
            max_attempts: 2,
            ..quick_retries()
        },
        ..small_config()
    };
    let key = unknown_key();
    let client = client_at(&format!("http://{addr}"), &key, config, Default::default());
    let error = client
        .upload(&path, dest("review/stall.bin"), UploadOptions::default())
        .unwrap()
        .wait()
        .await
        .expect_err("a stalled upload fails");
    assert_eq!(error.code(), "network", "{error}");
    assert!(error.to_string().contains("stalled"), "{error}");
}

#[tokio::test]
async fn a_tus_server_that_never_takes_a_chunk_runs_out_of_retries() {
    let base = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let location = std::sync::Arc::clone(&base);
    let fake = FakeHttp::start(move |request, _| match request.method.as_str() {
        "OPTIONS" => response(
            "204 No Content",
            &[
                "Tus-Version: 1.0.0",
                "Tus-Resumable: 1.0.0",
                "Tus-Extension: creation",
            ],
            "",
        ),
        "POST" => response(
            "201 Created",
            &[
                "Tus-Resumable: 1.0.0",
                &format!("Location: {}/files/up1", location.get().unwrap()),
            ],
            "",
        ),
        "HEAD" => response(
            "200 OK",
            &[
                "Tus-Resumable: 1.0.0",
                "Upload-Offset: 0",
                "Upload-Length: 2097152",
            ],
            "",
        ),
        _ => response("507 Insufficient Storage", &[], "disk full"),
    })
    .await;
    base.set(fake.url("").as_str().trim_end_matches('/').to_owned())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_file(dir.path(), "full.bin", 2 * MIB, 73);
    let config = ClientConfig {
        tus_endpoint: Some(fake.url("/files")),
        ..small_config()
    };
    let client = client_at(
        fake.url("").as_str(),
        &unknown_key(),
        config,
        Default::default(),
    );
    let error = tokio::time::timeout(Duration::from_secs(60), async {
        client
            .upload(&path, dest("review/full.bin"), tus())
            .unwrap()
            .wait()
            .await
    })
    .await
    .expect("the upload gives up instead of looping")
    .expect_err("a server that never takes a chunk fails the upload");
    assert_eq!(error.code(), "insufficient_storage", "{error}");
    let patches = fake
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH")
        .count();
    assert_eq!(patches, small_config().retry.max_attempts as usize);
}

#[tokio::test]
async fn a_tus_location_on_another_origin_is_refused_and_never_gets_the_key() {
    let elsewhere = FakeHttp::always(response("204 No Content", &["Upload-Offset: 0"], "")).await;
    let target = elsewhere.url("/stolen").to_string();
    let fake = FakeHttp::start(move |request, _| match request.method.as_str() {
        "OPTIONS" => response(
            "204 No Content",
            &["Tus-Version: 1.0.0", "Tus-Extension: creation"],
            "",
        ),
        _ => response("201 Created", &[&format!("Location: {target}")], ""),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_file(dir.path(), "moved.bin", 2 * MIB, 74);
    let config = ClientConfig {
        tus_endpoint: Some(fake.url("/uploads")),
        ..small_config()
    };
    let client = client_at(
        fake.url("").as_str(),
        &unknown_key(),
        config,
        Default::default(),
    );
    let error = client
        .upload(&path, dest("review/moved.bin"), tus())
        .unwrap()
        .wait()
        .await
        .expect_err("a foreign Location is refused");
    assert_eq!(error.code(), "invalid_response", "{error}");
    assert!(
        elsewhere.requests().is_empty(),
        "nothing went to the other origin"
    );
    let sent_key = fake
        .requests()
        .iter()
        .any(|r| r.header("authorization").is_some());
    assert!(sent_key, "the API's own origin does get the key");
}

#[tokio::test]
async fn a_reupload_that_fails_its_check_never_deletes_the_file_it_found() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (slow, _) = write_file(dir.path(), "slow.bin", 2 * MIB, 75);
    let (kept, bytes) = write_file(dir.path(), "kept.bin", 2 * MIB, 76);
    let client = client(&server, small_config());
    client
        .upload(&kept, dest("review/kept.bin"), tus())
        .unwrap()
        .wait()
        .await
        .expect("first upload");
    // Again, queued behind a slow upload; the file is touched while it waits.
    let queued_client = client_at(
        server.base.as_str(),
        &server.api_key,
        ClientConfig {
            concurrency: 1,
            bandwidth_limit: Some(2 * MIB as u64),
            ..small_config()
        },
        Default::default(),
    );
    let (first, mut rx) = start_tus(&queued_client, &slow, "review/slow.bin");
    let again = queued_client
        .upload(&kept, dest("review/kept.bin"), tus())
        .unwrap();
    wait_for(
        &mut rx,
        |e| matches!(e, UploadEvent::Progress { sent, .. } if *sent > 0),
    )
    .await;
    std::fs::write(&kept, &bytes).unwrap(); // same bytes, new mtime
    first.wait().await.expect("the slow upload");
    let error = again
        .wait()
        .await
        .expect_err("the touched file fails its check");
    assert_eq!(error.code(), "source_changed", "{error}");
    assert_eq!(
        stored_bytes(&server, "review/kept.bin").await,
        bytes,
        "the file that was already there is still there"
    );
    assert!(!states(&drain(&mut rx)).contains(&UploadState::Cancelled));
}
