//! The client's tus engine against another real tus 1.0 server, `@tus/server` on Node (no checksum
//! extension, absolute `Location`s, no File objects): it uploads, resumes after a cut and terminates.
//! A missing `npm ci` fails these tests (never skips them).

use std::net::SocketAddr;
use std::sync::Arc;

use mediasaur::upload::{MemoryResumeStore, UploadEvent, UploadState};
use mediasaur::{ClientConfig, ClientError, Strategy, UploadClient, UploadOptions};
use mediasaur_e2e::fault_proxy::FaultProxy;
use mediasaur_e2e::sha256_hex;
use mediasaur_e2e::tus_node_server::NodeTusServer;
use url::Url;

use crate::support::*;

/// Request and response headers of every request of one upload, with a wide margin.
const HEADER_SLACK: u64 = 32 * 1024;

/// A client whose tus endpoint is `tus_endpoint` (@tus/server, directly or behind a proxy). The API
/// endpoint is that server's origin; the key is any well-formed one (@tus/server ignores it).
fn tus_client(
    tus_endpoint: &Url,
    bandwidth_limit: Option<u64>,
    store: Arc<MemoryResumeStore>,
) -> UploadClient {
    let config = ClientConfig {
        tus_endpoint: Some(tus_endpoint.clone()),
        bandwidth_limit,
        ..small_config()
    };
    client_at(
        tus_endpoint.origin().ascii_serialization().as_str(),
        &unknown_key(),
        config,
        store,
    )
}

fn node_addr(node: &NodeTusServer) -> SocketAddr {
    node.url
        .socket_addrs(|| None)
        .expect("the node server's address")[0]
}

fn tus_with(tx: tokio::sync::mpsc::UnboundedSender<UploadEvent>) -> UploadOptions {
    UploadOptions {
        strategy: Strategy::Tus,
        events: Some(tx),
    }
}

async fn start_node() -> NodeTusServer {
    NodeTusServer::start()
        .await
        .unwrap_or_else(|e| panic!("@tus/server: {e:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_to_tus_node_server_in_chunks() {
    let node = start_node().await;
    let dir = tempfile::tempdir().unwrap();
    let len = 3 * MIB + MIB / 2;
    let (path, bytes) = write_file(dir.path(), "peer.bin", len, 21);
    let store = Arc::new(MemoryResumeStore::default());
    let client = tus_client(&node.url, None, Arc::clone(&store));
    let (tx, mut rx) = events();
    let outcome = client
        .upload(&path, dest("peer/peer.bin"), tus_with(tx))
        .unwrap()
        .wait()
        .await
        .expect("the upload to @tus/server completes");
    assert_eq!(outcome.file, None, "a plain tus server has no File objects");
    assert_eq!(outcome.sha256, sha256_hex(&bytes));
    assert_eq!(outcome.size, len as u64);
    let url = outcome.upload_url.expect("the tus upload URL");
    assert!(
        url.starts_with(node.url.as_str()),
        "{url} is an upload of {}",
        node.url
    );
    let stored = std::fs::read(node.upload_file(&url).unwrap()).expect("the FileStore's file");
    assert!(stored == bytes, "the stored bytes differ from the source");
    assert!(store.all().is_empty(), "the resume state is gone once done");
    let states = states(&drain(&mut rx));
    assert!(
        matches!(states.last(), Some(UploadState::Completed { file: None })),
        "{states:?}"
    );
    assert_eq!(retries_in(&states), 0, "nothing failed: {states:?}");
}

fn retries_in(states: &[UploadState]) -> usize {
    states
        .iter()
        .filter(|s| matches!(s, UploadState::Retrying { .. }))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumes_on_tus_node_server_after_a_cut_mid_chunk() {
    let node = start_node().await;
    let proxy = FaultProxy::start(node_addr(&node)).await;
    let dir = tempfile::tempdir().unwrap();
    let len = 4 * MIB;
    let (path, bytes) = write_file(dir.path(), "cut.bin", len, 22);
    let endpoint = Url::parse(&proxy.url("/files")).unwrap();
    let client = tus_client(&endpoint, None, Arc::default());
    // The second PATCH (bytes 1..2 MiB) loses its connection half-way.
    proxy.cut_upload_after(2, MIB as u64 / 2);
    let (tx, mut rx) = events();
    let outcome = client
        .upload(&path, dest("peer/cut.bin"), tus_with(tx))
        .unwrap()
        .wait()
        .await
        .expect("the upload resumes and completes");
    assert_eq!(proxy.cuts(), 1, "the fault fired");
    let states = states(&drain(&mut rx));
    assert!(retries_in(&states) >= 1, "the cut was retried: {states:?}");
    assert_eq!(outcome.sha256, sha256_hex(&bytes));
    let sent = proxy.bytes_up();
    assert!(
        sent <= (len + MIB) as u64 + HEADER_SLACK,
        "{sent} bytes went up for a {len}-byte file: more than one chunk was re-sent"
    );
    assert!(sent >= len as u64, "{sent}");
    let url = outcome.upload_url.expect("the tus upload URL");
    let stored = std::fs::read(node.upload_file(&url).unwrap()).expect("the FileStore's file");
    assert!(stored == bytes, "the stored bytes differ from the source");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_terminates_the_upload_on_tus_node_server() {
    let node = start_node().await;
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_file(dir.path(), "cancel.bin", 4 * MIB, 23);
    let store = Arc::new(MemoryResumeStore::default());
    let client = tus_client(&node.url, Some(MIB as u64), Arc::clone(&store));
    let (tx, mut rx) = events();
    let handle = client
        .upload(&path, dest("peer/cancel.bin"), tus_with(tx))
        .unwrap();
    wait_for(
        &mut rx,
        |e| matches!(e, UploadEvent::Progress { sent, .. } if *sent > 0),
    )
    .await;
    let url = store
        .all()
        .first()
        .expect("a resume state once the upload is created")
        .upload_url
        .clone();
    let http = reqwest::Client::new();
    let head = |url: String| http.head(url).header("Tus-Resumable", "1.0.0").send();
    assert_eq!(
        head(url.clone()).await.unwrap().status(),
        200,
        "the upload exists"
    );
    handle.cancel();
    let error = handle.wait().await.expect_err("a cancelled upload fails");
    assert!(matches!(error, ClientError::Cancelled), "{error}");
    assert_eq!(error.code(), "cancelled");
    assert!(store.all().is_empty(), "{:?}", store.all());
    assert_eq!(
        head(url.clone()).await.unwrap().status(),
        404,
        "@tus/server no longer knows {url}"
    );
    assert!(
        !node.upload_file(&url).unwrap().exists(),
        "the FileStore's file is gone"
    );
    let states = states(&drain(&mut rx));
    assert_eq!(states.last(), Some(&UploadState::Cancelled), "{states:?}");
}
