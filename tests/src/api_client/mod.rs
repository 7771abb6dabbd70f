//! Helpers for the end-to-end tests of the non-tus endpoints: one request runner that reads every
//! response whole and checks it for leaked secrets, envelope assertions, multipart uploads, local URL
//! signing, raw HTTP for the requests `reqwest` would normalize, and a snapshot of what the server
//! holds, to prove that a failed request left nothing behind.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use crate::TestServer;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use mediasaur_api::signed_url::{sign_url, SignedMethod, UrlSigningKey};
use mediasaur_api::{BucketName, Envelope, FileObject, ObjectPath};
use reqwest::header::{HeaderMap, AUTHORIZATION};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

mod png;
mod raw;

pub use png::png;

/// The bucket every data dir starts with (private).
pub const BUCKET: &str = "default";

/// Unix seconds now.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// One response, read whole.
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = String::from_utf8_lossy(&self.body);
        let cut = body.char_indices().nth(2000).map_or(body.len(), |(i, _)| i);
        write!(f, "HTTP {} {}", self.status, &body[..cut])
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Reply {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self}"))
    }

    /// Asserts `status` and a success envelope, and returns its `data`.
    pub fn data<T: DeserializeOwned>(&self, status: u16) -> T {
        assert_eq!(self.status.as_u16(), status, "{self}");
        let envelope: Envelope<T> = serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not an envelope of the expected data ({e}): {self}"));
        assert!(envelope.error.is_none(), "{self}");
        self.assert_envelope_headers(&envelope.meta.request_id);
        envelope.data.unwrap_or_else(|| panic!("no data: {self}"))
    }

    /// JSON content type, and the `X-Request-Id` header (when sent) equal to `meta.request_id`.
    fn assert_envelope_headers(&self, request_id: &str) {
        assert!(!request_id.is_empty(), "{self}");
        let content_type = self.header("content-type").unwrap_or_default();
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}: {self}"
        );
        if let Some(header) = self.header("x-request-id") {
            assert_eq!(header, request_id, "{self}");
        }
    }

    /// Asserts `status` and a success envelope holding a File object.
    pub fn file(&self, status: u16) -> FileObject {
        self.data(status)
    }

    /// Asserts an error envelope with `status` and `code`, and `data: null`.
    pub fn expect_error(&self, status: u16, code: &str) {
        self.expect_error_for("", status, code);
    }

    /// [`Reply::expect_error`], naming the `input` that was sent in the failure message.
    pub fn expect_error_for(&self, input: impl fmt::Debug, status: u16, code: &str) {
        let body = serde_json::from_slice::<Value>(&self.body).unwrap_or_default();
        let got = (self.status.as_u16(), body["error"]["code"].as_str());
        assert_eq!(got, (status, Some(code)), "input {input:?}: {self}");
        assert_eq!(body["error"]["status"], json!(status), "{self}");
        assert!(body["data"].is_null(), "{self}");
        let message = body["error"]["message"].as_str();
        assert!(message.is_some_and(|m| !m.is_empty()), "{self}");
        self.assert_envelope_headers(body["meta"]["request_id"].as_str().unwrap_or_default());
    }
}

/// One multipart form field, in the order it is sent.
#[derive(Clone, Copy)]
pub enum Field<'a> {
    /// A text field.
    Text(&'a str, &'a str),
    /// The `file` field. It claims to be `claimed.html` of type `text/html`, so every upload also
    /// checks that the server derives the type from the bytes, not from the client's claims.
    File(&'a [u8]),
}

impl fmt::Debug for Field<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(name, value) => write!(f, "{name}={value:?}"),
            Self::File(bytes) => write!(f, "file=<{} bytes>", bytes.len()),
        }
    }
}

/// What the server holds: File objects (by id), blobs, temp files and partial tus uploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Ids of every File object, in listing order.
    pub file_ids: Vec<String>,
    /// Files under `data_dir/blobs`.
    pub blobs: usize,
    /// Files under `data_dir/tmp`.
    pub temp: usize,
    /// Files under `data_dir/uploads`.
    pub partial: usize,
}

/// Regular files under `dir`, recursively; 0 when `dir` does not exist.
pub fn count_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .map(|entry| entry.expect("read dir entry").path())
        .map(|path| if path.is_dir() { count_files(&path) } else { 1 })
        .sum()
}

