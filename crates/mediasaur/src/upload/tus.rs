//! The tus 1.0 client: discovery, creation, checksummed PATCHes in chunks, HEAD after any failure to
//! re-send only from the server's offset, termination. Works with any tus 1.0 server; with ours it
//! also fetches the File object the upload became.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use mediasaur_api::messages::UploadStatus;
use mediasaur_api::{ErrorCode, FileObject, FILE_ID_HEADER, TUS_VERSION};
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use reqwest::{Method, RequestBuilder, Response};
use sha2::{Digest, Sha256};
use url::Url;

use super::progress::UploadState;
use super::resume::{ResumeKey, ResumeState};
use super::{Completion, Job};
use crate::error::{ClientError, ClientResult};
use crate::http;

/// What a tus server said about itself in its `OPTIONS` answer.
#[derive(Debug, Clone)]
pub(crate) struct TusServer {
    endpoint: Url,
    checksum_sha256: bool,
    termination: bool,
    max_size: Option<u64>,
}

/// `(file hasher after the chunk, chunk digest)` for the chunk at `offset..offset+len`.
#[derive(Debug)]
struct HashAhead {
    offset: u64,
    len: u64,
    task: tokio::task::JoinHandle<ClientResult<(Sha256, [u8; 32])>>,
}

/// A tus upload in progress. Survives pauses and failed attempts: it changes only when the server
/// acknowledges bytes.
#[derive(Debug)]
pub(crate) struct TusUpload {
    server: TusServer,
    url: Url,
    /// Bytes the server holds.
    offset: u64,
    /// SHA-256 state over `0..hashed`, the bytes the server acknowledged.
    hasher: Sha256,
    hashed: u64,
    /// The next chunk's hashes, computed while the current chunk is on the wire.
    ahead: Option<HashAhead>,
    file_id: Option<String>,
    /// Set after a failure: ask the server for its offset before sending again.
    needs_head: bool,
}

impl Job {
    /// A tus request; the key goes along only to the API's own origin, and every method but PATCH
    /// (watched by its body's activity instead) gets the idle timeout.
    fn tus_request(&self, method: Method, url: &Url) -> RequestBuilder {
        let streaming = method == Method::PATCH;
        let mut request = self
            .client
            .http
            .request(method, url.clone())
            .header("Tus-Resumable", TUS_VERSION);
        if let Some(credential) = self.client.credential_for(url) {
            request = request.header(AUTHORIZATION, credential);
        }
        if !streaming {
            request = request.timeout(self.client.config.idle_timeout);
        }
        request
    }

    pub(crate) fn resume_key(&self) -> ResumeKey {
        ResumeKey {
            source: self.source.path.clone(),
            bucket: self.destination.bucket.to_string(),
            path: self.destination.path.to_string(),
            tus_endpoint: self.client.tus_endpoint.to_string(),
        }
    }

