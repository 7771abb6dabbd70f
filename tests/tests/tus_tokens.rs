//! tus 1.0 with upload tokens, over raw HTTP against the real server: a token creates one upload,
//! within its bucket, path and size, and may then HEAD, PATCH, GET and DELETE that upload only, even
//! after it expires.

use std::time::Duration;

use mediasaur_e2e::tus_client::{
    assert_stored, checksum, mint_token, next_second, partial_files, Tus,
};
use mediasaur_e2e::{test_bytes, TestServer};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_creates_one_upload_and_touches_only_that_one() {
    let server = TestServer::start().await;
    let key = Tus::new(&server);
    let a = key.with_credential(&mint_token(&server, "a.bin", json!({})).await);
    let b = key.with_credential(&mint_token(&server, "b.bin", json!({})).await);
    let data = test_bytes(4000, 8);

    // Bucket and path default to the token's.
    let a_upload = a
        .create_bare()
        .header("upload-length", 4000)
        .send()
        .await
        .location();
    assert_eq!(a.status(&a_upload).await["path"], "a.bin");
    let again = a.create_bare().header("upload-length", 4000).send().await;
    again.expect_error(403, "token_used");
    let b_upload = b.start(4000, "b.bin").await;
    let key_upload = key.start(4000, "k.bin").await;

    for foreign in [&a_upload, &key_upload] {
        b.head(foreign).send().await.expect_error(403, "forbidden");
        let patch = b.patch(foreign, 0, &data).send().await;
        patch.expect_error(403, "forbidden");
        b.get(foreign).send().await.expect_error(403, "forbidden");
        b.delete(foreign)
            .send()
            .await
            .expect_error(403, "forbidden");
    }
    assert_eq!(
        key.offset(&a_upload).await,
        0,
        "the refused PATCH kept nothing"
    );
    assert_eq!(
        key.offset(&key_upload).await,
        0,
        "the refused DELETE kept it"
    );

    let done = a.upload_from(&a_upload, &data, 0, 1500).await;
    let file_id = done.file_id().expect("File id");
    assert_stored(&server, &file_id, "a.bin", &data).await;
    assert_eq!(b.offset(&b_upload).await, 0);
    b.delete(&b_upload).send().await.expect(204);
    key.head(&b_upload)
        .send()
        .await
        .expect_error(404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_creations_with_one_token_at_once_make_one_upload() {
    let server = TestServer::start().await;
    let key = Tus::new(&server);
    let token = key.with_credential(&mint_token(&server, "once.bin", json!({})).await);
    let (one, two) = tokio::join!(
        token.create(10, "once.bin").send(),
        token.create(10, "once.bin").send()
    );
    let (won, lost) = if one.status == 201 {
        (one, two)
    } else {
        (two, one)
    };
    won.location();
    lost.expect_error(403, "token_used");
    assert_eq!(partial_files(&server).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_creates_only_within_its_scope() {
    let server = TestServer::start().await;
    let key = Tus::new(&server);
    let token = key.with_credential(&mint_token(&server, "scoped.bin", json!({})).await);
    let other_path = token.create(10, "elsewhere.bin").send().await;
    other_path.expect_error(403, "path_mismatch");
    let other_bucket = token.create_bare().header("upload-length", 10);
    let other_bucket = other_bucket.metadata(&[("bucket", "other")]);
    other_bucket.send().await.expect_error(403, "path_mismatch");
    // Refused creations do not spend the token.
    token.start(10, "scoped.bin").await;

    let small = json!({ "max_size": 100 });
    let limited = key.with_credential(&mint_token(&server, "small.bin", small.clone()).await);
    let too_big = limited.create(101, "small.bin").send().await;
    too_big.expect_error(413, "file_too_large");
    let location = limited.start(100, "small.bin").await;
    let done = limited
        .upload_from(&location, &test_bytes(100, 9), 0, 100)
        .await;
    assert!(done.file_id().is_some());

    // A deferred length is held to the same limit.
    let deferred = key.with_credential(&mint_token(&server, "later.bin", small).await);
    let location = deferred
        .create_deferred("later.bin")
        .send()
        .await
        .location();
    let data = test_bytes(101, 10);
    let declared = deferred
        .patch(&location, 0, &data[..10])
        .header("upload-length", 101);
    declared.send().await.expect_error(413, "file_too_large");
    let overflowing = deferred.patch(&location, 0, &data).send().await;
    overflowing.expect_error(413, "file_too_large");
    assert_eq!(deferred.offset(&location).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checksum_mismatch_on_creation_does_not_strand_the_token() {
    let server = TestServer::start().await;
    let key = Tus::new(&server);
    let token = key.with_credential(&mint_token(&server, "first.bin", json!({})).await);
    let data = test_bytes(1000, 11);
    let mut tampered = data.clone();
    tampered[0] ^= 1;
    let create = token.create(1000, "first.bin").body(&tampered);
    let create = create.header("upload-checksum", checksum("sha256", &data));
    let refused = create.send().await.expect_error(460, "checksum_mismatch");

    // The client must be able to carry on: at the upload the 460 names, or with a new creation.
    let location = match refused.header("location") {
        Some(location) => location.to_owned(),
        None => token.start(1000, "first.bin").await,
    };
    let done = token.upload_from(&location, &data, 0, 1000).await;
    let file_id = done.file_id().expect("File id");
    assert_stored(&server, &file_id, "first.bin", &data).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_continues_its_upload_but_creates_nothing() {
    let server = TestServer::start().await;
    let key = Tus::new(&server);
    let data = test_bytes(2000, 12);
    next_second().await;
    let short = json!({ "expires_in": 1 });
    let token = key.with_credential(&mint_token(&server, "late.bin", short.clone()).await);
    let unused = key.with_credential(&mint_token(&server, "never.bin", short).await);
    let location = token.start(2000, "late.bin").await;
    token
        .patch(&location, 0, &data[..1000])
        .send()
        .await
        .expect(204);
    tokio::time::sleep(Duration::from_millis(2100)).await;

    assert_eq!(token.offset(&location).await, 1000);
    let done = token.patch(&location, 1000, &data[1000..]).send().await;
    let file_id = done.expect(204).file_id().expect("File id");
    assert_stored(&server, &file_id, "late.bin", &data).await;
    assert_eq!(token.status(&location).await["state"], "complete");
    let fresh = unused.create(10, "never.bin").send().await;
    fresh.expect_error(401, "token_expired");
    let spent = token.create(10, "late.bin").send().await;
    spent.expect_error(401, "token_expired");
}
