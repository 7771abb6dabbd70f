//! `POST /`: multipart uploads with an API key or a single-use token that succeed, and what they store.

use mediasaur_api::{FileKind, FileObject};
use mediasaur_e2e::api_client::{png, Api, Field, Reply, BUCKET};
use mediasaur_e2e::{sha256_hex, test_bytes, TestServer};
use reqwest::Method;
use serde_json::json;

const PATH: &str = "users/123/avatar.png";
const TEXT: &[u8] = b"hello, mediasaur\n";

/// Asserts the facts of `file` that do not depend on its type.
fn assert_stored(server: &TestServer, file: &FileObject, bucket: &str, path: &str, bytes: &[u8]) {
    let suffix = file.id.strip_prefix("file_").expect("a file_ id");
    assert!(suffix.len() >= 16 && suffix.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!((file.bucket.as_str(), file.path.as_str()), (bucket, path));
    assert_eq!(file.filesize, bytes.len() as u64);
    assert_eq!(file.sha256, sha256_hex(bytes));
    assert_eq!(file.created, file.updated);
    let age = chrono::Utc::now() - file.created;
    assert!(age.num_seconds().abs() < 60, "created {}", file.created);
    assert!(
        file.url.starts_with(&server.url(&format!("/{bucket}/"))),
        "{}",
        file.url
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_uploads_a_png_described_from_its_bytes() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let before = api.snapshot().await;
    let image = png(300, 200);
    let path = "images/pixel art.png";
    let fields = [
        Field::Text("bucket", BUCKET),
        Field::Text("path", path),
        Field::File(&image),
    ];
    let reply = api.upload(&server.api_key, &fields).await;
    let file = reply.file(201);
    assert_stored(&server, &file, BUCKET, path, &image);
    assert_eq!(
        (file.kind, file.mime_type.as_str()),
        (FileKind::Image, "image/png")
    );
    assert_eq!(
        (file.width, file.height, file.duration),
        (Some(300), Some(200), None)
    );
    assert_eq!(file.url, server.url("/default/images/pixel%20art.png"));
    let link = reply.json()["links"]["self"].clone();
    assert_eq!(link, json!(server.url(&format!("/files/{}", file.id))));
    assert_eq!(api.get_file(&file.id).await.file(200), file);

    let after = api.snapshot().await;
    assert_eq!(after.file_ids, vec![file.id.clone()]);
    assert_eq!((after.blobs, after.temp), (before.blobs + 1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_uploads_text_as_a_document() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let file = api.upload_with_key(BUCKET, "notes/readme.txt", TEXT).await;
    assert_stored(&server, &file, BUCKET, "notes/readme.txt", TEXT);
    assert_eq!(
        (file.kind, file.mime_type.as_str()),
        (FileKind::Document, "text/plain")
    );
    assert_eq!((file.width, file.height, file.duration), (None, None, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_uploads_exactly_once() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let token = api.mint_token(BUCKET, PATH, json!({})).await;
    let file = api.upload_with_token(&token, PATH, TEXT).await;
    assert_stored(&server, &file, BUCKET, PATH, TEXT);

    let before = api.snapshot().await;
    for fields in [
        vec![Field::Text("path", PATH), Field::File(b"again")],
        vec![
            Field::Text("bucket", BUCKET),
            Field::Text("path", PATH),
            Field::File(b"again"),
        ],
    ] {
        api.upload(&token, &fields)
            .await
            .expect_error(403, "token_used");
        api.assert_unchanged(&before).await;
    }
    // Naming the token's own bucket is allowed.
    let token = api.mint_token(BUCKET, "second.txt", json!({})).await;
    let fields = [
        Field::Text("bucket", BUCKET),
        Field::Text("path", "second.txt"),
        Field::File(TEXT),
    ];
    api.upload(&token, &fields).await.file(201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_are_stored_and_compared_in_nfc() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let file = api.upload_with_key(BUCKET, "cafe\u{301}.txt", TEXT).await;
    assert_eq!(file.path, "caf\u{e9}.txt");
    // Minted with a decomposed "é", uploaded with the composed one: the same NFC path.
    let token = api.mint_token(BUCKET, "cafe\u{301}/x.txt", json!({})).await;
    let file = api.upload_with_token(&token, "caf\u{e9}/x.txt", TEXT).await;
    assert_eq!(file.path, "caf\u{e9}/x.txt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn percent_sequences_in_a_form_path_are_literal_names() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    // Form fields are not URLs: `%2e%2e` is three literal characters twice, a legal segment.
    let file = api.upload_with_key(BUCKET, "%2e%2e/x", TEXT).await;
    assert_eq!(file.path, "%2e%2e/x");
    assert_eq!(file.url, server.url("/default/%252e%252e/x"));
    let download = api
        .send(api.key(Method::GET, "/default/%252e%252e/x"))
        .await;
    assert_eq!(
        (download.status.as_u16(), download.body.as_slice()),
        (200, TEXT)
    );
}

/// Multipart fields arrive in whatever order the client appended them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_fields_may_come_in_any_order() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let orders = [
        ["bucket", "path", "file"],
        ["bucket", "file", "path"],
        ["path", "bucket", "file"],
        ["path", "file", "bucket"],
        ["file", "bucket", "path"],
        ["file", "path", "bucket"],
    ];
    let mut refused = Vec::new();
    for order in orders {
        for credential in ["key", "token"] {
            let path = format!("order/{credential}/{}.txt", order.join("-"));
            let fields: Vec<Field<'_>> = order
                .iter()
                .map(|name| match *name {
                    "bucket" => Field::Text("bucket", BUCKET),
                    "path" => Field::Text("path", &path),
                    _ => Field::File(TEXT),
                })
                .collect();
            let credential = if credential == "key" {
                server.api_key.clone()
            } else {
                api.mint_token(BUCKET, &path, json!({})).await
            };
            let reply = api.upload(&credential, &fields).await;
            if reply.status == 201 {
                assert_eq!(reply.file(201).path, path);
            } else {
                refused.push(format!("{fields:?}: {reply}"));
            }
        }
    }
    assert!(refused.is_empty(), "refused:\n{}", refused.join("\n"));
}

/// A token that created a tus upload is spent: it cannot also upload through `POST /`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_spent_on_a_tus_upload_cannot_post() {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let token = api.mint_token(BUCKET, PATH, json!({})).await;
    let metadata = format!(
        "bucket {},path {}",
        STANDARD.encode(BUCKET),
        STANDARD.encode(PATH)
    );
    let create = api
        .auth(Method::POST, "/uploads", &token)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", TEXT.len())
        .header("upload-metadata", metadata);
    let created = api.send(create).await;
    assert_eq!(created.status, 201, "{created}");
    let before = api.snapshot().await;
    api.upload(&token, &[Field::Text("path", PATH), Field::File(TEXT)])
        .await
        .expect_error(403, "token_used");
    api.assert_unchanged(&before).await;
}

/// Four uploads of different bytes to `path` at once, with `credential` and `bucket` (if any).
async fn race(api: &Api<'_>, credential: &str, bucket: Option<&str>, path: &str) -> [Reply; 4] {
    let bodies: Vec<Vec<u8>> = (0..4).map(|seed| test_bytes(200_000, seed)).collect();
    let one = |i: usize| {
        let mut fields = vec![Field::Text("path", path), Field::File(&bodies[i])];
        if let Some(bucket) = bucket {
            fields.insert(0, Field::Text("bucket", bucket));
        }
        async move { api.upload(credential, &fields).await }
    };
    let (a, b, c, d) = tokio::join!(one(0), one(1), one(2), one(3));
    [a, b, c, d]
}

/// Asserts that exactly one of `replies` stored a file and the rest failed with `status` and `code`.
fn assert_one_winner(replies: &[Reply], status: u16, code: &str) {
    let winners = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(winners, 1, "{replies:?}");
    for loser in replies.iter().filter(|r| r.status != 201) {
        loser.expect_error(status, code);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_uploads_store_one_file() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    let replies = race(&api, &server.api_key, Some(BUCKET), "race/key.bin").await;
    assert_one_winner(&replies, 409, "file_exists");
    let snapshot = api.snapshot().await;
    assert_eq!(
        (snapshot.file_ids.len(), snapshot.blobs, snapshot.temp),
        (1, 1, 0)
    );

    let token = api.mint_token(BUCKET, "race/token.bin", json!({})).await;
    let replies = race(&api, &token, None, "race/token.bin").await;
    assert_one_winner(&replies, 403, "token_used");
    let snapshot = api.snapshot().await;
    assert_eq!(
        (snapshot.file_ids.len(), snapshot.blobs, snapshot.temp),
        (2, 2, 0)
    );
}

/// Every file and directory name under `dir`, recursively.
fn names_under(dir: &std::path::Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read a dir") {
        let path = entry.expect("a dir entry").path();
        names.push(
            path.file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned(),
        );
        if path.is_dir() {
            names.extend(names_under(&path));
        }
    }
    names
}

/// Blobs live under ids the server made up, never under a name built from the client's path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_bytes_are_named_by_the_server_not_the_client() {
    let server = TestServer::start().await;
    let api = Api::new(&server);
    for path in [
        "zebra-unique/quagga-unique.txt",
        "%2e%2e/okapi-unique",
        "tapir-unique",
    ] {
        api.upload_with_key(BUCKET, path, TEXT).await;
    }
    let names = names_under(server.data_dir.path());
    let leaked: Vec<_> = names
        .iter()
        .filter(|name| name.contains("-unique") || name.contains('%'))
        .collect();
    assert!(leaked.is_empty(), "client names on disk: {leaked:?}");
}
