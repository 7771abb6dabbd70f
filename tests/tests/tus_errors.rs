//! tus 1.0 over raw HTTP against the real server: discovery, and every way a request can be refused,
//! each checked for its status, its `error.code` and for keeping nothing it should not; expiry and
//! termination. Upload tokens are in `tus_tokens.rs`.

use std::time::Duration;

use mediasaur_e2e::tus_client::{
    assert_stored, checksum, fed_body, next_second, partial_files, partial_path, Tus,
};
use mediasaur_e2e::{test_bytes, TestServer};
use reqwest::Method;
use serde_json::json;
use tokio::io::AsyncWriteExt;

/// A server and an upload of `length` bytes to `file.bin`, created with the key.
async fn upload_of(length: usize) -> (TestServer, Tus, String) {
    let server = TestServer::start().await;
    let tus = Tus::new(&server);
    let location = tus.start(length, "file.bin").await;
    (server, tus, location)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_advertises_version_extensions_and_limits() {
    let server = TestServer::start_with(|c| c.max_file_size = 12_345).await;
    let tus = Tus::new(&server);
    let extensions =
        "creation,creation-with-upload,creation-defer-length,expiration,checksum,termination";
    for path in ["/uploads", "/uploads/up_anything"] {
        let request = tus.request(Method::OPTIONS, path).without("authorization");
        // The server ignores Tus-Resumable on OPTIONS, whatever it says.
        let request = request.header("tus-resumable", "0.2.2");
        let reply = request.send().await.expect(204);
        assert_eq!(reply.header("tus-version"), Some("1.0.0"), "{path}");
        assert_eq!(reply.header("tus-extension"), Some(extensions));
        assert_eq!(reply.header("tus-checksum-algorithm"), Some("sha1,sha256"));
        assert_eq!(reply.header("tus-max-size"), Some("12345"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_not_speaking_tus_1_0_0_get_412_and_change_nothing() {
    let (server, tus, location) = upload_of(100).await;
    for version in [None, Some("0.2.2"), Some("1.0")] {
        let requests = [
            tus.create(100, "other.bin"),
            tus.patch(&location, 0, b"abc"),
            tus.head(&location),
            tus.delete(&location),
        ];
        for request in requests {
            let request = match version {
                Some(version) => request.header("tus-resumable", version),
                None => request.without("tus-resumable"),
            };
            let reply = request
                .send()
                .await
                .expect_error(412, "unsupported_version");
            assert_eq!(reply.header("tus-version"), Some("1.0.0"));
        }
    }
    assert_eq!(tus.offset(&location).await, 0);
    assert_eq!(partial_files(&server).len(), 1, "no upload was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_needs_an_offset_octet_stream_and_an_offset() {
    let (_server, tus, location) = upload_of(100).await;
    for content_type in [Some("application/octet-stream"), Some("text/plain"), None] {
        let request = tus.patch(&location, 0, b"abc");
        let request = match content_type {
            Some(content_type) => request.header("content-type", content_type),
            None => request.without("content-type"),
        };
        request
            .send()
            .await
            .expect_error(415, "unsupported_media_type");
    }
    let no_offset = tus.patch(&location, 0, b"abc").without("upload-offset");
    no_offset.send().await.expect_error(400, "invalid_request");
    assert_eq!(tus.offset(&location).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_offset_is_409_and_changes_nothing() {
    let (_server, tus, location) = upload_of(100).await;
    let data = test_bytes(100, 1);
    tus.patch(&location, 0, &data[..40])
        .send()
        .await
        .expect(204);
    for offset in [0, 39, 41, 100] {
        let reply = tus.patch(&location, offset, &data[40..50]).send().await;
        reply.expect_error(409, "offset_mismatch");
    }
    assert_eq!(tus.offset(&location).await, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checksum_mismatch_is_460_and_keeps_nothing() {
    let (server, tus, location) = upload_of(3000).await;
    let data = test_bytes(3000, 2);
    let first = tus.patch(&location, 0, &data[..1000]).checksum("sha256");
    first.send().await.expect(204);

    let mut tampered = data[1000..2000].to_vec();
    tampered[500] ^= 1;
    for algorithm in ["sha256", "sha1"] {
        // The checksum of the right bytes, sent with other bytes.
        let sum = checksum(algorithm, &data[1000..2000]);
        let reply = tus
            .patch(&location, 1000, &tampered)
            .header("upload-checksum", sum);
        reply.send().await.expect_error(460, "checksum_mismatch");
        assert_eq!(tus.offset(&location).await, 1000);
        let on_disk = std::fs::metadata(partial_path(&server, &location)).expect("partial");
        assert_eq!(
            on_disk.len(),
            1000,
            "the refused chunk left no bytes on disk"
        );
    }
    for bad in [
        "md5 ZHVtbXk=",
        "SHA256 ZHVtbXk=",
        "sha256 not*base64",
        "sha256",
    ] {
        let reply = tus.patch(&location, 1000, &data[1000..2000]);
        let reply = reply.header("upload-checksum", bad).send().await;
        reply.expect_error(400, "invalid_request");
    }
    assert_eq!(tus.offset(&location).await, 1000);
    let done = tus.upload_from(&location, &data, 1000, 1000).await;
    let file_id = done.file_id().expect("File id");
    assert_stored(&server, &file_id, "file.bin", &data).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_patch_does_not_set_a_deferred_length() {
    let server = TestServer::start().await;
    let tus = Tus::new(&server);
    let data = test_bytes(900, 3);
    let location = tus.create_deferred("deferred.bin").send().await.location();
    let bad_sum = tus.patch(&location, 0, &data).header("upload-length", 1000);
    let bad_sum = bad_sum.header("upload-checksum", checksum("sha256", b"other"));
    bad_sum.send().await.expect_error(460, "checksum_mismatch");
    let head = tus.head(&location).send().await.expect(200);
    assert_eq!(head.header("upload-defer-length"), Some("1"));
    assert_eq!(head.offset(), 0);

    let last = tus.patch(&location, 0, &data).header("upload-length", 900);
    let file_id = last.send().await.expect(204).file_id().expect("File id");
    assert_stored(&server, &file_id, "deferred.bin", &data).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_past_upload_length_is_refused_whole() {
    let (server, tus, location) = upload_of(1000).await;
    let data = test_bytes(1200, 4);
    tus.patch(&location, 0, &data[..600])
        .send()
        .await
        .expect(204);

    // Declared by Content-Length.
    let declared = tus.patch(&location, 600, &data[600..]).send().await;
    declared.expect_error(400, "length_mismatch");
    assert_eq!(tus.offset(&location).await, 600);

    // Discovered while streaming a chunked body.
    let (mut feed, body) = fed_body();
    let chunked = tus.patch(&location, 600, b"").stream(body, None);
    let chunked = tokio::spawn(chunked.send());
    feed.write_all(&data[600..]).await.expect("feed");
    drop(feed);
    let chunked = chunked.await.expect("chunked PATCH");
    chunked.expect_error(400, "length_mismatch");
    assert_eq!(tus.offset(&location).await, 600);

    // A known length cannot be restated differently.
    let restated = tus
        .patch(&location, 600, &data[600..700])
        .header("upload-length", 999);
    restated.send().await.expect_error(400, "length_mismatch");
    let done = tus.upload_from(&location, &data[..1000], 600, 400).await;
    let file_id = done.file_id().expect("File id");
    assert_stored(&server, &file_id, "file.bin", &data[..1000]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lengths_over_the_limit_are_413() {
    let server = TestServer::start_with(|c| c.max_file_size = 1000).await;
    let tus = Tus::new(&server);
    tus.create(1001, "big.bin")
        .send()
        .await
        .expect_error(413, "file_too_large");
    tus.start(1000, "fits.bin").await;

    let location = tus.create_deferred("deferred.bin").send().await.location();
    let data = test_bytes(1001, 5);
    let declared = tus
        .patch(&location, 0, &data[..10])
        .header("upload-length", 1001);
    declared.send().await.expect_error(413, "file_too_large");
    let overflowing = tus.patch(&location, 0, &data).send().await;
    overflowing.expect_error(413, "file_too_large");
    assert_eq!(tus.offset(&location).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_uploads_are_404() {
    let server = TestServer::start().await;
    let tus = Tus::new(&server);
    for location in ["/uploads/up_doesNotExist0000000", "/uploads/..%2F..%2Fkeys"] {
        let requests = [
            tus.head(location),
            tus.patch(location, 0, b"abc"),
            tus.get(location),
            tus.delete(location),
        ];
        for request in requests {
            request.send().await.expect_error(404, "not_found");
        }
    }
    let put = tus.request(Method::PUT, "/uploads/up_doesNotExist0000000");
    put.send().await.expect_error(405, "method_not_allowed");
    let list = tus.get("/uploads").send().await;
    list.expect_error(405, "method_not_allowed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creation_needs_one_length_a_bucket_a_path_and_credentials() {
    let server = TestServer::start().await;
    let tus = Tus::new(&server);
    let refusals = [
        (
            tus.create(10, "a.bin").header("upload-defer-length", 1),
            400,
            "invalid_request",
        ),
        (
            tus.create(10, "a.bin").without("upload-length"),
            400,
            "invalid_request",
        ),
        (
            tus.create_deferred("a.bin")
                .header("upload-defer-length", 2),
            400,
            "invalid_request",
        ),
        (
            tus.create(10, "a.bin").header("upload-length", -1),
            400,
            "invalid_request",
        ),
        (
            tus.create(10, "a.bin").metadata(&[("path", "a.bin")]),
            400,
            "bucket_required",
        ),
        (
            tus.create(10, "a.bin").metadata(&[("bucket", "default")]),
            400,
            "invalid_path",
        ),
        (
            tus.create(10, "a.bin")
                .metadata(&[("bucket", "default"), ("path", "../a.bin")]),
            400,
            "invalid_path",
        ),
        (
            tus.create(10, "a.bin")
                .metadata(&[("bucket", "nope"), ("path", "a.bin")]),
            404,
            "not_found",
        ),
        (
            tus.create(10, "a.bin")
                .header("upload-metadata", "bucket !!!,path ???"),
            400,
            "invalid_request",
        ),
        (
            tus.create(10, "a.bin").without("authorization"),
            401,
            "unauthorized",
        ),
        (
            tus.with_credential("sk_forged").create(10, "a.bin"),
            401,
            "unauthorized",
        ),
    ];
    for (request, status, code) in refusals {
        request.send().await.expect_error(status, code);
    }
    let leftovers = partial_files(&server);
    assert!(leftovers.is_empty(), "refused creations left {leftovers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_upload_is_410_and_swept() {
    let server = TestServer::start_with(|c| c.upload_expiry = Duration::from_secs(1)).await;
    let tus = Tus::new(&server);
    let data = test_bytes(1000, 6);
    next_second().await;
    let created = tus.create(1000, "late.bin").body(&data[..400]).send().await;
    assert_eq!(created.offset(), 400);
    let location = created.location();
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let patch = tus.patch(&location, 400, &data[400..]).send().await;
    patch.expect_error(410, "upload_expired");
    tus.head(&location)
        .send()
        .await
        .expect_error(410, "upload_expired");
    assert_eq!(tus.status(&location).await["state"], "expired");
    assert!(partial_path(&server, &location).exists());

    let swept = mediasaur_server::sweep(&server.state).await.expect("sweep");
    assert_eq!(swept, 1);
    assert!(
        !partial_path(&server, &location).exists(),
        "sweep removes the bytes"
    );
    let status = tus.status(&location).await;
    assert_eq!(status["state"], "expired");
    assert_eq!(status["file"], json!(null));
    let patch = tus.patch(&location, 400, &data[400..]).send().await;
    patch.expect_error(410, "upload_expired");
    tus.head(&location)
        .send()
        .await
        .expect_error(410, "upload_expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminated_upload_is_gone() {
    let (server, tus, location) = upload_of(1000).await;
    tus.patch(&location, 0, &test_bytes(500, 7))
        .send()
        .await
        .expect(204);
    assert!(partial_path(&server, &location).exists());

    tus.delete(&location).send().await.expect(204);
    assert!(
        !partial_path(&server, &location).exists(),
        "termination removes the bytes"
    );
    tus.head(&location)
        .send()
        .await
        .expect_error(404, "not_found");
    let patch = tus.patch(&location, 500, b"more").send().await;
    patch.expect_error(404, "not_found");
    tus.get(&location)
        .send()
        .await
        .expect_error(404, "not_found");
    tus.delete(&location)
        .send()
        .await
        .expect_error(404, "not_found");
}
