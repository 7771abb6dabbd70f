//! `GET /{bucket}/{path}`: who may download, and how files are served (exact bytes, ranges, types that
//! can run script as attachments).

use mediasaur_api::signed_url::SignedMethod;
use mediasaur_e2e::api_client::{now, png, Api, Reply, BUCKET};
use mediasaur_e2e::TestServer;
use reqwest::Method;
use serde_json::{json, Value};

const TEXT: &[u8] = b"private words\n";

/// Asserts a 200 download of exactly `bytes` typed `mime`, never sniffable, inline or attachment.
fn assert_served(reply: &Reply, bytes: &[u8], mime: &str, disposition: &str) {
    assert_eq!(reply.status, 200, "{reply}");
    assert!(reply.body == bytes, "the body differs from the upload");
    assert_eq!(reply.header("content-type"), Some(mime));
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    let value = reply.header("content-disposition").unwrap_or_default();
    assert!(
        value.starts_with(disposition),
        "Content-Disposition: {value}"
    );
    let etag = format!("\"{}\"", mediasaur_e2e::sha256_hex(bytes));
    assert_eq!(reply.header("etag"), Some(etag.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_bucket_serves_only_signed_or_keyed_requests() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    api.upload_with_key(BUCKET, "secret.txt", TEXT).await;
    let token = api.mint_token(BUCKET, "secret.txt", json!({})).await;
    let anonymous = api.get_url(&server.url("/default/secret.txt")).await;
    anonymous.expect_error(403, "forbidden");
    let by_token = api
        .send(api.auth(Method::GET, "/default/secret.txt", &token))
        .await;
    by_token.expect_error(403, "forbidden");
    // Whether a path exists is not revealed without access.
    let missing = api.get_url(&server.url("/default/missing.txt")).await;
    missing.expect_error(403, "forbidden");
    let by_key = api.send(api.key(Method::GET, "/default/secret.txt")).await;
    assert_served(&by_key, TEXT, "text/plain", "inline");
    let unknown_bucket = api.get_url(&server.url("/nosuch-bucket/a.txt")).await;
    unknown_bucket.expect_error(404, "not_found");
    let signed = api.sign(SignedMethod::Get, BUCKET, "missing.txt", now() + 60, &[]);
    api.get_url(&signed).await.expect_error(404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_get_streams_the_exact_bytes() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let image = png(300, 200);
    api.upload_with_key(BUCKET, "images/a.png", &image).await;
    let body = json!({ "bucket": BUCKET, "path": "images/a.png", "method": "get" });
    let signed: Value = api
        .send(api.key(Method::POST, "/signatures").json(&body))
        .await
        .data(201);
    let by_server = signed["url"].as_str().expect("url").to_owned();
    let by_client = api.sign(SignedMethod::Get, BUCKET, "images/a.png", now() + 60, &[]);
    for url in [&by_server, &by_client] {
        let reply = api.get_url(url).await;
        assert_served(&reply, &image, "image/png", "inline");
        assert_eq!(
            reply.header("content-length"),
            Some(image.len().to_string().as_str())
        );

        let range = api
            .send(reqwest::Client::new().get(url).header("range", "bytes=2-5"))
            .await;
        assert_eq!(range.status, 206, "{range}");
        assert_eq!(range.body, &image[2..6]);
        let content_range = format!("bytes 2-5/{}", image.len());
        assert_eq!(range.header("content-range"), Some(content_range.as_str()));
        assert_eq!(range.header("x-content-type-options"), Some("nosniff"));

        let suffix = api
            .send(reqwest::Client::new().get(url).header("range", "bytes=-4"))
            .await;
        assert_eq!(
            (suffix.status.as_u16(), suffix.body.as_slice()),
            (206, &image[image.len() - 4..])
        );
        let beyond = api
            .send(
                reqwest::Client::new()
                    .get(url)
                    .header("range", "bytes=999999-"),
            )
            .await;
        assert_eq!(beyond.status, 416, "{beyond}");
        let unsatisfiable = format!("bytes */{}", image.len());
        assert_eq!(beyond.header("content-range"), Some(unsatisfiable.as_str()));

        let etag = format!("\"{}\"", mediasaur_e2e::sha256_hex(&image));
        let cached = api
            .send(
                reqwest::Client::new()
                    .get(url)
                    .header("if-none-match", &etag),
            )
            .await;
        assert_eq!((cached.status.as_u16(), cached.body.len()), (304, 0));

        let head = api.send(reqwest::Client::new().head(url)).await;
        assert_eq!((head.status.as_u16(), head.body.len()), (200, 0));
        assert_eq!(head.header("content-type"), Some("image/png"));
    }
    let put_signed = api.sign(SignedMethod::Put, BUCKET, "images/a.png", now() + 60, &[]);
    api.get_url(&put_signed)
        .await
        .expect_error(403, "signature_invalid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn types_that_can_run_script_are_served_as_attachments() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let html: &[u8] = b"<!doctype html><script>alert(document.domain)</script>";
    let svg: &[u8] = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let image = png(300, 200);
    let xml: &[u8] = b"<?xml version=\"1.0\"?><note>hi</note>";
    let xhtml: &[u8] = b"<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\">";
    let pdf: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let cases: [(&str, &[u8], &str, &str); 9] = [
        ("x/page.html", html, "text/html", "attachment"),
        ("x/logo.svg", svg, "image/svg+xml", "attachment"),
        // The name does not matter, the bytes do.
        ("x/disguised.png", svg, "image/svg+xml", "attachment"),
        ("x/readme.txt", html, "text/html", "attachment"),
        ("x/note.xml", xml, "application/xml", "attachment"),
        ("x/page.xhtml", xhtml, "application/xhtml+xml", "attachment"),
        ("x/doc.pdf", pdf, "application/pdf", "attachment"),
        ("x/pic.png", &image, "image/png", "inline"),
        ("x/notes.txt", TEXT, "text/plain", "inline"),
    ];
    for (path, bytes, mime, disposition) in cases {
        let file = api.upload_with_key(BUCKET, path, bytes).await;
        assert_eq!(file.mime_type, mime, "{path}");
        let url = api.sign(SignedMethod::Get, BUCKET, path, now() + 60, &[]);
        assert_served(&api.get_url(&url).await, bytes, mime, disposition);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_bucket_serves_without_a_signature() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    api.create_bucket("pub-bucket", true).await;
    let file = api.upload_with_key("pub-bucket", "hello.txt", TEXT).await;
    assert_eq!(file.url, server.url("/pub-bucket/hello.txt"));
    assert_served(&api.get_url(&file.url).await, TEXT, "text/plain", "inline");
    api.get_url(&server.url("/pub-bucket/missing.txt"))
        .await
        .expect_error(404, "not_found");
    // Public means readable, not writable.
    let before = api.snapshot().await;
    api.put_url(&server.url("/pub-bucket/new.txt"), TEXT)
        .await
        .expect_error(401, "unauthorized");
    api.assert_unchanged(&before).await;
}
