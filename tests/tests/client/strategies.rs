//! Each strategy stores exactly the file's bytes and answers with the server's File object.

use mediasaur::upload::{SingleRequest, UploadState};
use mediasaur::{Strategy, UploadOptions};
use mediasaur_e2e::{sha256_hex, TestServer};

use crate::support::*;

async fn upload_with(strategy: Strategy, len: usize, name: &str) {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = write_file(dir.path(), name, len, 7);
    let (tx, mut rx) = events();
    let client = client(&server, small_config());
    let handle = client
        .upload(
            &path,
            dest(&format!("s/{name}")),
            UploadOptions {
                strategy,
                events: Some(tx),
            },
        )
        .unwrap();
    let outcome = handle.wait().await.expect("upload succeeds");
    let file = outcome.file.expect("a File object");
    assert_eq!(file.sha256, sha256_hex(&bytes));
    assert_eq!(outcome.sha256, file.sha256);
    assert_eq!(file.filesize, len as u64);
    assert_eq!(file.path, format!("s/{name}"));
    assert_eq!(stored_bytes(&server, &format!("s/{name}")).await, bytes);
    let states = states(&drain(&mut rx));
    assert_eq!(states.first(), Some(&UploadState::Queued));
    assert!(states.contains(&UploadState::Uploading));
    assert!(matches!(
        states.last(),
        Some(UploadState::Completed { file: Some(_) })
    ));
}

#[tokio::test]
async fn auto_sends_a_small_file_as_a_signed_put() {
    upload_with(Strategy::Auto, 100_000, "small.bin").await;
}

#[tokio::test]
async fn multipart_with_a_fresh_token() {
    upload_with(
        Strategy::Single(SingleRequest::MultipartToken),
        300_000,
        "multi.bin",
    )
    .await;
}

#[tokio::test]
async fn auto_sends_a_large_file_through_tus_in_chunks() {
    upload_with(Strategy::Auto, 3 * MIB + 12_345, "large.bin").await;
}

#[tokio::test]
async fn empty_files_upload_with_every_strategy() {
    for strategy in [
        Strategy::Single(SingleRequest::SignedPut),
        Strategy::Single(SingleRequest::MultipartToken),
        Strategy::Tus,
    ] {
        upload_with(strategy, 0, "empty.bin").await;
    }
}

#[tokio::test]
async fn uploading_the_same_bytes_again_reuses_the_file_and_other_bytes_are_refused() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let client = client(&server, small_config());
    for (strategy, len) in [
        (Strategy::Single(SingleRequest::SignedPut), 50_000),
        (Strategy::Single(SingleRequest::MultipartToken), 50_000),
        (Strategy::Tus, 2 * MIB + 1),
    ] {
        let name = format!("again-{len}-{strategy:?}.bin").replace([' ', '(', ')'], "");
        let (path, bytes) = write_file(dir.path(), &name, len, 61);
        let upload = || {
            client
                .upload(
                    &path,
                    dest(&format!("again/{name}")),
                    UploadOptions {
                        strategy,
                        events: None,
                    },
                )
                .unwrap()
                .wait()
        };
        let first = upload().await.expect("first upload");
        assert!(!first.reused);
        let second = upload().await.expect("the same bytes again succeed");
        assert!(second.reused, "{strategy:?}: nothing new was stored");
        assert_eq!(
            second.file.as_ref().unwrap().id,
            first.file.as_ref().unwrap().id
        );
        // Other bytes at the same path: the server's file_exists stands.
        let mut other = bytes.clone();
        other[0] ^= 1;
        std::fs::write(&path, &other).unwrap();
        let error = upload()
            .await
            .expect_err("different bytes at a taken path fail");
        assert_eq!(error.code(), "file_exists", "{strategy:?}: {error}");
        assert_eq!(stored_bytes(&server, &format!("again/{name}")).await, bytes);
    }
}
