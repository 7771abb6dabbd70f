//! `POST /`: multipart uploads that must be refused (wrong token scope, limits, malformed forms,
//! traversal, conflicts, broken-off bodies), each leaving no trace and no spent token.

use mediasaur_e2e::api_client::{Api, Field, BUCKET};
use mediasaur_e2e::{test_bytes, TestServer};
use reqwest::Method;
use serde_json::json;

const PATH: &str = "users/123/avatar.png";
const TEXT: &[u8] = b"hello, mediasaur\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_for_another_path_or_bucket_is_refused_and_kept() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    api.create_bucket("other-bucket", false).await;
    let token = api.mint_token(BUCKET, PATH, json!({})).await;
    let before = api.snapshot().await;
    let cases = [
        vec![
            Field::Text("path", "users/123/other.png"),
            Field::File(TEXT),
        ],
        vec![
            Field::File(TEXT),
            Field::Text("path", "users/123/other.png"),
        ],
        vec![Field::Text("path", "users/123"), Field::File(TEXT)],
        vec![
            Field::Text("bucket", "other-bucket"),
            Field::Text("path", PATH),
            Field::File(TEXT),
        ],
        vec![
            Field::File(TEXT),
            Field::Text("path", PATH),
            Field::Text("bucket", "other-bucket"),
        ],
    ];
    for fields in &cases {
        let reply = api.upload(&token, fields).await;
        reply.expect_error_for(fields, 403, "path_mismatch");
        api.assert_unchanged(&before).await;
    }
    api.assert_token_usable(&token, PATH).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_byte_limit_is_enforced_and_a_refused_upload_keeps_the_token() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let token = api
        .mint_token(BUCKET, PATH, json!({ "max_size": 100 }))
        .await;
    let before = api.snapshot().await;
    let big = test_bytes(101, 1);
    api.upload(&token, &[Field::Text("path", PATH), Field::File(&big)])
        .await
        .expect_error(413, "file_too_large");
    api.assert_unchanged(&before).await;
    let fits = test_bytes(100, 1);
    let file = api.upload_with_token(&token, PATH, &fits).await;
    assert_eq!(file.filesize, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_size_limit_is_enforced() {
    let server = TestServer::start_with(|config| config.max_file_size = 1000).await;
    let api = Api::new(&server);
    // A token's own limit cannot raise the server's.
    let token = api
        .mint_token(BUCKET, PATH, json!({ "max_size": 5000 }))
        .await;
    let before = api.snapshot().await;
    let big = test_bytes(1001, 2);
    let by_key = [
        Field::Text("bucket", BUCKET),
        Field::Text("path", "big.bin"),
        Field::File(&big),
    ];
    api.upload(&server.api_key, &by_key)
        .await
        .expect_error(413, "file_too_large");
    api.assert_unchanged(&before).await;
    api.upload(&token, &[Field::Text("path", PATH), Field::File(&big)])
        .await
        .expect_error(413, "file_too_large");
    api.assert_unchanged(&before).await;
    let fits = test_bytes(1000, 2);
    assert_eq!(
        api.upload_with_key(BUCKET, "fits.bin", &fits)
            .await
            .filesize,
        1000
    );
    api.assert_token_usable(&token, PATH).await;
}

/// The seed: `path` is required, and with a token it must equal the token's; leaving it out is an
/// invalid path as it is with a key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_upload_must_name_its_path() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let token = api.mint_token(BUCKET, PATH, json!({})).await;
    let before = api.snapshot().await;
    for fields in [
        vec![Field::File(TEXT)],
        vec![Field::Text("bucket", BUCKET), Field::File(TEXT)],
    ] {
        let reply = api.upload(&token, &fields).await;
        reply.expect_error_for(&fields, 400, "invalid_path");
        api.assert_unchanged(&before).await;
    }
    api.assert_token_usable(&token, PATH).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_forms_are_refused_without_a_trace() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let token = api.mint_token(BUCKET, PATH, json!({})).await;
    let before = api.snapshot().await;
    let key = server.api_key.as_str();
    let cases: Vec<(&str, Vec<Field<'_>>, u16, &str)> = vec![
        (
            key,
            vec![Field::Text("bucket", BUCKET), Field::Text("path", "a.txt")],
            400,
            "invalid_request",
        ),
        (
            key,
            vec![Field::Text("bucket", BUCKET), Field::File(TEXT)],
            400,
            "invalid_path",
        ),
        (
            key,
            vec![
                Field::Text("bucket", BUCKET),
                Field::Text("path", "a.txt"),
                Field::File(TEXT),
                Field::File(TEXT),
            ],
            400,
            "invalid_request",
        ),
        (
            key,
            vec![Field::Text("path", "a.txt"), Field::File(TEXT)],
            400,
            "bucket_required",
        ),
        (
            key,
            vec![Field::File(TEXT), Field::Text("path", "a.txt")],
            400,
            "bucket_required",
        ),
        (
            key,
            vec![
                Field::Text("bucket", ""),
                Field::Text("path", "a.txt"),
                Field::File(TEXT),
            ],
            400,
            "bucket_required",
        ),
        (
            key,
            vec![
                Field::Text("bucket", "Files"),
                Field::Text("path", "a.txt"),
                Field::File(TEXT),
            ],
            400,
            "invalid_bucket",
        ),
        (
            key,
            vec![
                Field::Text("bucket", "nosuch-bucket"),
                Field::Text("path", "a.txt"),
                Field::File(TEXT),
            ],
            404,
            "not_found",
        ),
        (
            key,
            vec![
                Field::File(TEXT),
                Field::Text("bucket", "nosuch-bucket"),
                Field::Text("path", "a.txt"),
            ],
            404,
            "not_found",
        ),
        (
            &token,
            vec![Field::Text("path", PATH)],
            400,
            "invalid_request",
        ),
    ];
    for (credential, fields, status, code) in &cases {
        let reply = api.upload(credential, fields).await;
        reply.expect_error_for(fields, *status, code);
        api.assert_unchanged(&before).await;
    }
    let not_multipart = api
        .auth(Method::POST, "/", &token)
        .json(&json!({ "path": PATH, "file": "aGk=" }));
    api.send(not_multipart)
        .await
        .expect_error(400, "invalid_request");
    api.assert_unchanged(&before).await;
    api.assert_token_usable(&token, PATH).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traversal_and_malformed_paths_are_refused() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let before = api.snapshot().await;
    let too_long = "a".repeat(1025);
    let paths = [
        "../../etc/passwd",
        "a/../../b",
        "../x",
        "..",
        "/abs",
        "/etc/passwd",
        "a//b",
        "a/./b",
        "a/",
        "a\\b",
        "..\\..\\x",
        "a\0b",
        "a\nb",
        "",
        &too_long,
    ];
    for path in paths {
        for file_first in [false, true] {
            let mut fields = vec![Field::Text("bucket", BUCKET), Field::Text("path", path)];
            let file = Field::File(TEXT);
            if file_first {
                fields.insert(0, file);
            } else {
                fields.push(file);
            }
            let reply = api.upload(&server.api_key, &fields).await;
            reply.expect_error_for((path, file_first), 400, "invalid_path");
            api.assert_unchanged(&before).await;
        }
    }
    // A token cannot be minted for such a path, and a token cannot be steered to one.
    let token = api.mint_token(BUCKET, "a/b.txt", json!({})).await;
    for path in ["../a/b.txt", "a/../a/b.txt", "a/./b.txt", "a\\b.txt"] {
        let reply = api
            .upload(&token, &[Field::Text("path", path), Field::File(TEXT)])
            .await;
        reply.expect_error_for(path, 400, "invalid_path");
        api.assert_unchanged(&before).await;
    }
    api.assert_token_usable(&token, "a/b.txt").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_path_is_a_conflict() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let first = api.upload_with_key(BUCKET, PATH, TEXT).await;
    let token = api.mint_token(BUCKET, PATH, json!({})).await;
    let before = api.snapshot().await;
    let cases = [
        (
            server.api_key.as_str(),
            vec![
                Field::Text("bucket", BUCKET),
                Field::Text("path", PATH),
                Field::File(b"2"),
            ],
        ),
        (
            server.api_key.as_str(),
            vec![
                Field::File(b"2"),
                Field::Text("bucket", BUCKET),
                Field::Text("path", PATH),
            ],
        ),
        (
            token.as_str(),
            vec![Field::Text("path", PATH), Field::File(b"2")],
        ),
        (
            token.as_str(),
            vec![Field::File(b"2"), Field::Text("path", PATH)],
        ),
    ];
    for (credential, fields) in &cases {
        let reply = api.upload(credential, fields).await;
        reply.expect_error_for(fields, 409, "file_exists");
        api.assert_unchanged(&before).await;
    }
    assert_eq!(api.get_file(&first.id).await.file(200), first);
    // The conflict did not spend the token: once the path is free it uploads.
    let path = format!("/files/{}", first.id);
    api.send(api.key(Method::DELETE, &path)).await.file(200);
    api.assert_token_usable(&token, PATH).await;
}

/// The head and body of a multipart request with a `path` field and a `file` field of `content`,
/// without the closing boundary, and headers declaring a megabyte more than that.
fn cut_form(path: &str, content: &[u8]) -> (Vec<String>, Vec<u8>) {
    let boundary = "mediasaur-boundary-7f3a";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n{path}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    let headers = vec![
        format!("Content-Type: multipart/form-data; boundary={boundary}"),
        format!("Content-Length: {}", body.len() + 1_000_000),
    ];
    (headers, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_off_mid_file_leaves_nothing_and_keeps_the_token() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let token = api.mint_token(BUCKET, PATH, json!({})).await;
    let before = api.snapshot().await;
    let (headers, body) = cut_form(PATH, &test_bytes(256 * 1024, 6));
    let mut headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let auth = format!("Authorization: Bearer {token}");
    headers.push(&auth);
    if let Some(reply) = api.raw_cut("POST / HTTP/1.1", &headers, &body).await {
        assert_ne!(reply.status, 201, "{reply}");
    }
    api.await_unchanged(&before).await;
    api.assert_token_usable(&token, PATH).await;
}
