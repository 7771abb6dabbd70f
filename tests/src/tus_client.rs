//! A tiny raw tus 1.0 client for the tus tests: every request starts with the headers a correct
//! client sends, and a test bends it (drops or changes a header, streams the body, cuts the
//! connection mid-body) to reach one server path at a time.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use mediasaur_api::{Envelope, FileObject, TUS_VERSION};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sha2::Digest;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::net::TcpStream;
use tokio_util::io::ReaderStream;

use crate::TestServer;

/// The bucket every data dir starts with.
pub const BUCKET: &str = "default";
/// The content type of tus request bodies.
pub const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

/// A tus client for one server and one credential.
#[derive(Debug, Clone)]
pub struct Tus {
    http: reqwest::Client,
    addr: SocketAddr,
    auth: String,
}

impl Tus {
    /// A client that authenticates with the server's API key.
    pub fn new(server: &TestServer) -> Self {
        Self {
            http: server.http(),
            addr: server.addr,
            auth: server.bearer(),
        }
    }

    /// The same client with `Authorization: Bearer <credential>` (a key or a token).
    pub fn with_credential(&self, credential: &str) -> Self {
        Self {
            auth: format!("Bearer {credential}"),
            ..self.clone()
        }
    }

    /// `POST /uploads` with `Upload-Length: length` to `path` in [`BUCKET`].
    pub fn create(&self, length: usize, path: &str) -> TusRequest {
        self.create_bare()
            .header("upload-length", length)
            .metadata(&[("bucket", BUCKET), ("path", path)])
    }

    /// Creates an upload of `length` bytes to `path` and returns its Location.
    pub async fn start(&self, length: usize, path: &str) -> String {
        self.create(length, path).send().await.location()
    }

    /// `POST /uploads` with `Upload-Defer-Length: 1` to `path` in [`BUCKET`].
    pub fn create_deferred(&self, path: &str) -> TusRequest {
        self.create_bare()
            .header("upload-defer-length", 1)
            .metadata(&[("bucket", BUCKET), ("path", path)])
    }

    /// `POST /uploads` with only `Tus-Resumable` and `Authorization`.
    pub fn create_bare(&self) -> TusRequest {
        self.request(Method::POST, "/uploads")
    }

    /// `PATCH` of `body` at `offset`.
    pub fn patch(&self, location: &str, offset: u64, body: &[u8]) -> TusRequest {
        self.request(Method::PATCH, location)
            .header("upload-offset", offset)
            .body(body)
    }

    /// `HEAD` of an upload.
    pub fn head(&self, location: &str) -> TusRequest {
        self.request(Method::HEAD, location)
    }

    /// `DELETE` of an upload (termination).
    pub fn delete(&self, location: &str) -> TusRequest {
        self.request(Method::DELETE, location)
    }

    /// `GET` of an upload's status envelope.
    pub fn get(&self, location: &str) -> TusRequest {
        self.request(Method::GET, location)
    }

    /// Any request to `path` on the server with `Tus-Resumable: 1.0.0` and `Authorization`.
    pub fn request(&self, method: Method, path: &str) -> TusRequest {
        TusRequest {
            http: self.http.clone(),
            addr: self.addr,
            method,
            path: path.to_owned(),
            headers: HeaderMap::new(),
            body: Vec::new(),
            stream: None,
        }
        .header("tus-resumable", TUS_VERSION)
        .header("authorization", &self.auth)
    }

    /// The upload's offset by `HEAD`, which must answer 200.
    pub async fn offset(&self, location: &str) -> u64 {
        self.head(location).send().await.expect(200).offset()
    }

    /// `data` of `GET /uploads/{id}`, which must answer 200.
    pub async fn status(&self, location: &str) -> Value {
        self.get(location).send().await.expect(200).data()
    }

    /// PATCHes `data[start..]` in `chunk`-byte requests, each checked to answer 204 with the new
    /// offset; returns the last answer.
    pub async fn upload_from(
        &self,
        location: &str,
        data: &[u8],
        start: usize,
        chunk: usize,
    ) -> Reply {
        let mut offset = start;
        loop {
            let end = data.len().min(offset + chunk);
            let reply = self
                .patch(location, offset as u64, &data[offset..end])
                .send()
                .await
                .expect(204);
            assert_eq!(reply.offset(), end as u64, "PATCH at {offset}");
            offset = end;
            if offset == data.len() {
                return reply;
            }
        }
    }

    /// Creates an upload of `data` to `path` and sends it in one PATCH; returns the Location and
    /// the File id.
    pub async fn upload(&self, path: &str, data: &[u8]) -> (String, String) {
        let location = self.start(data.len(), path).await;
        let reply = self
            .upload_from(&location, data, 0, data.len().max(1))
            .await;
        (
            location,
            reply.file_id().expect("the last PATCH names the File"),
        )
    }
}

/// One tus request being built.
#[derive(Debug)]
pub struct TusRequest {
    http: reqwest::Client,
    addr: SocketAddr,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
    stream: Option<reqwest::Body>,
}

