//! Interop: the official tus clients, tus-js-client on Node and tuspy on Python, upload to the real
//! server: plainly, resuming after a connection cut mid-PATCH, and with a scoped upload token.
//!
//! The clients run the scripts in `tests/interop/`; `scripts/test` installs their dependencies. A
//! missing dependency fails the test (never skips it).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{anyhow, ensure, Context, Result};
use mediasaur_api::{Envelope, FileObject};
use mediasaur_e2e::fault_proxy::FaultProxy;
use mediasaur_e2e::tus_node_server::interop_dir;
use mediasaur_e2e::{sha256_hex, test_bytes, TestServer};
use reqwest::header::AUTHORIZATION;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tokio::process::Command;

/// Five PATCHes of [`CHUNK`] each.
const FILE_LEN: usize = 5 * 1024 * 1024;
const CHUNK: usize = 1024 * 1024;
/// Retries the clients make (in milliseconds); the resume tests need at least one.
const RETRY_DELAYS: &str = "0,100,500";
/// The resume tests cut the third PATCH (so a restart from zero would show in the byte count) after
/// half a chunk.
const CUT_PATCH: usize = 3;
const CUT_AFTER: u64 = CHUNK as u64 / 2;
/// Request and response headers of every request of one upload, with a wide margin.
const HEADER_SLACK: u64 = 32 * 1024;
/// A client that takes longer than this has hung.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(90);
const BUCKET: &str = "default";

/// The official tus client a test drives.
#[derive(Debug, Clone, Copy)]
enum Client {
    /// tus-js-client on Node, via `interop/tus_js_upload.mjs`.
    TusJs,
    /// tuspy on Python, via `interop/tuspy_upload.py`.
    Tuspy,
}

impl Client {
    fn name(self) -> &'static str {
        match self {
            Self::TusJs => "tus-js",
            Self::Tuspy => "tuspy",
        }
    }

    /// The command running this client's script, once its dependencies are known to be installed.
    async fn command(self) -> Result<Command> {
        let dir = interop_dir();
        match self {
            Self::TusJs => {
                let installed = dir.join("node_modules/tus-js-client/package.json");
                ensure!(
                    installed.is_file(),
                    "tus-js-client is not installed ({} is missing): run scripts/test, which runs \
                     `npm ci` in tests/interop",
                    installed.display()
                );
                let mut command = Command::new("node");
                command.arg(dir.join("tus_js_upload.mjs"));
                Ok(command)
            }
            Self::Tuspy => {
                let python = std::env::var("MEDIASAUR_PYTHON").unwrap_or_else(|_| "python3".into());
                let probe = Command::new(&python)
                    .args(["-c", "import tusclient"])
                    .stdin(Stdio::null())
                    .output()
                    .await
                    .with_context(|| format!("cannot run {python}: run scripts/test"))?;
                ensure!(
                    probe.status.success(),
                    "tuspy is not importable by {python}: run scripts/test, which installs it in \
                     ~/.cache/mediasaur/venv and sets MEDIASAUR_PYTHON\n{}",
                    String::from_utf8_lossy(&probe.stderr)
                );
                let mut command = Command::new(python);
                command.arg(dir.join("tuspy_upload.py"));
                Ok(command)
            }
        }
    }
}

/// What a client script prints on success.
#[derive(Debug, Deserialize)]
struct Outcome {
    upload_url: String,
    file_id: String,
}

/// One upload a client script performs.
#[derive(Debug)]
struct Upload<'a> {
    /// The tus creation URL, on the server or on a proxy in front of it.
    endpoint: String,
    /// The whole `Authorization` header value.
    auth: String,
    /// Sent as `bucket` metadata when set.
    bucket: Option<&'a str>,
    path: &'a str,
    file: &'a Path,
}