/// Talks to one [`TestServer`]. Every response passes through [`Api::send`] or [`Api::raw`], which
/// fail the test if a secret (the API key, the token-signing secret, the URL-signing key) appears in
/// its headers or body.
#[derive(Debug)]
pub struct Api<'s> {
    /// The server.
    pub server: &'s TestServer,
    http: reqwest::Client,
    secrets: Vec<String>,
}

impl<'s> Api<'s> {
    /// A client for `server`.
    pub fn new(server: &'s TestServer) -> Self {
        let signing_key = UrlSigningKey::derive(&server.api_key);
        let mut secrets = vec![server.api_key.clone()];
        for bytes in [server.state.token_secret(), signing_key.as_bytes()] {
            secrets.push(hex::encode(bytes));
            secrets.push(URL_SAFE_NO_PAD.encode(bytes));
            secrets.push(STANDARD.encode(bytes));
        }
        Self {
            server,
            http: server.http(),
            secrets,
        }
    }

    /// A request to `path_and_query` without credentials.
    pub fn req(&self, method: Method, path_and_query: &str) -> RequestBuilder {
        self.http.request(method, self.server.url(path_and_query))
    }

    /// A request to `path_and_query` with `Authorization: Bearer <credential>`.
    pub fn auth(&self, method: Method, path_and_query: &str, credential: &str) -> RequestBuilder {
        self.req(method, path_and_query)
            .header(AUTHORIZATION, format!("Bearer {credential}"))
    }

    /// A request to `path_and_query` with the API key.
    pub fn key(&self, method: Method, path_and_query: &str) -> RequestBuilder {
        self.auth(method, path_and_query, &self.server.api_key)
    }

    /// Sends `request`, reads the whole response and checks it for secrets.
    pub async fn send(&self, request: RequestBuilder) -> Reply {
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("the body arrives").to_vec();
        let reply = Reply {
            status,
            headers,
            body,
        };
        self.assert_no_secrets(&reply);
        reply
    }