impl TusRequest {
    /// Sets (replaces) a header.
    pub fn header(mut self, name: &'static str, value: impl ToString) -> Self {
        let value = HeaderValue::from_str(&value.to_string()).expect("header value");
        self.headers.insert(HeaderName::from_static(name), value);
        self
    }

    /// Drops a header.
    pub fn without(mut self, name: &'static str) -> Self {
        self.headers.remove(name);
        self
    }

    /// Sets `Upload-Metadata` from plain `(key, value)` pairs.
    pub fn metadata(self, pairs: &[(&str, &str)]) -> Self {
        self.header("upload-metadata", metadata(pairs))
    }

    /// Sets the body, with `Content-Type: application/offset+octet-stream`.
    pub fn body(mut self, body: &[u8]) -> Self {
        self.body = body.to_vec();
        self.header("content-type", OFFSET_OCTET_STREAM)
    }

    /// Sends a streamed body, declared as `length` bytes when given (else chunked).
    pub fn stream(mut self, body: reqwest::Body, length: Option<u64>) -> Self {
        self.stream = Some(body);
        match length {
            Some(length) => self.header("content-length", length),
            None => self,
        }
    }

    /// Sets `Upload-Checksum` to the `algorithm` (`sha1` or `sha256`) digest of the body.
    pub fn checksum(self, algorithm: &str) -> Self {
        let value = checksum(algorithm, &self.body);
        self.header("upload-checksum", value)
    }

    fn url(&self) -> String {
        format!("http://{}{}", self.addr, self.path)
    }

    /// Sends the request; every answer under `/uploads` must carry `Tus-Resumable: 1.0.0`.
    pub async fn send(self) -> Reply {
        let (method, url) = (self.method.clone(), self.url());
        let body = match self.stream {
            Some(stream) => stream,
            None => reqwest::Body::from(self.body),
        };
        let response = self
            .http
            .request(method.clone(), &url)
            .headers(self.headers)
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let reply = Reply {
            what: format!("{method} {url}"),
            status: response.status(),
            headers: response.headers().clone(),
            body: response.bytes().await.expect("response body").to_vec(),
        };
        assert_eq!(
            reply.header("tus-resumable"),
            Some(TUS_VERSION),
            "{}: every /uploads response has Tus-Resumable",
            reply.what
        );
        reply
    }

    /// Sends the head and the first `sent` body bytes over a raw socket, declaring the whole body's
    /// length, then half-closes the socket as a dying connection would and waits until the server
    /// closes its side (its handler is done with the request). Returns whatever the server answered.
    pub async fn send_cut(self, sent: usize) -> String {
        assert!(sent < self.body.len(), "a cut sends less than the body");
        let mut head = format!(
            "{} {} HTTP/1.1\r\nhost: {}\r\n",
            self.method, self.path, self.addr
        );
        for (name, value) in &self.headers {
            let value = value.to_str().expect("ASCII header");
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("content-length: {}\r\n\r\n", self.body.len()));
        let mut socket = TcpStream::connect(self.addr).await.expect("connect");
        socket.write_all(head.as_bytes()).await.expect("send head");
        socket
            .write_all(&self.body[..sent])
            .await
            .expect("send body");
        socket.shutdown().await.expect("half-close");
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(20), socket.read_to_end(&mut answer));
        // A reset instead of an orderly close is fine: the server is done either way.
        let _closed_or_reset = read.await.expect("the server closes a cut connection");
        String::from_utf8_lossy(&answer).into_owned()
    }
}

/// A server's answer, body read.
#[derive(Debug)]
pub struct Reply {
    what: String,
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The response body.
    pub body: Vec<u8>,
}

impl Reply {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, showing the body otherwise.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{}: {:?} {}",
            self.what,
            self.headers,
            String::from_utf8_lossy(&self.body)
        );
        self
    }

    /// Asserts an error envelope with this status and `error.code` (status only for `HEAD`, which
    /// has no body).
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Self {
        let reply = self.expect(status);
        if !reply.what.starts_with("HEAD ") {
            assert_eq!(reply.error_code().as_deref(), Some(code), "{}", reply.what);
        }
        reply
    }

    /// `error.code` of an envelope body.
    pub fn error_code(&self) -> Option<String> {
        let envelope: Envelope<Value> = serde_json::from_slice(&self.body).ok()?;
        envelope.error.map(|e| e.code.as_str().to_owned())
    }

    /// `data` of an envelope body.
    #[track_caller]
    pub fn data(&self) -> Value {
        let envelope: Envelope<Value> = serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{}: not an envelope: {e}", self.what));
        envelope.data.unwrap_or(Value::Null)
    }

    /// `Upload-Offset`, which must be present.
    #[track_caller]
    pub fn offset(&self) -> u64 {
        let offset = self.header("upload-offset");
        let offset = offset.unwrap_or_else(|| panic!("{}: no Upload-Offset", self.what));
        offset.parse().expect("numeric Upload-Offset")
    }

    /// `Location` of a 201, which must be a relative `/uploads/up_…`.
    #[track_caller]
    pub fn location(self) -> String {
        let reply = self.expect(201);
        let location = reply.header("location").expect("Location").to_owned();
        assert!(location.starts_with("/uploads/up_"), "Location {location}");
        location
    }

    /// `Mediasaur-File-Id`, present once the upload completed.
    pub fn file_id(&self) -> Option<String> {
        let id = self.header("mediasaur-file-id")?;
        assert!(id.starts_with("file_"), "Mediasaur-File-Id {id}");
        Some(id.to_owned())
    }
}

