//! `GET /files/{id}`, `GET /files?bucket&prefix&cursor&limit`, `DELETE /files/{id}`.

use mediasaur_api::FileObject;
use mediasaur_e2e::api_client::{Api, BUCKET};
use mediasaur_e2e::TestServer;
use reqwest::Method;
use serde_json::{json, Value};

const TEXT: &[u8] = b"listed\n";

/// Follows `next_cursor` from `first` (a `/files?…` query without a cursor) to the end; returns every
/// file and the page sizes.
async fn list_all(api: &Api<'_>, first: &str) -> (Vec<FileObject>, Vec<usize>) {
    let (mut files, mut pages) = (Vec::new(), Vec::new());
    let mut query = first.to_owned();
    loop {
        let reply = api.send(api.key(Method::GET, &query)).await;
        let page: Value = reply.data(200);
        let batch: Vec<FileObject> =
            serde_json::from_value(page["files"].clone()).expect("File objects");
        pages.push(batch.len());
        files.extend(batch);
        let next_link = reply.json()["links"]["next"].as_str().map(str::to_owned);
        let Some(cursor) = page["next_cursor"].as_str() else {
            assert_eq!(next_link, None, "a next link without a cursor");
            return (files, pages);
        };
        let next_link = next_link.expect("a next link with the cursor");
        assert!(
            next_link.starts_with(&api.server.url("/files?")),
            "{next_link}"
        );
        // Alternate between the link and a hand-built query: both must work.
        query = if pages.len() % 2 == 1 {
            next_link.replacen(&api.server.url(""), "", 1)
        } else {
            format!("{first}&cursor={cursor}")
        };
    }
}

fn keys(files: &[FileObject]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|f| (f.bucket.clone(), f.path.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_page_through_every_file_once_in_order() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    api.create_bucket("other-bucket", false).await;
    // Uploaded out of order; listed in (bucket, path) order.
    let paths = [
        "beta/2.txt",
        "alpha/3.txt",
        "alpha/1.txt",
        "beta/1.txt",
        "alpha/4.txt",
        "beta/3.txt",
        "alpha/2.txt",
    ];
    let mut uploaded = Vec::new();
    for path in paths {
        uploaded.push(api.upload_with_key(BUCKET, path, TEXT).await);
    }
    uploaded.push(
        api.upload_with_key("other-bucket", "alpha/0.txt", TEXT)
            .await,
    );
    let mut expected = keys(&uploaded);
    expected.sort();

    let (files, pages) = list_all(&api, "/files?bucket=default&limit=3").await;
    assert_eq!(pages, [3, 3, 1]);
    assert_eq!(keys(&files), expected[..7]);
    for file in &files {
        assert!(uploaded.contains(file), "{file:?} differs from its upload");
    }
    let (files, pages) = list_all(&api, "/files?limit=3").await;
    assert_eq!((keys(&files), pages), (expected.clone(), vec![3, 3, 2]));

    let (files, _) = list_all(&api, "/files?bucket=default&prefix=alpha/&limit=3").await;
    let alpha: Vec<_> = expected[..4].to_vec();
    assert_eq!(keys(&files), alpha);
    let (files, _) = list_all(&api, "/files?prefix=alpha%2F&limit=2").await;
    assert_eq!(files.len(), 5, "{:?}", keys(&files));
    // Prefixes are literal: no wildcards, no case folding.
    for prefix in ["gamma/", "%25", "_", "alpha_", "ALPHA/", "alpha%2F%25"] {
        let (files, _) = list_all(&api, &format!("/files?bucket=default&prefix={prefix}")).await;
        assert_eq!(keys(&files), [], "prefix {prefix}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_listing_requests_are_refused() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    for (query, status, code) in [
        ("/files?cursor=garbage!!", 400, "invalid_request"),
        (
            "/files?cursor=eyJub3QiOiJhIGN1cnNvciJ9",
            400,
            "invalid_request",
        ),
        ("/files?limit=0", 400, "invalid_request"),
        ("/files?limit=1001", 400, "invalid_request"),
        ("/files?limit=-1", 400, "invalid_request"),
        ("/files?limit=abc", 400, "invalid_request"),
        ("/files?bucket=Files", 400, "invalid_bucket"),
    ] {
        let reply = api.send(api.key(Method::GET, query)).await;
        reply.expect_error_for(query, status, code);
    }
    let token = api.mint_token(BUCKET, "a.txt", json!({})).await;
    let by_token = api.send(api.auth(Method::GET, "/files", &token)).await;
    by_token.expect_error(403, "forbidden");
    let anonymous = api.send(api.req(Method::GET, "/files")).await;
    anonymous.expect_error(401, "unauthorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_is_read_by_id_with_a_key_only() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let file = api.upload_with_key(BUCKET, "by-id.txt", TEXT).await;
    assert_eq!(api.get_file(&file.id).await.file(200), file);
    let path = format!("/files/{}", file.id);
    let token = api.mint_token(BUCKET, "by-id.txt", json!({})).await;
    api.send(api.auth(Method::GET, &path, &token))
        .await
        .expect_error(403, "forbidden");
    api.send(api.req(Method::GET, &path))
        .await
        .expect_error(401, "unauthorized");
    for id in ["file_doesnotexist0000000", "x", "..%2F..%2Fmediasaur.db"] {
        api.get_file(id)
            .await
            .expect_error_for(id, 404, "not_found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_removes_the_record_and_the_bytes_and_frees_the_path() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let keep = api.upload_with_key(BUCKET, "keep.txt", TEXT).await;
    let file = api.upload_with_key(BUCKET, "doomed.txt", b"doomed").await;
    let before = api.snapshot().await;
    let path = format!("/files/{}", file.id);
    let token = api.mint_token(BUCKET, "doomed.txt", json!({})).await;
    api.send(api.auth(Method::DELETE, &path, &token))
        .await
        .expect_error(403, "forbidden");
    api.send(api.req(Method::DELETE, &path))
        .await
        .expect_error(401, "unauthorized");
    api.assert_unchanged(&before).await;

    let deleted = api.send(api.key(Method::DELETE, &path)).await.file(200);
    assert_eq!(deleted, file);
    api.get_file(&file.id).await.expect_error(404, "not_found");
    api.send(api.key(Method::GET, "/default/doomed.txt"))
        .await
        .expect_error(404, "not_found");
    let after = api.snapshot().await;
    assert_eq!(after.file_ids, vec![keep.id.clone()]);
    assert_eq!((after.blobs, after.temp), (before.blobs - 1, 0));
    api.send(api.key(Method::DELETE, &path))
        .await
        .expect_error(404, "not_found");

    let again = api.upload_with_key(BUCKET, "doomed.txt", b"reborn").await;
    assert_ne!(again.id, file.id);
    assert_eq!(api.get_file(&keep.id).await.file(200), keep);
}
