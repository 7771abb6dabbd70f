//! Bad input and broken peers: each gets a clear, coded error (`ClientError::code()` plus a message
//! that says what happened), never a File object that differs from the source, and nothing partial
//! left on the server.

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

use mediasaur::upload::{MemoryResumeStore, RetryPolicy, SingleRequest, UploadEvent, UploadState};
use mediasaur::{ClientConfig, ClientError, Destination, Strategy, UploadOptions};
use mediasaur_e2e::fake_http::{response, FakeHttp};
use mediasaur_e2e::fault_proxy::FaultProxy;
use mediasaur_e2e::{sha256_hex, TestServer};
use url::Url;

use crate::support::*;

const SIGNED_PUT: Strategy = Strategy::Single(SingleRequest::SignedPut);
const MULTIPART: Strategy = Strategy::Single(SingleRequest::MultipartToken);

fn with_events(
    strategy: Strategy,
) -> (
    UploadOptions,
    tokio::sync::mpsc::UnboundedReceiver<UploadEvent>,
) {
    let (tx, rx) = events();
    (
        UploadOptions {
            strategy,
            events: Some(tx),
        },
        rx,
    )
}

/// Uploads `path` with `client` and `strategy`; returns the error it must end with and every event.
async fn upload_fails(
    client: &mediasaur::UploadClient,
    path: &Path,
    to: &str,
    strategy: Strategy,
) -> (ClientError, Vec<UploadEvent>) {
    let (options, mut rx) = with_events(strategy);
    let outcome = client
        .upload(path, dest(to), options)
        .expect("the upload starts")
        .wait()
        .await;
    let events = drain(&mut rx);
    match outcome {
        Ok(outcome) => panic!("{strategy:?} to {to} succeeded ({outcome:?}) but must fail"),
        Err(error) => (error, events),
    }
}