/// An `Upload-Checksum` value: `algorithm` (`sha1` or `sha256`) and the base64 digest of `bytes`.
pub fn checksum(algorithm: &str, bytes: &[u8]) -> String {
    let digest = match algorithm {
        "sha1" => sha1::Sha1::digest(bytes).to_vec(),
        "sha256" => sha2::Sha256::digest(bytes).to_vec(),
        other => panic!("no digest for {other}"),
    };
    format!("{algorithm} {}", STANDARD.encode(digest))
}

/// `Upload-Metadata` for plain `(key, value)` pairs.
pub fn metadata(pairs: &[(&str, &str)]) -> String {
    let pairs = pairs
        .iter()
        .map(|(k, v)| format!("{k} {}", STANDARD.encode(v)));
    pairs.collect::<Vec<_>>().join(",")
}

/// Mints an upload token for `path` in [`BUCKET`]; `extra` adds fields such as `expires_in`.
pub async fn mint_token(server: &TestServer, path: &str, extra: Value) -> String {
    let mut request = serde_json::json!({ "bucket": BUCKET, "path": path });
    if let (Some(request), Value::Object(extra)) = (request.as_object_mut(), extra) {
        request.extend(extra);
    }
    let response = server.http().post(server.url("/token"));
    let response = response
        .header("authorization", server.bearer())
        .json(&request);
    let response = response.send().await.expect("POST /token");
    assert_eq!(response.status(), StatusCode::CREATED, "POST /token");
    let envelope: Envelope<Value> = response.json().await.expect("token envelope");
    let token = envelope
        .data
        .and_then(|d| d["token"].as_str().map(str::to_owned));
    token.expect("data.token")
}

/// Asserts through `GET /files/{id}` that File `file_id` holds exactly `data` at `path` in
/// [`BUCKET`].
pub async fn assert_stored(server: &TestServer, file_id: &str, path: &str, data: &[u8]) {
    let file = get_file(server, file_id).await;
    assert_eq!(file.id, file_id);
    assert_eq!(file.sha256, crate::sha256_hex(data), "sha256 of {path}");
    assert_eq!(file.filesize, data.len() as u64, "size of {path}");
    assert_eq!((file.bucket.as_str(), file.path.as_str()), (BUCKET, path));
}

/// A request body the test feeds as it goes: write to the pipe, drop it to end the body.
pub fn fed_body() -> (DuplexStream, reqwest::Body) {
    let (feed, pipe) = tokio::io::duplex(64 * 1024);
    (feed, reqwest::Body::wrap_stream(ReaderStream::new(pipe)))
}

/// `GET /files/{id}` with the key.
pub async fn get_file(server: &TestServer, id: &str) -> FileObject {
    let response = server.http().get(server.url(&format!("/files/{id}")));
    let response = response
        .header("authorization", server.bearer())
        .send()
        .await;
    let envelope: Envelope<FileObject> = response.expect("GET /files").json().await.expect("file");
    envelope.into_result().expect("a File object")
}

/// Stores `data` at `path` in [`BUCKET`] with a plain `PUT`, as another writer would.
pub async fn put_file(server: &TestServer, path: &str, data: &[u8]) {
    let url = server.url(&format!("/{BUCKET}/{path}"));
    let request = server
        .http()
        .put(url)
        .header("authorization", server.bearer());
    let response = request.body(data.to_vec()).send().await.expect("PUT");
    assert_eq!(response.status(), StatusCode::CREATED, "PUT {path}");
}

/// The partial upload files in the data dir.
pub fn partial_files(server: &TestServer) -> Vec<PathBuf> {
    files_under(&server.data_dir.path().join("uploads"))
}

/// The stored blobs in the data dir.
pub fn blob_files(server: &TestServer) -> Vec<PathBuf> {
    files_under(&server.data_dir.path().join("blobs"))
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for path in entries.map(|e| e.expect("dir entry").path()) {
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The partial file of the upload at `location`.
pub fn partial_path(server: &TestServer, location: &str) -> PathBuf {
    let id = location.trim_start_matches("/uploads/");
    server
        .data_dir
        .path()
        .join("uploads")
        .join(format!("{id}.part"))
}

/// Sleeps until just past the start of the next wall-clock second, so a test that waits out a
/// lifetime counted in whole seconds starts with the whole second ahead of it.
pub async fn next_second() {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
    let left = Duration::from_secs(1) - Duration::from_nanos(u64::from(now.subsec_nanos()));
    tokio::time::sleep(left + Duration::from_millis(20)).await;
}