    async fn discover(&self) -> ClientResult<TusServer> {
        let endpoint = self.client.tus_endpoint.clone();
        let response = http::send(self.tus_request(Method::OPTIONS, &endpoint), &endpoint).await?;
        if !response.status().is_success() {
            return Err(http::error_from(response).await);
        }
        let list = |name: &str| -> Vec<String> {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_ascii_lowercase())
                        .collect()
                })
                .unwrap_or_default()
        };
        if !list("tus-version").iter().any(|v| v == TUS_VERSION) {
            return Err(ClientError::Unsupported(format!(
                "tus {TUS_VERSION} at {endpoint} (its OPTIONS answer lists no such Tus-Version)"
            )));
        }
        let extensions = list("tus-extension");
        let checksum = extensions.iter().any(|e| e == "checksum")
            && list("tus-checksum-algorithm").iter().any(|a| a == "sha256");
        let max_size = http::header_u64(&response, "tus-max-size").ok();
        if !extensions.iter().any(|e| e == "creation") {
            return Err(ClientError::Unsupported(format!(
                "the tus creation extension at {endpoint}"
            )));
        }
        Ok(TusServer {
            endpoint,
            checksum_sha256: checksum,
            termination: extensions.iter().any(|e| e == "termination"),
            max_size,
        })
    }

    /// Where an upload saved by an earlier run stands, if it can still be resumed.
    async fn resume_saved(&self, server: &TusServer) -> ClientResult<Option<TusUpload>> {
        let store = &self.client.resume_store;
        let key = self.resume_key();
        let Some(saved) = store.load(&key).await? else {
            return Ok(None);
        };
        let fingerprint = self.fingerprint().await?;
        let unusable = if saved.fingerprint != *fingerprint {
            Some("the file changed since its upload began".to_owned())
        } else if saved.tus_endpoint != server.endpoint.as_str() {
            Some("the upload was begun at another server address".to_owned())
        } else {
            None
        };
        let url = Url::parse(&saved.upload_url).ok();
        let mut restart_reason = unusable
            .clone()
            .unwrap_or_else(|| "the saved upload address is not a URL".to_owned());
        if let Some(url) = url.filter(|_| unusable.is_none()) {
            let mut upload = TusUpload {
                server: server.clone(),
                url,
                offset: saved.offset,
                hasher: Sha256::new(),
                hashed: 0,
                ahead: None,
                file_id: None,
                needs_head: true,
            };
            match self.head(&mut upload).await {
                Ok(()) => return Ok(Some(upload)),
                // Worth asking again later, unless our server says the upload failed for good (its
                // HEAD then answers the failure's code, e.g. 507): keep the state.
                Err(e)
                    if e.is_retryable() && !gone(&e) && !self.failed_on_server(&upload).await =>
                {
                    return Err(e)
                }
                // Gone, failed on the server, or refused: this upload cannot continue; a new one
                // will be created.
                Err(e) => {
                    tracing::info!(upload = self.id, %e, "the saved tus upload cannot continue");
                    restart_reason = format!(
                        "the server can no longer continue the upload ({})",
                        e.code()
                    );
                }
            }
        }
        store.remove(&key).await?;
        self.progress.state(UploadState::Restarting {
            reason: restart_reason,
        });
        Ok(None)
    }

    async fn create(&self, server: &TusServer) -> ClientResult<TusUpload> {
        let size = self.source.size;
        if let Some(max) = server.max_size.filter(|max| size > *max) {
            return Err(ClientError::invalid(
                ErrorCode::FileTooLarge,
                format!("the file has {size} bytes; the server takes at most {max}"),
            ));
        }
        let name = self
            .source
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        let mut metadata = vec![
            format!(
                "bucket {}",
                STANDARD.encode(self.destination.bucket.as_str())
            ),
            format!("path {}", STANDARD.encode(self.destination.path.as_str())),
        ];
        if let Some(name) = name {
            metadata.push(format!("filename {}", STANDARD.encode(name)));
        }
        let request = self
            .tus_request(Method::POST, &server.endpoint)
            .header("Upload-Length", size)
            .header("Upload-Metadata", metadata.join(","))
            .header(CONTENT_LENGTH, 0);
        let response = http::send(request, &server.endpoint).await?;
        if response.status().as_u16() != 201 {
            return Err(unexpected(response, "201 Created").await);
        }
        let location = http::header(&response, LOCATION.as_str())?;
        let url = server
            .endpoint
            .join(location)
            .ok()
            .filter(|url| url.origin() == server.endpoint.origin())
            .ok_or_else(|| {
                ClientError::InvalidResponse(format!(
                    "the upload's Location {location:?} is not a URL on the tus server's own origin"
                ))
            })?;
        let upload = TusUpload {
            server: server.clone(),
            url,
            offset: 0,
            hasher: Sha256::new(),
            hashed: 0,
            ahead: None,
            file_id: file_id(&response),
            needs_head: false,
        };
        self.save(&upload).await;
        Ok(upload)
    }

    async fn save(&self, upload: &TusUpload) {
        let Ok(fingerprint) = self.fingerprint().await.cloned() else {
            return;
        };
        let state = ResumeState {
            source: self.source.path.clone(),
            fingerprint,
            bucket: self.destination.bucket.to_string(),
            path: self.destination.path.to_string(),
            tus_endpoint: upload.server.endpoint.to_string(),
            upload_url: upload.url.to_string(),
            offset: upload.offset,
        };
        if let Err(error) = self.client.resume_store.save(&state).await {
            // The upload itself is fine; only resuming it after a crash would start over.
            tracing::warn!(upload = self.id, %error, "could not save the resume state");
        }
    }

    async fn head(&self, upload: &mut TusUpload) -> ClientResult<()> {
        let response = http::send(self.tus_request(Method::HEAD, &upload.url), &upload.url).await?;
        if !response.status().is_success() {
            return Err(http::error_from(response).await);
        }
        let offset = http::header_u64(&response, "upload-offset")?;
        if offset > self.source.size {
            return Err(ClientError::InvalidResponse(format!(
                "the server claims {offset} bytes of a {}-byte file",
                self.source.size
            )));
        }
        upload.offset = offset;
        upload.needs_head = false;
        self.progress.reset_to(offset);
        Ok(())
    }

    async fn patch(&self, upload: &mut TusUpload) -> ClientResult<()> {
        self.source.check_unchanged()?;
        let offset = upload.offset;
        let len = self.client.config.chunk_size.min(self.source.size - offset);
        if upload.hashed != offset {
            // The server holds bytes we did not hash yet (a resume): hash them from disk.
            let (from, hasher) = if upload.hashed < offset {
                (upload.hashed, upload.hasher.clone())
            } else {
                (0, Sha256::new())
            };
            let (hasher, _) = self.source.hash_range(hasher, from, offset - from).await?;
            upload.hasher = hasher;
            upload.hashed = offset;
        }
        let (next_hasher, chunk_digest) = match upload.ahead.take() {
            Some(ahead) if ahead.offset == offset && ahead.len == len => {
                ahead.task.await.map_err(|_| ClientError::Interrupted)??
            }
            _ => {
                self.source
                    .hash_range(upload.hasher.clone(), offset, len)
                    .await?
            }
        };
        let following = offset + len;
        if following < self.source.size {
            let next_len = self
                .client
                .config
                .chunk_size
                .min(self.source.size - following);
            let (source, hasher) = (self.source.clone(), next_hasher.clone());
            upload.ahead = Some(HashAhead {
                offset: following,
                len: next_len,
                task: tokio::spawn(
                    async move { source.hash_range(hasher, following, next_len).await },
                ),
            });
        }
        let (body, _, activity) =
            self.source
                .body(offset, len, &self.client.limiter, &self.progress, false);
        let mut request = self
            .tus_request(Method::PATCH, &upload.url)
            .header(CONTENT_TYPE, "application/offset+octet-stream")
            .header("Upload-Offset", offset)
            .header(CONTENT_LENGTH, len)
            .body(body);
        if upload.server.checksum_sha256 {
            request = request.header(
                "Upload-Checksum",
                format!("sha256 {}", STANDARD.encode(chunk_digest)),
            );
        }
        // Until the server answers, its offset is unknown (a pause or a cut may land mid-body).
        upload.needs_head = true;
        let idle = self.client.config.idle_timeout;
        let response = http::send_streaming(request, &upload.url, &activity, idle).await?;
        if response.status().as_u16() != 204 {
            return Err(unexpected(response, "204 No Content").await);
        }
        let new_offset = http::header_u64(&response, "upload-offset")?;
        upload.needs_head = false;
        if new_offset == offset && len > 0 {
            return Err(ClientError::InvalidResponse(format!(
                "the server took none of a {len}-byte PATCH at offset {offset}"
            )));
        }
        if new_offset < offset || new_offset > offset + len {
            return Err(ClientError::InvalidResponse(format!(
                "a PATCH of bytes {offset}..{} answered Upload-Offset {new_offset}",
                offset + len
            )));
        }
        if new_offset == offset + len {
            upload.hasher = next_hasher;
            upload.hashed = new_offset;
        }
        upload.offset = new_offset;
        if let Some(id) = file_id(&response) {
            upload.file_id = Some(id);
        }
        self.progress.reset_to(new_offset);
        self.save(upload).await;
        Ok(())
    }

    /// Runs the tus upload to its end, retrying as the policy allows. `slot` keeps the upload between
    /// attempts (pauses), so a resume continues from the server's offset. Only acknowledged bytes reset
    /// the failure count: a server that answers HEAD but never takes a chunk still runs out of retries.
    pub(crate) async fn run_tus(&self, slot: &mut Option<TusUpload>) -> ClientResult<Completion> {
        let mut failures = 0;
        let mut restarted = false;
        loop {
            let before = slot.as_ref().map(|u| u.offset);
            let step = self.tus_step(slot).await;
            let after = slot.as_ref().map(|u| u.offset);
            match step {
                Ok(true) => break,
                Ok(false) => {
                    if after > before {
                        failures = 0;
                    }
                }
                Err(error) if gone(&error) && !restarted && slot.is_some() => {
                    // The server lost or expired the upload: start one new upload, once.
                    tracing::info!(upload = self.id, %error, "the tus upload is gone; starting over");
                    *slot = None;
                    self.forget_resume_state().await;
                    restarted = true;
                    self.progress.reset_to(0);
                }
                Err(error) => self.after_failure(&mut failures, error, slot).await?,
            }
        }
        let upload = slot.as_mut().ok_or_else(|| {
            ClientError::InvalidResponse("the tus upload vanished while finishing".into())
        })?;
        if upload.hashed != self.source.size {
            let (hasher, _) = self
                .source
                .hash_range(Sha256::new(), 0, self.source.size)
                .await?;
            upload.hasher = hasher;
            upload.hashed = self.source.size;
        }
        let sha256 = hex::encode(upload.hasher.clone().finalize());
        let file = loop {
            match self.stored_file(upload).await {
                Ok(file) => break file,
                Err(error) => self.after_failure(&mut failures, error, &mut None).await?,
            }
        };
        Ok(Completion {
            file,
            sha256,
            upload_url: Some(upload.url.to_string()),
            reused: false,
        })
    }

    /// Counts a failure; waits out the backoff if the policy allows another try, else returns it.
    async fn after_failure(
        &self,
        failures: &mut u32,
        error: ClientError,
        slot: &mut Option<TusUpload>,
    ) -> ClientResult<()> {
        *failures += 1;
        // offset_mismatch and checksum_mismatch are retryable: HEAD, then re-send.
        if !self.client.config.retry.should_retry(*failures, &error) {
            return Err(error);
        }
        if let Some(upload) = slot.as_mut() {
            upload.needs_head = true;
        }
        self.source.check_unchanged()?;
        self.backoff(*failures, &error).await;
        Ok(())
    }

    /// One step: discover/create/resume, HEAD if needed, or one PATCH. `Ok(true)` once complete.
    async fn tus_step(&self, slot: &mut Option<TusUpload>) -> ClientResult<bool> {
        let Some(upload) = slot.as_mut() else {
            let server = self.discover().await?;
            let upload = match self.resume_saved(&server).await? {
                Some(upload) => upload,
                None => self.create(&server).await?,
            };
            self.progress.reset_to(upload.offset);
            *slot = Some(upload);
            return Ok(false);
        };
        if upload.needs_head {
            self.head(upload).await?;
            return Ok(false);
        }
        if upload.offset == self.source.size {
            return Ok(true);
        }
        self.patch(upload).await?;
        Ok(false)
    }

    /// Whether our server reports the upload as `failed` or `expired` (never true for other servers).
    async fn failed_on_server(&self, upload: &TusUpload) -> bool {
        if !self.client.tus_is_ours {
            return false;
        }
        let request = self.tus_request(Method::GET, &upload.url);
        let Ok(response) = http::send(request, &upload.url).await else {
            return false;
        };
        http::envelope::<UploadStatus>(response)
            .await
            .is_ok_and(|status| matches!(status.state.as_str(), "failed" | "expired"))
    }

    /// The File object our server made of the upload; `None` from other tus servers.
    async fn stored_file(&self, upload: &TusUpload) -> ClientResult<Option<FileObject>> {
        if !self.client.tus_is_ours {
            return Ok(None);
        }
        // The last PATCH may have been given up on (idle timeout) while the server was still
        // storing the file; it then reports `receiving` with every byte held for a moment.
        let mut wait = std::time::Duration::from_millis(100);
        let status = loop {
            let response =
                http::send(self.tus_request(Method::GET, &upload.url), &upload.url).await?;
            let status: UploadStatus = http::envelope(response).await?;
            if status.state != "receiving" || wait > std::time::Duration::from_secs(5) {
                break status;
            }
            tokio::time::sleep(wait).await;
            wait *= 2;
        };
        match (status.state.as_str(), status.file) {
            ("complete", Some(file)) => Ok(Some(file)),
            (state, _) => Err(match status.error {
                Some(code) => ClientError::Api {
                    code: serde_json::from_value(code.clone().into())
                        .unwrap_or(ErrorCode::Internal),
                    status: 0,
                    message: format!(
                        "the server received every byte but failed to store the file ({code})"
                    ),
                    request_id: None,
                    retry_after: None,
                },
                None => ClientError::InvalidResponse(format!(
                    "the server holds every byte but says the upload is {state}"
                )),
            }),
        }
    }

    /// Tells the server to drop the partial upload (tus termination) and forgets its resume state.
    pub(crate) async fn terminate(&self, slot: &mut Option<TusUpload>) {
        if let Some(upload) = slot.take() {
            if upload.server.termination {
                let request = self.tus_request(Method::DELETE, &upload.url);
                if let Err(error) = http::send(request, &upload.url).await {
                    tracing::warn!(upload = self.id, %error, "could not terminate the tus upload");
                }
            }
        }
        self.forget_resume_state().await;
    }

    /// Removes this upload's resume state; a store that fails is logged, not the upload's failure.
    pub(crate) async fn forget_resume_state(&self) {
        if let Err(error) = self.client.resume_store.remove(&self.resume_key()).await {
            tracing::warn!(upload = self.id, %error, "could not forget the resume state");
        }
    }
}

/// The upload no longer exists on the server (expired, terminated, or never known there).
fn gone(error: &ClientError) -> bool {
    matches!(
        error.api_code(),
        Some(ErrorCode::UploadExpired | ErrorCode::NotFound)
    )
}

fn file_id(response: &Response) -> Option<String> {
    response
        .headers()
        .get(FILE_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// An error for a response that is neither the expected success nor (necessarily) an error.
async fn unexpected(response: Response, wanted: &str) -> ClientError {
    if response.status().is_success() {
        ClientError::InvalidResponse(format!(
            "HTTP {} where a tus server answers {wanted}",
            response.status()
        ))
    } else {
        http::error_from(response).await
    }
}
