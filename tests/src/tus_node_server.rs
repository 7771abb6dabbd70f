//! The official tus server on Node, `@tus/server` with a `@tus/file-store` FileStore
//! (`interop/tus_node_server.mjs`), as a second real tus peer for the client's tests.
//!
//! It offers the creation, creation-with-upload, creation-defer-length, termination and expiration
//! extensions (unfinished uploads expire an hour after creation), but not checksum: it ignores
//! `Upload-Checksum`. Its `Location` is absolute (`http://127.0.0.1:<port>/files/<id>`, built from the
//! request's `Host`), and `GET` on it returns a finished upload's bytes.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{anyhow, bail, ensure, Context, Result};
use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use url::Url;

/// Node takes well under a second to start the server; this much means it hangs.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// `@tus/server` serving tus 1.0 at `http://127.0.0.1:<random port>/files` from a temporary directory.
/// The Node process is killed when this is dropped.
#[derive(Debug)]
pub struct NodeTusServer {
    /// The creation URL, `http://127.0.0.1:<port>/files`; uploads live at `<url>/<id>`.
    pub url: Url,
    /// The FileStore's directory: per upload, a file named after its id with the bytes received so
    /// far, and `<id>.json` with its length and metadata.
    pub store_dir: tempfile::TempDir,
    child: Child,
}

/// The line `tus_node_server.mjs` prints once it listens.
#[derive(Debug, Deserialize)]
struct Ready {
    url: String,
}

impl NodeTusServer {
    /// Starts the server and waits until it listens.
    pub async fn start() -> Result<Self> {
        let dir = interop_dir();
        for package in ["@tus/server", "@tus/file-store"] {
            let installed = dir.join("node_modules").join(package).join("package.json");
            ensure!(
                installed.is_file(),
                "{package} is not installed ({} is missing): run scripts/test, which runs `npm ci` \
                 in tests/interop",
                installed.display()
            );
        }
        let store_dir = tempfile::tempdir().context("temp dir for the FileStore")?;
        let mut child = Command::new("node")
            .arg(dir.join("tus_node_server.mjs"))
            .arg(store_dir.path())
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start `node` (Node.js 20+ must be on PATH)")?;

        let stdout = child
            .stdout
            .take()
            .context("the child's stdout is not piped")?;
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        let read = tokio::time::timeout(START_TIMEOUT, stdout.read_line(&mut line))
            .await
            .map_err(|_| anyhow!("tus_node_server.mjs printed no URL within {START_TIMEOUT:?}"))?
            .context("reading the stdout of tus_node_server.mjs")?;
        if read == 0 {
            let status = child.wait().await?;
            bail!("tus_node_server.mjs exited ({status}) before printing its URL; see its stderr");
        }
        let ready: Ready = serde_json::from_str(line.trim())
            .with_context(|| format!("tus_node_server.mjs printed {line:?}, not its URL"))?;
        let url = Url::parse(&ready.url).with_context(|| format!("bad URL {:?}", ready.url))?;
        Ok(Self {
            url,
            store_dir,
            child,
        })
    }

    /// The file in [`Self::store_dir`] holding the bytes of the upload at `upload_url` (its last path
    /// segment is the upload id).
    pub fn upload_file(&self, upload_url: &str) -> Result<PathBuf> {
        let id = upload_url
            .trim_end_matches('/')
            .rsplit_once('/')
            .map(|(_, id)| id)
            .filter(|id| !id.is_empty())
            .with_context(|| format!("no upload id in {upload_url:?}"))?;
        Ok(self.store_dir.path().join(id))
    }
}

impl Drop for NodeTusServer {
    fn drop(&mut self) {
        // Before the store dir goes; kill_on_drop would only do it after the fields are dropped.
        let _ = self.child.start_kill();
    }
}

/// `tests/interop`: the npm packages (tus-js-client, @tus/server) the interop tests run.
pub fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("interop")
}