    fn assert_no_secrets(&self, reply: &Reply) {
        let mut text = String::from_utf8_lossy(&reply.body).into_owned();
        for (name, value) in &reply.headers {
            text.push_str(&format!(
                "\n{name}: {}",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        for secret in &self.secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a response leaked a secret"
            );
        }
    }

    /// Polls until the server holds exactly what it held at `before`, for up to 5 s: work that a
    /// broken-off request started may finish after the client is gone.
    pub async fn await_unchanged(&self, before: &Snapshot) {
        for _ in 0..50 {
            if &self.snapshot().await == before {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.assert_unchanged(before).await;
    }

    /// `POST /token` with the key for `bucket`/`path` plus `extra` fields; returns the token.
    pub async fn mint_token(&self, bucket: &str, path: &str, extra: Value) -> String {
        let mut body = json!({ "bucket": bucket, "path": path });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let reply = self
            .send(self.key(Method::POST, "/token").json(&body))
            .await;
        let data: Value = reply.data(201);
        data["token"].as_str().expect("a token").to_owned()
    }

    /// `POST /` with `fields` in order, authorized by `credential` (a key or a token).
    pub async fn upload(&self, credential: &str, fields: &[Field<'_>]) -> Reply {
        self.upload_as(Some(&format!("Bearer {credential}")), fields)
            .await
    }

    /// `POST /` with `fields` in order and this exact `Authorization` header, or none.
    pub async fn upload_as(&self, authorization: Option<&str>, fields: &[Field<'_>]) -> Reply {
        let form = fields.iter().fold(Form::new(), |form, field| match *field {
            Field::Text(name, value) => form.text(name.to_owned(), value.to_owned()),
            Field::File(bytes) => form.part(
                "file",
                Part::bytes(bytes.to_vec())
                    .file_name("claimed.html")
                    .mime_str("text/html")
                    .expect("a valid MIME type"),
            ),
        });
        let mut request = self.req(Method::POST, "/").multipart(form);
        if let Some(value) = authorization {
            request = request.header(AUTHORIZATION, value);
        }
        self.send(request).await
    }

    /// Uploads `bytes` to `bucket`/`path` with the API key and returns the File object (201).
    pub async fn upload_with_key(&self, bucket: &str, path: &str, bytes: &[u8]) -> FileObject {
        let fields = [
            Field::Text("bucket", bucket),
            Field::Text("path", path),
            Field::File(bytes),
        ];
        self.upload(&self.server.api_key, &fields).await.file(201)
    }

    /// Uploads `bytes` with `token` to `path` (no bucket field) and returns the File object (201).
    pub async fn upload_with_token(&self, token: &str, path: &str, bytes: &[u8]) -> FileObject {
        let fields = [Field::Text("path", path), Field::File(bytes)];
        self.upload(token, &fields).await.file(201)
    }

    /// `PUT` of `body` to an absolute `url` without credentials.
    pub async fn put_url(&self, url: &str, body: &[u8]) -> Reply {
        self.send(self.http.put(url).body(body.to_vec())).await
    }

    /// `GET` of an absolute `url` without credentials.
    pub async fn get_url(&self, url: &str) -> Reply {
        self.send(self.http.get(url)).await
    }

    /// A URL signed locally with the test's API key for the server's public URL, the way a client
    /// that holds the key signs.
    pub fn sign(
        &self,
        method: SignedMethod,
        bucket: &str,
        path: &str,
        expiry: i64,
        constraints: &[(&str, &str)],
    ) -> String {
        let target = SignTarget {
            method,
            bucket,
            path,
            expiry,
            constraints,
        };
        sign_as(&self.server.api_key, &self.server.base, &target)
    }

    /// Creates bucket `name`, public or private; an existing one is left as it is.
    pub async fn create_bucket(&self, name: &str, public: bool) {
        let name = BucketName::parse(name).expect("a valid bucket name");
        mediasaur_server::buckets::create(self.server.state.db(), &name, public)
            .await
            .expect("create a bucket");
    }

    /// Uploads a few bytes with `token` to `path`: proof that an earlier failure did not spend it.
    pub async fn assert_token_usable(&self, token: &str, path: &str) {
        let file = self
            .upload_with_token(token, path, b"token still usable")
            .await;
        assert_eq!(file.path, path);
    }

    /// `GET /files/{id}` with the key.
    pub async fn get_file(&self, id: &str) -> Reply {
        self.send(self.key(Method::GET, &format!("/files/{id}")))
            .await
    }

    /// Every File object id (via `GET /files` with the key) and the file counts of the data dir.
    pub async fn snapshot(&self) -> Snapshot {
        let page: Value = self
            .send(self.key(Method::GET, "/files?limit=1000"))
            .await
            .data(200);
        assert!(page["next_cursor"].is_null(), "snapshots hold < 1000 files");
        let file_ids = page["files"]
            .as_array()
            .expect("a files array")
            .iter()
            .map(|f| f["id"].as_str().expect("an id").to_owned())
            .collect();
        let dir = self.server.data_dir.path();
        Snapshot {
            file_ids,
            blobs: count_files(&dir.join("blobs")),
            temp: count_files(&dir.join("tmp")),
            partial: count_files(&dir.join("uploads")),
        }
    }

    /// Asserts that the server holds exactly what it held at `before`.
    pub async fn assert_unchanged(&self, before: &Snapshot) {
        assert_eq!(
            &self.snapshot().await,
            before,
            "a failed request left a trace"
        );
    }
}

/// What a signed URL covers, besides the key and the host.
#[derive(Debug, Clone, Copy)]
pub struct SignTarget<'a> {
    /// The method it authorizes.
    pub method: SignedMethod,
    /// The bucket.
    pub bucket: &'a str,
    /// The object path, unencoded.
    pub path: &'a str,
    /// Unix seconds.
    pub expiry: i64,
    /// Signed constraints such as `max_size`.
    pub constraints: &'a [(&'a str, &'a str)],
}

/// A URL for `target` signed with the key derived from `api_key`, under `base`.
pub fn sign_as(api_key: &str, base: &url::Url, target: &SignTarget<'_>) -> String {
    let constraints: BTreeMap<String, String> = target
        .constraints
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    sign_url(
        &UrlSigningKey::derive(api_key),
        base,
        target.method,
        &BucketName::parse(target.bucket).expect("a valid bucket"),
        &ObjectPath::parse(target.path).expect("a valid path"),
        target.expiry,
        &constraints,
    )
    .into()
}
