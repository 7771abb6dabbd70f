//! The official tus server as a test peer: [`NodeTusServer`] starts `@tus/server` on Node and speaks
//! tus 1.0 over real HTTP. `scripts/test` installs it (`npm ci` in `tests/interop`); a missing install
//! fails the test (never skips it).

use anyhow::{ensure, Context, Result};
use mediasaur_e2e::tus_node_server::NodeTusServer;
use reqwest::header::{HeaderMap, CONTENT_TYPE, LOCATION};
use reqwest::{Method, StatusCode};
use url::Url;

const BODY: &[u8] = b"hello world";

/// A header's value as text, or an error naming it.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str> {
    headers
        .get(name)
        .with_context(|| format!("no {name} header in {headers:?}"))?
        .to_str()
        .with_context(|| format!("{name} is not text"))
}

/// A tus request (with `Tus-Resumable: 1.0.0`) to `url`.
fn tus(http: &reqwest::Client, method: Method, url: &Url) -> reqwest::RequestBuilder {
    http.request(method, url.clone())
        .header("tus-resumable", "1.0.0")
}

#[tokio::test(flavor = "multi_thread")]
async fn node_tus_server_creates_takes_and_reports_an_upload() -> Result<()> {
    let server = NodeTusServer::start().await?;
    let http = reqwest::Client::new();

    let options = http
        .request(Method::OPTIONS, server.url.clone())
        .send()
        .await?;
    ensure!(
        options.status().is_success(),
        "OPTIONS: {}",
        options.status()
    );
    let versions = header(options.headers(), "tus-version")?;
    ensure!(
        versions.split(',').any(|v| v.trim() == "1.0.0"),
        "Tus-Version: {versions}"
    );
    eprintln!(
        "@tus/server Tus-Extension: {}",
        header(options.headers(), "tus-extension")?
    );

    let created = tus(&http, Method::POST, &server.url)
        .header("upload-length", BODY.len())
        .send()
        .await?;
    ensure!(
        created.status() == StatusCode::CREATED,
        "POST: {}",
        created.status()
    );
    let location = header(created.headers(), LOCATION.as_str())?;
    eprintln!("@tus/server Location: {location}");
    let upload = server.url.join(location)?;

    let patched = tus(&http, Method::PATCH, &upload)
        .header("upload-offset", 0)
        .header(CONTENT_TYPE, "application/offset+octet-stream")
        .body(BODY)
        .send()
        .await?;
    ensure!(
        patched.status() == StatusCode::NO_CONTENT,
        "PATCH: {}",
        patched.status()
    );
    let offset = header(patched.headers(), "upload-offset")?;
    ensure!(offset == "11", "PATCH answered Upload-Offset: {offset}");

    let head = tus(&http, Method::HEAD, &upload).send().await?;
    ensure!(head.status().is_success(), "HEAD: {}", head.status());
    let offset = header(head.headers(), "upload-offset")?;
    ensure!(offset == "11", "HEAD answered Upload-Offset: {offset}");
    let length = header(head.headers(), "upload-length")?;
    ensure!(length == "11", "HEAD answered Upload-Length: {length}");

    let stored = std::fs::read(server.upload_file(upload.as_str())?)?;
    ensure!(stored == BODY, "the store holds {stored:?}");
    // A client that closes the connection right after the response: on Node 20 that is what made
    // @tus/server's GET crash the process before tus_node_server.mjs worked around it.
    let closing = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    let downloaded = closing.get(upload.clone()).send().await?;
    ensure!(
        downloaded.status().is_success(),
        "GET: {}",
        downloaded.status()
    );
    ensure!(
        downloaded.bytes().await? == BODY,
        "GET returned other bytes"
    );

    // Termination; this also shows that the server survived the GET.
    let deleted = tus(&http, Method::DELETE, &upload).send().await?;
    ensure!(
        deleted.status() == StatusCode::NO_CONTENT,
        "DELETE: {}",
        deleted.status()
    );
    let gone = tus(&http, Method::HEAD, &upload).send().await?;
    ensure!(
        gone.status() == StatusCode::NOT_FOUND,
        "HEAD after DELETE: {}",
        gone.status()
    );
    Ok(())
}
