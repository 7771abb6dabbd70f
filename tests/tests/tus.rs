//! tus 1.0 over raw HTTP against the real server: uploads that succeed (chunked, checksummed,
//! deferred, with the first bytes in the creation request), completion into a File object, two
//! writers at once, and resuming after a connection cut mid-PATCH. Refusals, upload tokens and
//! expiry are in `tus_errors.rs`.

use std::time::Duration;

use mediasaur_e2e::tus_client::{
    assert_stored, blob_files, fed_body, metadata, partial_files, partial_path, put_file, Tus,
    BUCKET,
};
use mediasaur_e2e::{sha256_hex, test_bytes, TestServer};
use reqwest::Method;
use serde_json::json;
use tokio::io::AsyncWriteExt;

const MIB: usize = 1024 * 1024;

/// Waits until `done` holds, checking every 10 ms for up to 5 s.
async fn wait_until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("waited 5 s for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checksummed_mib_chunks_store_the_exact_bytes() {
    let server = TestServer::start().await;
    let tus = Tus::new(&server);
    let data = test_bytes(5 * MIB + 123, 1);
    let location = tus.start(data.len(), "big.bin").await;
    let mut file_id = None;
    for (i, chunk) in data.chunks(MIB).enumerate() {
        let algorithm = if i == 2 { "sha1" } else { "sha256" };
        let offset = (i * MIB) as u64;
        let reply = tus.patch(&location, offset, chunk).checksum(algorithm);
        let reply = reply.send().await.expect(204);
        assert_eq!(reply.offset(), offset + chunk.len() as u64);
        file_id = reply.file_id();
        let last = reply.offset() == data.len() as u64;
        assert_eq!(file_id.is_some(), last, "only the last PATCH completes");
        assert_eq!(reply.header("upload-expires").is_some(), !last);
    }
    let file_id = file_id.expect("File id");
    assert_stored(&server, &file_id, "big.bin", &data).await;

    let status = tus.status(&location).await;
    assert_eq!(status["state"], "complete");
    assert_eq!(status["offset"], data.len());
    assert_eq!(status["file"]["id"], file_id.as_str());
    assert_eq!(status["file"]["sha256"], sha256_hex(&data));
    assert_eq!(tus.offset(&location).await, data.len() as u64);
    let leftovers = partial_files(&server);
    assert!(
        leftovers.is_empty(),
        "the partial became the blob: {leftovers:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creation_with_upload_and_empty_uploads() {
    let server = TestServer::start().await;
    let tus = Tus::new(&server);
    let data = test_bytes(3000, 2);

    // The first bytes ride on the POST; the rest follows in a PATCH.
    let created = tus
        .create(3000, "part.bin")
        .body(&data[..1000])
        .send()
        .await;
    assert_eq!(created.offset(), 1000);
    assert!(created.header("upload-expires").is_some());
    assert_eq!(created.file_id(), None);
    let location = created.location();
    let done = tus.upload_from(&location, &data, 1000, MIB).await;
    let file_id = done.file_id().expect("File id");
    assert_stored(&server, &file_id, "part.bin", &data).await;

    // The whole file in the POST completes at once.
    let whole = tus.create(3000, "whole.bin").body(&data).send().await;
    assert_eq!(whole.offset(), 3000);
    let file_id = whole.file_id().expect("a complete POST names the File");
    assert_stored(&server, &file_id, "whole.bin", &data).await;

    // Upload-Length: 0 needs no PATCH.
    let empty = tus.create(0, "empty.bin").send().await;
    let file_id = empty
        .file_id()
        .expect("an empty upload completes at creation");
    empty.location();
    assert_stored(&server, &file_id, "empty.bin", b"").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_and_status_report_progress_and_metadata() {
    let server = TestServer::start().await;
    let tus = Tus::new(&server);
    let sent_metadata = metadata(&[
        ("bucket", BUCKET),
        ("path", "docs/report.pdf"),
        ("filename", "report.pdf"),
        ("filetype", "application/pdf"),
    ]) + ",is_confidential";
    let created = tus.create_bare().header("upload-length", 500);
    let created = created
        .header("upload-metadata", &sent_metadata)
        .send()
        .await;
    assert_eq!(created.offset(), 0);
    let expires = created.header("upload-expires").expect("Upload-Expires");
    let expires = chrono::DateTime::parse_from_rfc2822(expires).expect("an HTTP date");
    let ahead = expires.timestamp() - chrono::Utc::now().timestamp();
    assert!(
        (23 * 3600..=24 * 3600).contains(&ahead),
        "expires in {ahead} s"
    );
    let location = created.location();
    let chunk = test_bytes(200, 3);
    tus.patch(&location, 0, &chunk).send().await.expect(204);

    let head = tus.head(&location).send().await.expect(200);
    assert_eq!(head.offset(), 200);
    assert_eq!(head.header("upload-length"), Some("500"));
    assert_eq!(head.header("upload-metadata"), Some(sent_metadata.as_str()));
    assert_eq!(head.header("cache-control"), Some("no-store"));
    assert!(head.header("upload-expires").is_some());

    // GET needs no Tus-Resumable.
    let status = tus.get(&location).without("tus-resumable").send().await;
    let status = status.expect(200).data();
    assert_eq!(status["id"], location.trim_start_matches("/uploads/"));
    assert_eq!(status["offset"], 200);
    assert_eq!(status["length"], 500);
    assert_eq!(status["state"], "receiving");
    assert_eq!(status["bucket"], BUCKET);
    assert_eq!(status["path"], "docs/report.pdf");
    let expires_at = status["expires_at"].as_str().expect("expires_at");
    let expires_at = chrono::DateTime::parse_from_rfc3339(expires_at).expect("RFC 3339");
    assert_eq!(expires_at, expires);
    assert_eq!(status["error"], json!(null));
    assert_eq!(status["file"], json!(null));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferred_length_is_set_once_by_a_later_patch() {
    let server = TestServer::start().await;
    let tus = Tus::new(&server);
    let data = test_bytes(2 * MIB + 7, 4);
    let location = tus.create_deferred("stream.bin").send().await.location();
    let head = tus.head(&location).send().await.expect(200);
    assert_eq!(head.header("upload-defer-length"), Some("1"));
    assert_eq!(head.header("upload-length"), None);
    assert_eq!(tus.status(&location).await["length"], json!(null));

    tus.patch(&location, 0, &data[..MIB])
        .send()
        .await
        .expect(204);
    let last = tus.patch(&location, MIB as u64, &data[MIB..]);
    let last = last
        .header("upload-length", data.len())
        .send()
        .await
        .expect(204);
    assert_eq!(last.offset(), data.len() as u64);
    let file_id = last.file_id().expect("File id");
    assert_stored(&server, &file_id, "stream.bin", &data).await;

    // Once set, the length cannot change.
    let location = tus.create_deferred("other.bin").send().await.location();
    let first = tus
        .patch(&location, 0, &data[..100])
        .header("upload-length", 1000);
    assert_eq!(first.send().await.expect(204).offset(), 100);
    let head = tus.head(&location).send().await.expect(200);
    assert_eq!(head.header("upload-length"), Some("1000"));
    assert_eq!(head.header("upload-defer-length"), None);
    let changed = tus.patch(&location, 100, &data[100..200]);
    let changed = changed.header("upload-length", 1001).send().await;
    changed.expect_error(400, "length_mismatch");
    assert_eq!(tus.offset(&location).await, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retried_final_patch_names_the_same_file() {
    let server = TestServer::start().await;
    let tus = Tus::new(&server);
    let data = test_bytes(10_000, 5);
    let (location, file_id) = tus.upload("retry.bin", &data).await;
    let again = tus.patch(&location, data.len() as u64, b"").send().await;
    let again = again.expect(204);
    assert_eq!(again.file_id(), Some(file_id.clone()));
    assert_eq!(again.offset(), data.len() as u64);
    assert_stored(&server, &file_id, "retry.bin", &data).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn method_override_turns_a_post_into_patch_head_or_delete() {
    let server = TestServer::start().await;
    let tus = Tus::new(&server);
    let location = tus.start(1000, "override.bin").await;
    let as_method = |method: &str| {
        let request = tus.request(Method::POST, &location);
        request.header("x-http-method-override", method)
    };
    let patch = as_method("PATCH").header("upload-offset", 0);
    let patch = patch.body(&test_bytes(600, 6)).send().await.expect(204);
    assert_eq!(patch.offset(), 600);
    assert_eq!(as_method("HEAD").send().await.expect(200).offset(), 600);
    as_method("DELETE").send().await.expect(204);
    tus.head(&location)
        .send()
        .await
        .expect_error(404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_path_fails_at_creation_or_at_completion_without_leftovers() {
    let server = TestServer::start().await;
    let tus = Tus::new(&server);
    let data = test_bytes(100_000, 7);
    put_file(&server, "taken.bin", b"first").await;
    let taken = tus.create(data.len(), "taken.bin").send().await;
    taken.expect_error(409, "file_exists");

    // The path is taken while the upload is under way: the final PATCH fails, nothing is left.
    let location = tus.start(data.len(), "race.bin").await;
    tus.patch(&location, 0, &data[..50_000])
        .send()
        .await
        .expect(204);
    put_file(&server, "race.bin", b"the other writer won").await;
    let blobs = blob_files(&server);
    let last = tus.patch(&location, 50_000, &data[50_000..]).send().await;
    last.expect_error(409, "file_exists");
    let status = tus.status(&location).await;
    assert_eq!(status["state"], "failed");
    assert_eq!(status["error"], "file_exists");
    assert_eq!(status["file"], json!(null));
    let leftovers = partial_files(&server);
    assert!(leftovers.is_empty(), "orphan partial bytes: {leftovers:?}");
    assert_eq!(blob_files(&server), blobs, "no orphan blob");
    let retried = tus.patch(&location, 50_000, &data[50_000..]).send().await;
    retried.expect_error(409, "file_exists");
    // A client that lost the answer HEADs to resume; a full offset would tell it "complete".
    let head = tus.head(&location).send().await;
    assert_eq!(
        head.header("upload-offset"),
        None,
        "HEAD of a failed upload: {head:?}"
    );
    head.expect_error(409, "file_exists");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_taken_during_creation_with_upload_fails_the_creation() {
    let server = TestServer::start().await;
    let tus = Tus::new(&server);
    let data = test_bytes(100_000, 8);
    let (mut feed, body) = fed_body();
    let create = tus.create(data.len(), "race.bin").body(b"");
    let create = tokio::spawn(create.stream(body, Some(data.len() as u64)).send());
    feed.write_all(&data[..50_000]).await.expect("feed");
    wait_until("the upload to exist", || !partial_files(&server).is_empty()).await;

    put_file(&server, "race.bin", b"the other writer won").await;
    let blobs = blob_files(&server);
    feed.write_all(&data[50_000..]).await.expect("feed");
    drop(feed);
    let created = create.await.expect("POST");
    // A 201 here would tell the client its upload is complete although no File was stored.
    created.expect_error(409, "file_exists");
    let leftovers = partial_files(&server);
    assert!(leftovers.is_empty(), "orphan partial bytes: {leftovers:?}");
    assert_eq!(blob_files(&server), blobs, "no orphan blob");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_writer_waits_then_gets_locked_out_without_corruption() {
    let server = TestServer::start().await;
    let tus = Tus::new(&server);
    let data = test_bytes(MIB, 9);
    let location = tus.start(data.len(), "locked.bin").await;

    // The first PATCH streams half its body, then stalls while holding the upload.
    let (mut feed, body) = fed_body();
    let first = tus.patch(&location, 0, b"").stream(body, Some(MIB as u64));
    let first = tokio::spawn(first.send());
    feed.write_all(&data[..MIB / 2]).await.expect("feed");
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The first writer cannot finish while stalled, so the second must give up waiting.
    let second = tus.patch(&location, 0, &test_bytes(1000, 10)).send().await;
    second.expect_error(423, "upload_locked");

    feed.write_all(&data[MIB / 2..]).await.expect("feed");
    drop(feed);
    let first = first.await.expect("first PATCH").expect(204);
    let file_id = first
        .file_id()
        .expect("the first writer completes the upload");
    assert_stored(&server, &file_id, "locked.bin", &data).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_patch_without_checksum_keeps_what_arrived() {
    let server = TestServer::start().await;
    let tus = Tus::new(&server);
    let data = test_bytes(MIB, 11);
    let location = tus.start(data.len(), "cut.bin").await;
    let sent = 300_000;
    let answer = tus.patch(&location, 0, &data).send_cut(sent).await;

    let kept = tus.offset(&location).await;
    let why = format!("kept {kept} of {sent} sent; the cut PATCH got {answer:?}");
    assert!(kept > 0 && kept <= sent as u64, "{why}");
    let done = tus.upload_from(&location, &data, kept as usize, MIB).await;
    let file_id = done.file_id().expect("File id");
    assert_stored(&server, &file_id, "cut.bin", &data).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_patch_with_checksum_keeps_nothing() {
    let server = TestServer::start().await;
    let tus = Tus::new(&server);
    let data = test_bytes(MIB, 12);
    let location = tus.start(data.len(), "cut-sum.bin").await;
    let start = 100_000;
    let first = tus.patch(&location, 0, &data[..start]).checksum("sha256");
    first.send().await.expect(204);

    let cut = tus.patch(&location, start as u64, &data[start..]);
    let answer = cut.checksum("sha256").send_cut(400_000).await;
    let kept = tus.offset(&location).await;
    assert_eq!(kept, start as u64, "the cut PATCH got {answer:?}");
    let on_disk = std::fs::metadata(partial_path(&server, &location)).expect("partial");
    assert_eq!(on_disk.len(), start as u64, "no stray bytes on disk");
    let done = tus.upload_from(&location, &data, start, MIB).await;
    let file_id = done.file_id().expect("File id");
    assert_stored(&server, &file_id, "cut-sum.bin", &data).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_survives_a_server_restart() {
    let server = TestServer::start().await;
    let data = test_bytes(3 * MIB + 7, 9);
    let location = Tus::new(&server).start(data.len(), "restart.bin").await;
    Tus::new(&server)
        .patch(&location, 0, &data[..MIB])
        .send()
        .await
        .expect(204);

    // The new server has no in-memory state for the upload: it must find the offset in its
    // database and hash the bytes already on disk when the upload completes.
    let server = server.restart().await;
    let tus = Tus::new(&server);
    assert_eq!(tus.offset(&location).await, MIB as u64);
    let reply = tus.upload_from(&location, &data, MIB, MIB).await;
    let file_id = reply.file_id().expect("the last PATCH names the File");
    assert_stored(&server, &file_id, "restart.bin", &data).await;
}

#[tokio::test]
async fn location_keeps_the_public_url_path_prefix() {
    // A reverse proxy serves the API under /media/ and strips the prefix before it reaches us.
    let server = TestServer::start_with(|config| {
        let mut public = config.public_url.clone();
        public.set_path("/media/");
        config.public_url = public;
    })
    .await;
    let response = server
        .http()
        .post(server.url("/uploads"))
        .header("Authorization", server.bearer())
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "3")
        .header("Upload-Metadata", "bucket ZGVmYXVsdA==,path cC5iaW4=")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/media/uploads/up_"), "{location}");
}