/// The last state is `Failed` with `error`'s code and message.
fn assert_failed_state(events: &[UploadEvent], error: &ClientError) {
    match states(events).last() {
        Some(UploadState::Failed { code, message }) => {
            assert_eq!(code, error.code());
            assert_eq!(message, &error.to_string());
        }
        other => panic!("the last state is {other:?}, not Failed; events: {events:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Unreadable sources and invalid destinations: refused before anything is sent.

#[tokio::test]
async fn a_missing_file_a_directory_and_an_unreadable_file_are_refused_at_once() {
    let server = TestServer::start().await;
    let client = client(&server, small_config());
    let dir = tempfile::tempdir().unwrap();

    let missing = dir.path().join("missing.bin");
    let error = client
        .upload(&missing, dest("bad/missing.bin"), UploadOptions::default())
        .expect_err("a missing file is refused by upload() itself");
    assert_eq!(error.code(), "source_missing", "{error}");
    let message = error.to_string();
    assert!(
        message.contains(&missing.display().to_string()) && message.contains("no longer exists"),
        "the message names the file and the cause: {message}"
    );

    let folder = dir.path().join("a-folder");
    std::fs::create_dir(&folder).unwrap();
    let error = client
        .upload(&folder, dest("bad/folder"), UploadOptions::default())
        .expect_err("a directory is refused by upload() itself");
    assert_eq!(error.code(), "unreadable_file", "{error}");
    let message = error.to_string();
    assert!(
        message.contains(&folder.display().to_string()) && message.contains("not a regular file"),
        "{message}"
    );

    // Mode 000. The tests usually run as root (CI does), and root reads such a file anyway
    // (CAP_DAC_OVERRIDE): then the case cannot be provoked and only the other two are checked.
    let (locked, _) = write_file(dir.path(), "locked.bin", 1000, 1);
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    if std::fs::File::open(&locked).is_ok() {
        eprintln!("running with CAP_DAC_OVERRIDE (root): mode 000 does not stop reading; skipped");
    } else {
        let error = client
            .upload(&locked, dest("bad/locked.bin"), UploadOptions::default())
            .expect_err("an unreadable file is refused by upload() itself");
        assert_eq!(error.code(), "unreadable_file", "{error}");
        assert!(error.to_string().contains("Permission denied"), "{error}");
    }

    assert_eq!(listed_paths(&server, "bad/").await, Vec::<String>::new());
}

#[test]
fn invalid_destinations_are_refused_with_their_code() {
    for (bucket, path, code, prefix) in [
        ("default", "../x", "invalid_path", "invalid path: "),
        ("default", "a/../x", "invalid_path", "invalid path: "),
        ("default", "", "invalid_path", "invalid path: "),
        ("default", "/absolute", "invalid_path", "invalid path: "),
        ("default", "a//b", "invalid_path", "invalid path: "),
        ("Bad_Name", "x", "invalid_bucket", "invalid bucket name: "),
        ("", "x", "invalid_bucket", "invalid bucket name: "),
    ] {
        let error = Destination::parse(bucket, path)
            .expect_err(&format!("{bucket:?}/{path:?} must be refused"));
        assert_eq!(error.code(), code, "{bucket:?}/{path:?}: {error}");
        let message = error.to_string();
        let reason = message.strip_prefix(prefix).unwrap_or_default();
        assert!(
            reason.len() > 5,
            "{bucket:?}/{path:?}: the message says which rule is broken: {message:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Keys the server does not accept: `unauthorized` at once, whatever the strategy.

/// Uploads a small file with every strategy and returns, per strategy, what went wrong (empty when
/// each failed with `unauthorized` without a single retry).
async fn unauthorized_with_every_strategy(
    client: &mediasaur::UploadClient,
    path: &Path,
    prefix: &str,
    key: &str,
) -> Vec<String> {
    let mut wrong = Vec::new();
    for (name, strategy) in [
        ("signed_put", SIGNED_PUT),
        ("multipart", MULTIPART),
        ("tus", Strategy::Tus),
    ] {
        let (error, events) =
            upload_fails(client, path, &format!("{prefix}/{name}.bin"), strategy).await;
        assert_failed_state(&events, &error);
        let retried = retries(&events);
        if error.code() != "unauthorized" || !retried.is_empty() {
            wrong.push(format!(
                "{name}: code {} ({error}), retries {retried:?}",
                error.code()
            ));
        }
        assert!(
            !format!("{error} {error:?}").contains(key),
            "the key leaked: {error:?}"
        );
    }
    wrong
}

#[tokio::test]
async fn an_unknown_key_is_unauthorized_without_retries() {
    let server = TestServer::start().await;
    let key = unknown_key();
    let client = client_at(server.base.as_str(), &key, small_config(), Arc::default());
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_file(dir.path(), "k.bin", 10_000, 2);
    let wrong = unauthorized_with_every_strategy(&client, &path, "unknown", &key).await;
    assert!(
        wrong.is_empty(),
        "an unknown key must fail fast with `unauthorized`:\n{}",
        wrong.join("\n")
    );
    assert_eq!(
        listed_paths(&server, "unknown/").await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn a_revoked_key_stops_working() {
    let server = TestServer::start().await;
    let (key_id, key) = mediasaur_server::keys::create(server.state.db(), "second", false)
        .await
        .expect("create a second key");
    let client = client_at(server.base.as_str(), &key, small_config(), Arc::default());
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = write_file(dir.path(), "r.bin", 10_000, 3);
    for (name, strategy) in [
        ("signed_put", SIGNED_PUT),
        ("multipart", MULTIPART),
        ("tus", Strategy::Tus),
    ] {
        let outcome = client
            .upload(
                &path,
                dest(&format!("before/{name}.bin")),
                UploadOptions {
                    strategy,
                    events: None,
                },
            )
            .unwrap()
            .wait()
            .await
            .unwrap_or_else(|e| panic!("{name} with the second key before revoking it: {e}"));
        assert_eq!(
            outcome.file.expect("a File object").sha256,
            sha256_hex(&bytes)
        );
    }

    assert!(mediasaur_server::keys::revoke(server.state.db(), &key_id)
        .await
        .expect("revoke"));
    let wrong = unauthorized_with_every_strategy(&client, &path, "after", &key).await;
    assert!(
        wrong.is_empty(),
        "a revoked key must fail fast with `unauthorized`:\n{}",
        wrong.join("\n")
    );
    assert_eq!(listed_paths(&server, "after/").await, Vec::<String>::new());
    assert_eq!(listed_paths(&server, "before/").await.len(), 3);
}

// ---------------------------------------------------------------------------------------------
// Servers that are gone, talk nonsense or fail.

/// A client for `endpoint` (a fake or absent server) with `retry`.
fn client_for(endpoint: &str, retry: RetryPolicy) -> mediasaur::UploadClient {
    client_at(
        endpoint,
        &unknown_key(),
        ClientConfig {
            retry,
            ..small_config()
        },
        Arc::default(),
    )
}

/// Retrying states numbered 1..max_attempts-1 with `code`, then Failed.
fn assert_retried_then_failed(events: &[UploadEvent], error: &ClientError, code: &str) {
    let max = quick_retries().max_attempts;
    let retried = retries(events);
    let attempts: Vec<u32> = retried.iter().map(|(attempt, _, _)| *attempt).collect();
    assert_eq!(attempts, (1..max).collect::<Vec<_>>(), "events: {events:?}");
    assert!(
        retried.iter().all(|(_, _, c)| c == code),
        "every retry was for {code}: {retried:?}"
    );
    assert_failed_state(events, error);
}

#[tokio::test]
async fn a_server_nobody_listens_on_is_a_network_error_after_the_retries() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let client = client_for(&endpoint, quick_retries());
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_file(dir.path(), "n.bin", 10_000, 4);
    for strategy in [SIGNED_PUT, Strategy::Tus] {
        let (error, events) = upload_fails(&client, &path, "n.bin", strategy).await;
        assert_eq!(error.code(), "network", "{strategy:?}: {error}");
        let message = error.to_string();
        assert!(
            message.contains(&endpoint) && message.contains("could not connect"),
            "{strategy:?}: the message names the server and what failed: {message}"
        );
        assert_retried_then_failed(&events, &error, "network");
    }
}

#[tokio::test]
async fn a_server_answering_garbage_is_an_invalid_response_and_no_tus_server() {
    let garbage = FakeHttp::always(response("200 OK", &[], "hello")).await;
    let client = client_for(garbage.url("").as_str(), quick_retries());
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_file(dir.path(), "g.bin", 10_000, 5);

    let (error, events) = upload_fails(&client, &path, "g.bin", SIGNED_PUT).await;
    assert_eq!(error.code(), "invalid_response", "{error}");
    assert!(
        error.to_string().contains("not the expected envelope"),
        "{error}"
    );
    assert_eq!(retries(&events), vec![], "garbage is not worth retrying");
    assert_failed_state(&events, &error);
    let puts = garbage.requests();
    assert_eq!(puts.len(), 1, "{puts:?}");
    assert_eq!(puts[0].method, "PUT");
    assert_eq!(puts[0].body_len, 10_000, "the whole file was sent");

    // OPTIONS answered 200, but without Tus-Version: not a tus server.
    let (error, events) = upload_fails(&client, &path, "g.bin", Strategy::Tus).await;
    assert_eq!(error.code(), "unsupported_server", "{error}");
    assert!(error.to_string().contains("Tus-Version"), "{error}");
    assert_eq!(retries(&events), vec![]);
    assert_failed_state(&events, &error);
    let last = garbage.requests().pop().unwrap();
    assert_eq!(last.method, "OPTIONS");
    assert_eq!(garbage.requests().len(), 2, "nothing after the OPTIONS");
}

#[tokio::test]
async fn a_proxy_answering_502_is_retried_then_reported_with_its_status() {
    // A proxy's error page, not the Upload API's envelope.
    let page =
        "<html><head><title>Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>";
    let proxy = FakeHttp::always(response(
        "502 Bad Gateway",
        &["Content-Type: text/html"],
        page,
    ))
    .await;
    let client = client_for(proxy.url("").as_str(), quick_retries());
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_file(dir.path(), "p.bin", 10_000, 6);
    let max = quick_retries().max_attempts as usize;
    for (strategy, sent) in [(SIGNED_PUT, max), (Strategy::Tus, 2 * max)] {
        let (error, events) = upload_fails(&client, &path, "p.bin", strategy).await;
        assert_eq!(error.code(), "internal", "{strategy:?}: {error}");
        assert!(error.to_string().contains("502"), "{strategy:?}: {error}");
        assert_retried_then_failed(&events, &error, "internal");
        assert_eq!(
            proxy.requests().len(),
            sent,
            "{strategy:?}: one request per attempt"
        );
    }
}

#[tokio::test]
async fn a_full_disk_is_insufficient_storage_after_the_retries() {
    // The real server cannot be made to run out of disk here (no small filesystem to put its data
    // dir on without privileges), so a stand-in answers what it answers then: 507 in the envelope.
    let body = r#"{"meta":{"request_id":"req_x"},"data":null,"error":{"code":"insufficient_storage","message":"disk full","status":507},"links":{}}"#;
    let full = FakeHttp::always(response(
        "507 Insufficient Storage",
        &["Content-Type: application/json"],
        body,
    ))
    .await;
    let client = client_for(full.url("").as_str(), quick_retries());
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_file(dir.path(), "d.bin", 10_000, 7);
    let (error, events) = upload_fails(&client, &path, "d.bin", SIGNED_PUT).await;
    assert_eq!(error.code(), "insufficient_storage", "{error}");
    let message = error.to_string();
    assert!(
        message.contains("disk full") && message.contains("507") && message.contains("req_x"),
        "the server's message, the status and the request id: {message}"
    );
    assert_retried_then_failed(&events, &error, "insufficient_storage");
    assert_eq!(full.requests().len(), quick_retries().max_attempts as usize);
}

#[tokio::test]
async fn retry_after_on_503_is_honoured() {
    let busy = FakeHttp::always(response(
        "503 Service Unavailable",
        &["Retry-After: 1"],
        "busy",
    ))
    .await;
    let client = client_for(
        busy.url("").as_str(),
        RetryPolicy {
            max_attempts: 2,
            ..quick_retries()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_file(dir.path(), "b.bin", 10_000, 8);
    let (error, events) = upload_fails(&client, &path, "b.bin", SIGNED_PUT).await;
    assert_eq!(error.code(), "internal", "{error}");
    assert!(error.to_string().contains("503"), "{error}");
    let retried = retries(&events);
    assert_eq!(retried.len(), 1, "{events:?}");
    let (_, delay_ms, _) = &retried[0];
    assert!(
        *delay_ms >= 1000,
        "Retry-After: 1 asks for at least 1000 ms, the policy's own delay is at most 100 ms: {delay_ms}"
    );
    assert_eq!(busy.requests().len(), 2);
}

// ---------------------------------------------------------------------------------------------
// The file changes while it is being sent.

#[derive(Debug, Clone, Copy)]
enum Change {
    Append,
    Truncate,
    /// Same size, other bytes (only the modification time tells).
    Overwrite,
}

fn change(path: &Path, how: Change) {
    let mut file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    match how {
        Change::Append => {
            file.seek(SeekFrom::End(0)).unwrap();
            file.write_all(b"appended while uploading").unwrap();
        }
        Change::Truncate => {
            let len = file.metadata().unwrap().len();
            file.set_len(len / 2).unwrap();
        }
        Change::Overwrite => {
            file.write_all(&[0xAA; 4096]).unwrap();
        }
    }
    file.sync_all().unwrap();
}

fn sent_past(min: u64) -> impl FnMut(&UploadEvent) -> bool {
    move |event| matches!(event, UploadEvent::Progress { sent, .. } if *sent > min)
}

#[tokio::test]
async fn a_file_changed_during_a_tus_upload_fails_and_the_upload_is_terminated() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    for how in [Change::Append, Change::Truncate, Change::Overwrite] {
        let name = format!("{how:?}.bin").to_lowercase();
        let (path, _) = write_file(dir.path(), &name, 4 * MIB, 9);
        let store = Arc::new(MemoryResumeStore::default());
        let config = ClientConfig {
            bandwidth_limit: Some(2 * MIB as u64),
            ..small_config()
        };
        let client = client_at(
            server.base.as_str(),
            &server.api_key,
            config,
            Arc::clone(&store),
        );
        let (options, mut rx) = with_events(Strategy::Tus);
        let handle = client
            .upload(&path, dest(&format!("changed/{name}")), options)
            .unwrap();
        wait_for(&mut rx, sent_past(MIB as u64)).await;
        let upload_url = store
            .all()
            .first()
            .expect("a resume state once the upload is created")
            .upload_url
            .clone();
        change(&path, how);
        let error = handle
            .wait()
            .await
            .expect_err(&format!("{how:?}: the upload must fail"));
        assert_eq!(error.code(), "source_changed", "{how:?}: {error}");
        assert!(
            error.to_string().contains(&path.display().to_string()),
            "{how:?}: {error}"
        );
        assert_failed_state(&drain(&mut rx), &error);
        assert!(
            store.all().is_empty(),
            "{how:?}: resume state left: {:?}",
            store.all()
        );
        let head = server
            .http()
            .head(&upload_url)
            .header("Tus-Resumable", "1.0.0")
            .header("Authorization", server.bearer())
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 404, "{how:?}: the tus upload was terminated");
    }
    assert_eq!(
        listed_paths(&server, "changed/").await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn a_file_changed_during_a_signed_put_leaves_no_file_behind() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_file(dir.path(), "put.bin", MIB, 10);
    let config = ClientConfig {
        bandwidth_limit: Some(MIB as u64 / 2),
        ..small_config()
    };
    let client = client(&server, config);
    let (options, mut rx) = with_events(SIGNED_PUT);
    let handle = client
        .upload(&path, dest("changed/put.bin"), options)
        .unwrap();
    wait_for(&mut rx, sent_past(MIB as u64 / 4)).await;
    change(&path, Change::Append);
    let error = handle.wait().await.expect_err("the upload must fail");
    assert_eq!(error.code(), "source_changed", "{error}");
    assert_failed_state(&drain(&mut rx), &error);
    assert_eq!(
        listed_paths(&server, "changed/").await,
        Vec::<String>::new()
    );
}

// ---------------------------------------------------------------------------------------------
// Bytes corrupted in transit.

#[tokio::test]
async fn a_signed_put_corrupted_in_transit_is_an_integrity_mismatch_and_deleted() {
    // The server verifies signed URLs against its public host, so its public URL is the proxy's.
    let listener = FaultProxy::bind().await;
    let public = Url::parse(&listener.url("")).unwrap();
    let server = TestServer::start_with(|config| config.public_url = public).await;
    let proxy = listener.forward_to(server.addr);
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = write_file(dir.path(), "flip.bin", 300_000, 11);
    let client = client_at(
        &proxy.url(""),
        &server.api_key,
        small_config(),
        Arc::default(),
    );
    // Well past the request's headers: a byte in the middle of the body.
    proxy.flip_put_byte(1, 150_000);
    let (error, events) = upload_fails(&client, &path, "flip/flip.bin", SIGNED_PUT).await;
    assert_eq!(proxy.flips(), 1, "the fault fired");
    assert_eq!(error.code(), "integrity_mismatch", "{error}");
    assert!(
        error.to_string().contains(&sha256_hex(&bytes)),
        "the message shows the local sha256: {error}"
    );
    assert_failed_state(&events, &error);
    assert_eq!(
        listed_paths(&server, "flip/").await,
        Vec::<String>::new(),
        "the corrupted File object was deleted"
    );
    let download = server
        .http()
        .get(server.url("/default/flip/flip.bin"))
        .header("Authorization", server.bearer())
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 404);
}

#[tokio::test]
async fn a_tus_chunk_corrupted_in_transit_is_refused_by_its_checksum_and_sent_again() {
    let server = TestServer::start().await;
    let proxy = FaultProxy::start(server.addr).await;
    let dir = tempfile::tempdir().unwrap();
    let len = 3 * MIB;
    let (path, bytes) = write_file(dir.path(), "flip.bin", len, 12);
    let client = client_at(
        &proxy.url(""),
        &server.api_key,
        small_config(),
        Arc::default(),
    );
    // The second PATCH (bytes 1..2 MiB) gets one byte inverted half-way.
    proxy.flip_upload_byte(2, MIB as u64 / 2);
    let (options, mut rx) = with_events(Strategy::Tus);
    let outcome = client
        .upload(&path, dest("flip/tus.bin"), options)
        .unwrap()
        .wait()
        .await
        .expect("the corrupted chunk is sent again and the upload completes");
    assert_eq!(proxy.flips(), 1, "the fault fired");
    let events = drain(&mut rx);
    let retried = retries(&events);
    assert_eq!(retried.len(), 1, "{events:?}");
    assert_eq!(retried[0].2, "checksum_mismatch");
    assert_eq!(outcome.sha256, sha256_hex(&bytes));
    assert_eq!(
        outcome.file.expect("a File object").sha256,
        sha256_hex(&bytes)
    );
    assert_eq!(stored_bytes(&server, "flip/tus.bin").await, bytes);
    assert!(
        proxy.bytes_up() < (len + 2 * MIB) as u64,
        "only the corrupted chunk was sent again: {} bytes up",
        proxy.bytes_up()
    );
}
