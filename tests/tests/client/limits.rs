//! The concurrency limit and the shared bandwidth limit.

use std::collections::HashSet;

use mediasaur::upload::{UploadEvent, UploadState};
use mediasaur::{ClientConfig, Strategy, UploadOptions};
use mediasaur_e2e::TestServer;

use crate::support::*;

#[tokio::test]
async fn no_more_uploads_run_at_once_than_the_concurrency_limit() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = ClientConfig {
        concurrency: 2,
        // Slow enough that the uploads overlap.
        bandwidth_limit: Some(2 * MIB as u64),
        ..small_config()
    };
    let client = client(&server, config);
    let (tx, mut rx) = events();
    let mut handles = Vec::new();
    for i in 0..8 {
        let (path, _) = write_file(dir.path(), &format!("c{i}.bin"), 200_000, 30 + i);
        let strategy = if i % 2 == 0 {
            Strategy::Auto
        } else {
            Strategy::Tus
        };
        handles.push(
            client
                .upload(
                    &path,
                    dest(&format!("limits/c{i}.bin")),
                    UploadOptions {
                        strategy,
                        events: Some(tx.clone()),
                    },
                )
                .unwrap(),
        );
    }
    drop(tx);
    for handle in handles {
        handle.wait().await.expect("every upload succeeds");
    }
    let mut active = HashSet::new();
    let mut most = 0;
    let mut completed = 0;
    while let Some(event) = rx.recv().await {
        if let UploadEvent::State { upload, state } = event {
            match state {
                UploadState::Uploading => {
                    active.insert(upload);
                }
                UploadState::Completed { .. } => {
                    active.remove(&upload);
                    completed += 1;
                }
                _ => {}
            }
            most = most.max(active.len());
        }
    }
    assert_eq!(completed, 8);
    assert_eq!(most, 2, "at most two at once, and the limit was reached");
}

#[tokio::test]
async fn every_byte_of_every_strategy_passes_the_shared_bandwidth_limit() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = ClientConfig {
        bandwidth_limit: Some(8 * MIB as u64),
        ..small_config()
    };
    let client = client(&server, config);
    let sizes = [300_000usize, 2 * MIB + 5];
    let mut handles = Vec::new();
    for (i, size) in sizes.iter().enumerate() {
        let (path, _) = write_file(dir.path(), &format!("b{i}.bin"), *size, 40 + i as u64);
        handles.push(
            client
                .upload(
                    &path,
                    dest(&format!("limits/b{i}.bin")),
                    UploadOptions::default(),
                )
                .unwrap(),
        );
    }
    for handle in handles {
        handle.wait().await.expect("upload succeeds");
    }
    assert_eq!(
        client.bandwidth().granted(),
        sizes.iter().sum::<usize>() as u64
    );
    client.bandwidth().set_rate(None);
    assert_eq!(client.bandwidth().rate(), None);
}
