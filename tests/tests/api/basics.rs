//! Liveness, routing errors, CORS, and secrets at rest.

use mediasaur_api::signed_url::SignedMethod;
use mediasaur_e2e::api_client::{now, Api, Field, BUCKET};
use mediasaur_e2e::TestServer;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_without_credentials() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let reply = api.send(api.req(Method::GET, "/healthz")).await;
    let data: Value = reply.data(200);
    assert_eq!(data["status"], "ok");
    assert!(reply
        .header("x-request-id")
        .is_some_and(|id| !id.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_wrong_methods_get_coded_envelopes() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    for (method, path) in [(Method::GET, "/nope"), (Method::POST, "/nope")] {
        let reply = api.send(api.key(method.clone(), path)).await;
        reply.expect_error_for((method, path), 404, "not_found");
    }
    for (method, path, allowed) in [
        (Method::DELETE, "/healthz", "GET"),
        (Method::GET, "/token", "POST"),
        (Method::PUT, "/signatures", "POST"),
        (Method::GET, "/", "POST"),
        (Method::PATCH, "/files", "GET"),
        (Method::POST, "/files/file_x", "DELETE"),
        (Method::POST, "/default/a.txt", "PUT"),
    ] {
        let reply = api.send(api.key(method.clone(), path)).await;
        reply.expect_error_for((&method, path), 405, "method_not_allowed");
        // RFC 9110 §15.5.6: a 405 response MUST carry `Allow`.
        let allow = reply.header("allow").unwrap_or_default();
        assert!(allow.contains(allowed), "{method} {path}: Allow: {allow:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_preflights_allow_browser_uploads() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    for (path, method, headers) in [
        ("/", "POST", "authorization"),
        ("/", "POST", "authorization, content-type"),
        ("/default/a.png", "PUT", "content-type"),
        ("/files", "GET", "authorization"),
    ] {
        let reply = api
            .send(
                api.req(Method::OPTIONS, path)
                    .header("origin", "http://example.com")
                    .header("access-control-request-method", method)
                    .header("access-control-request-headers", headers),
            )
            .await;
        assert!(reply.status.is_success(), "{path} {method}: {reply}");
        let origin = reply.header("access-control-allow-origin");
        assert!(
            matches!(origin, Some("*" | "http://example.com")),
            "{origin:?}"
        );
        let methods = reply
            .header("access-control-allow-methods")
            .unwrap_or_default();
        assert!(methods.to_ascii_uppercase().contains(method), "{methods}");
        let allowed = reply
            .header("access-control-allow-headers")
            .unwrap_or_default()
            .to_ascii_lowercase();
        for header in headers.split(", ") {
            assert!(
                allowed == "*" || allowed.contains(header),
                "{path} {method}: {header} not in {allowed:?}"
            );
        }
    }
}

fn assert_exposes_file_headers(reply: &mediasaur_e2e::api_client::Reply) {
    assert!(
        reply.header("access-control-allow-origin").is_some(),
        "{reply}"
    );
    let exposed = reply
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for header in ["mediasaur-file-id", "location"] {
        assert!(exposed.contains(header), "{header} not in {exposed:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_responses_expose_the_headers_clients_read() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let origin = "http://example.com";
    let health = api
        .send(api.req(Method::GET, "/healthz").header("origin", origin))
        .await;
    assert_exposes_file_headers(&health);
    // The seeds' frontend flow: a browser uploads with a token.
    let token = api.mint_token(BUCKET, "cors.txt", json!({})).await;
    let form = reqwest::multipart::Form::new()
        .text("path", "cors.txt")
        .part("file", reqwest::multipart::Part::bytes(b"hi".to_vec()));
    let upload = api
        .send(
            api.auth(Method::POST, "/", &token)
                .header("origin", origin)
                .multipart(form),
        )
        .await;
    upload.file(201);
    assert_exposes_file_headers(&upload);
    let refused = api
        .send(api.req(Method::GET, "/files").header("origin", origin))
        .await;
    refused.expect_error(401, "unauthorized");
    assert_exposes_file_headers(&refused);
}

/// Exercises every kind of request that handles the key, then reads every file of the data dir raw
/// (the database, its WAL and shared memory, blobs): the server keeps only a hash of each key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_are_never_stored() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let (_, second_key) = mediasaur_server::keys::create(server.state.db(), "second", false)
        .await
        .expect("create a key");
    let token = api.mint_token(BUCKET, "a/token.txt", json!({})).await;
    api.upload_with_token(&token, "a/token.txt", b"token upload")
        .await;
    let file = api
        .upload_with_key(BUCKET, "a/key.txt", b"key upload")
        .await;
    let signed = api.sign(SignedMethod::Put, BUCKET, "a/signed.txt", now() + 60, &[]);
    api.put_url(&signed, b"signed upload").await.file(201);
    let by_second_key = api
        .send(
            api.auth(Method::PUT, "/default/a/second.txt", &second_key)
                .body("second key"),
        )
        .await;
    by_second_key.file(201);
    let listed: Value = api.send(api.key(Method::GET, "/files")).await.data(200);
    assert_eq!(listed["files"].as_array().map(Vec::len), Some(4));
    api.send(api.key(Method::DELETE, &format!("/files/{}", file.id)))
        .await
        .file(200);
    let bad = api
        .upload(&format!("{}x", server.api_key), &[Field::File(b"x")])
        .await;
    bad.expect_error(401, "unauthorized");

    let dir = server.data_dir.path();
    assert!(dir.join("mediasaur.db").is_file());
    let scanned = scan_for(dir, &[&server.api_key, &second_key]);
    assert!(scanned >= 2, "scanned {scanned} files");
}

/// Fails if any file under `dir` contains one of `needles`; returns how many files were read.
fn scan_for(dir: &std::path::Path, needles: &[&str]) -> usize {
    let mut scanned = 0;
    for entry in std::fs::read_dir(dir).expect("read data dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            scanned += scan_for(&path, needles);
            continue;
        }
        let bytes = std::fs::read(&path).expect("read file");
        for needle in needles {
            let found = bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
            assert!(!found, "{} holds an API key in the clear", path.display());
        }
        scanned += 1;
    }
    scanned
}