/// Runs `client` to perform `upload` and returns what it printed.
async fn run(client: Client, upload: &Upload<'_>) -> Result<Outcome> {
    let mut command = client.command().await?;
    command
        .args([
            "--endpoint",
            &upload.endpoint,
            "--auth",
            &upload.auth,
            "--path",
            upload.path,
        ])
        .arg("--file")
        .arg(upload.file)
        .args([
            "--chunk-size",
            &CHUNK.to_string(),
            "--retry-delays",
            RETRY_DELAYS,
        ])
        .current_dir(interop_dir())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if let Some(bucket) = upload.bucket {
        command.args(["--bucket", bucket]);
    }
    let output = tokio::time::timeout(CLIENT_TIMEOUT, command.output())
        .await
        .map_err(|_| anyhow!("{} did not finish within {CLIENT_TIMEOUT:?}", client.name()))?
        .with_context(|| format!("cannot start the {} client", client.name()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    ensure!(
        output.status.success(),
        "{} upload failed ({}):\n{stderr}{stdout}",
        client.name(),
        output.status
    );
    serde_json::from_str(stdout.trim()).with_context(|| {
        format!(
            "{} printed no outcome line:\nstdout: {stdout}\nstderr: {stderr}",
            client.name()
        )
    })
}

/// A server and a source file of [`FILE_LEN`] random bytes.
struct Fixture {
    server: TestServer,
    source: Vec<u8>,
    file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Fixture {
    async fn new(seed: u64) -> Result<Self> {
        let server = TestServer::start().await;
        let dir = tempfile::tempdir()?;
        let source = test_bytes(FILE_LEN, seed);
        let file = dir.path().join("source.bin");
        tokio::fs::write(&file, &source).await?;
        Ok(Self {
            server,
            source,
            file,
            _dir: dir,
        })
    }

    /// An upload of the source file straight to the server with the API key.
    fn upload<'a>(&'a self, path: &'a str) -> Upload<'a> {
        Upload {
            endpoint: self.server.url("/uploads"),
            auth: self.server.bearer(),
            bucket: Some(BUCKET),
            path,
            file: &self.file,
        }
    }

    /// Checks through the API that the upload stored exactly the source file at `path`.
    async fn check_stored(&self, outcome: &Outcome, path: &str) -> Result<()> {
        let file: FileObject = self.get(&format!("/files/{}", outcome.file_id)).await?;
        ensure!(
            file.id == outcome.file_id,
            "GET /files/{} returned {}",
            outcome.file_id,
            file.id
        );
        ensure!(
            file.sha256 == sha256_hex(&self.source),
            "stored bytes differ from the source: {file:?}"
        );
        ensure!(
            file.filesize == FILE_LEN as u64,
            "filesize {} != {FILE_LEN}",
            file.filesize
        );
        ensure!(
            file.bucket == BUCKET && file.path == path,
            "stored at {}/{}, expected {BUCKET}/{path}",
            file.bucket,
            file.path
        );

        let upload_id = outcome
            .upload_url
            .rsplit_once("/uploads/")
            .map(|(_, id)| id)
            .with_context(|| format!("unexpected upload URL {}", outcome.upload_url))?;
        let status: UploadStatus = self.get(&format!("/uploads/{upload_id}")).await?;
        ensure!(
            status.state == "complete"
                && status.offset == FILE_LEN as u64
                && status.length == Some(FILE_LEN as u64)
                && status.file.as_ref().map(|f| f.id.as_str()) == Some(outcome.file_id.as_str()),
            "upload {upload_id} is not complete with file {}: {status:?}",
            outcome.file_id
        );
        Ok(())
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let request = self.server.http().get(self.server.url(path));
        api(request.header(AUTHORIZATION, self.server.bearer()), path).await
    }

    /// Mints a single-use upload token for `path` in [`BUCKET`] with the API key.
    async fn mint_token(&self, path: &str) -> Result<String> {
        #[derive(Deserialize)]
        struct Minted {
            token: String,
        }
        let request = self
            .server
            .http()
            .post(self.server.url("/token"))
            .header(AUTHORIZATION, self.server.bearer())
            .json(&serde_json::json!({ "bucket": BUCKET, "path": path }));
        let minted: Minted = api(request, "/token").await?;
        ensure!(
            minted.token.starts_with("token_"),
            "minted token lacks its prefix: {}",
            minted.token
        );
        Ok(minted.token)
    }
}

/// `data` of `GET /uploads/{id}`.
#[derive(Debug, Deserialize)]
struct UploadStatus {
    offset: u64,
    length: Option<u64>,
    state: String,
    file: Option<FileObject>,
}

/// Sends `request` and unwraps the envelope's `data`.
async fn api<T: DeserializeOwned>(request: reqwest::RequestBuilder, what: &str) -> Result<T> {
    let response = request
        .send()
        .await
        .with_context(|| format!("{what}: request failed"))?;
    let status = response.status();
    let body = response.text().await?;
    ensure!(status.is_success(), "{what}: {status}: {body}");
    let envelope: Envelope<T> =
        serde_json::from_str(&body).with_context(|| format!("{what}: unexpected body {body}"))?;
    envelope
        .into_result()
        .map_err(|error| anyhow!("{what}: {:?}: {}", error.code, error.message))
}

async fn plain_upload(client: Client, seed: u64) -> Result<()> {
    let fixture = Fixture::new(seed).await?;
    let path = format!("interop/{}/plain.bin", client.name());
    let outcome = run(client, &fixture.upload(&path)).await?;
    fixture.check_stored(&outcome, &path).await
}

async fn resume_after_cut(client: Client, seed: u64) -> Result<()> {
    let fixture = Fixture::new(seed).await?;
    let proxy = FaultProxy::start(fixture.server.addr).await;
    proxy.cut_upload_after(CUT_PATCH, CUT_AFTER);
    let path = format!("interop/{}/resumed.bin", client.name());
    let upload = Upload {
        endpoint: proxy.url("/uploads"),
        ..fixture.upload(&path)
    };

    let outcome = run(client, &upload).await?;
    ensure!(
        proxy.cuts() == 1,
        "{} cuts happened, expected 1",
        proxy.cuts()
    );
    fixture.check_stored(&outcome, &path).await?;
    // A restart from zero would re-send over two chunks. Resuming re-sends nothing, since the server
    // keeps what arrived before the cut (no checksum was sent) and HEAD reports it.
    let (sent, name) = (proxy.bytes_up(), client.name());
    eprintln!("{name}: {sent} bytes client→server for a {FILE_LEN}-byte file");
    let resumed = (FILE_LEN + CHUNK) as u64 + HEADER_SLACK;
    ensure!(
        sent <= resumed,
        "{name} sent {sent} bytes (> {resumed}): it restarted"
    );
    let kept = FILE_LEN as u64 + HEADER_SLACK;
    ensure!(
        sent <= kept,
        "{name} sent {sent} bytes (> {kept}): the bytes that reached the server before the cut \
         were sent again, so the server dropped them or HEAD did not report them"
    );
    Ok(())
}

async fn token_upload(client: Client, seed: u64) -> Result<()> {
    let fixture = Fixture::new(seed).await?;
    let path = format!("interop/{}/with-token.bin", client.name());
    let token = fixture.mint_token(&path).await?;
    let upload = Upload {
        auth: format!("Bearer {token}"),
        bucket: None,
        ..fixture.upload(&path)
    };

    let outcome = run(client, &upload).await?;
    fixture.check_stored(&outcome, &path).await
}

#[tokio::test(flavor = "multi_thread")]
async fn tus_js_client_uploads() -> Result<()> {
    plain_upload(Client::TusJs, 1).await
}

#[tokio::test(flavor = "multi_thread")]
async fn tus_js_client_resumes_after_a_cut_patch() -> Result<()> {
    resume_after_cut(Client::TusJs, 2).await
}

#[tokio::test(flavor = "multi_thread")]
async fn tus_js_client_uploads_with_a_token() -> Result<()> {
    token_upload(Client::TusJs, 3).await
}

#[tokio::test(flavor = "multi_thread")]
async fn tuspy_uploads() -> Result<()> {
    plain_upload(Client::Tuspy, 4).await
}

#[tokio::test(flavor = "multi_thread")]
async fn tuspy_resumes_after_a_cut_patch() -> Result<()> {
    resume_after_cut(Client::Tuspy, 5).await
}

#[tokio::test(flavor = "multi_thread")]
async fn tuspy_uploads_with_a_token() -> Result<()> {
    token_upload(Client::Tuspy, 6).await
}
