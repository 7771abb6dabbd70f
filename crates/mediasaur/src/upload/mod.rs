//! The upload engine: picks a strategy per file, runs each upload as a task behind an `UploadHandle`
//! (pause, resume, cancel), under the client's concurrency limit and bandwidth limit.

mod progress;
mod rate;
mod resume;
mod retry;
mod single;
mod source;
mod tus;

use std::sync::Arc;
use std::time::Duration;

use mediasaur_api::{BucketName, ErrorCode, FileObject, ObjectPath};
use serde::Serialize;
use tokio::sync::{mpsc::UnboundedSender, watch};
use tokio::task::JoinHandle;

pub use progress::{UploadEvent, UploadId, UploadState};
pub use rate::BandwidthLimiter;
pub use resume::{Fingerprint, MemoryResumeStore, ResumeKey, ResumeState, ResumeStore};
pub use retry::RetryPolicy;
pub use single::SingleRequest;
pub use source::modified_ns;
pub(crate) use source::sha256_of_file;

use crate::client::ClientInner;
use crate::error::{ClientError, ClientResult};
use progress::Progress;
use source::Source;
use tus::TusUpload;

/// Where a file goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Destination {
    /// The bucket.
    pub bucket: BucketName,
    /// The object path.
    pub path: ObjectPath,
}

impl Destination {
    /// Checks `bucket` and `path` against the API's rules.
    pub fn parse(bucket: &str, path: &str) -> ClientResult<Self> {
        Ok(Self {
            bucket: BucketName::parse(bucket)?,
            path: ObjectPath::parse(path)?,
        })
    }
}

/// How one upload is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// One request below the client's `single_request_max`, tus from there on.
    #[default]
    Auto,
    /// One request whatever the size.
    Single(SingleRequest),
    /// tus whatever the size.
    Tus,
}

impl Strategy {
    /// The strategy's name, as the queue stores it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Single(SingleRequest::SignedPut) => "put",
            Self::Single(SingleRequest::MultipartToken) => "multipart",
            Self::Tus => "tus",
        }
    }

    /// The strategy named `name`: `auto`, `put`, `multipart` or `tus`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "auto" => Some(Self::Auto),
            "put" => Some(Self::Single(SingleRequest::SignedPut)),
            "multipart" => Some(Self::Single(SingleRequest::MultipartToken)),
            "tus" => Some(Self::Tus),
            _ => None,
        }
    }
}

impl Serialize for Strategy {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Options of one upload.
#[derive(Debug, Clone, Default)]
pub struct UploadOptions {
    /// How to send it.
    pub strategy: Strategy,
    /// Where its events go. Unbounded: progress is throttled, so it stays small, and sending never
    /// waits for the listener.
    pub events: Option<UnboundedSender<UploadEvent>>,
}

/// What a finished upload produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UploadOutcome {
    /// Which upload.
    pub id: UploadId,
    /// The server's File object (`None` from a plain tus server, which has none).
    pub file: Option<FileObject>,
    /// SHA-256 of the bytes read from the file while sending; equal to `file.sha256`.
    pub sha256: String,
    /// Bytes.
    pub size: u64,
    /// The tus upload URL, for tus uploads.
    pub upload_url: Option<String>,
    /// The destination already held exactly these bytes, so nothing new was stored.
    pub reused: bool,
}

/// What a strategy hands back to the engine.
#[derive(Debug)]
pub(crate) struct Completion {
    file: Option<FileObject>,
    sha256: String,
    upload_url: Option<String>,
    reused: bool,
}

/// What the owner of a handle wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Run,
    Pause,
    Cancel,
}

/// One upload running in the background. Dropping the handle interrupts the upload but keeps it
/// resumable (its resume state stays in the store); [`UploadHandle::cancel`] ends it for good.
#[derive(Debug)]
pub struct UploadHandle {
    id: UploadId,
    control: watch::Sender<Control>,
    task: JoinHandle<ClientResult<UploadOutcome>>,
}

impl UploadHandle {
    /// The upload's id, as in its events.
    pub fn id(&self) -> UploadId {
        self.id
    }

    /// Stops sending and frees the upload's slot; the bytes the server acknowledged stay. A cancel
    /// already asked for stands.
    pub fn pause(&self) {
        self.control.send_if_modified(|c| {
            let running = *c == Control::Run;
            if running {
                *c = Control::Pause;
            }
            running
        });
    }

    /// Continues a paused upload from the server's offset.
    pub fn resume(&self) {
        self.control.send_if_modified(|c| {
            let paused = *c == Control::Pause;
            if paused {
                *c = Control::Run;
            }
            paused
        });
    }

    /// Stops the upload and tells the server to drop what it received; [`UploadHandle::wait`] then
    /// returns [`ClientError::Cancelled`].
    pub fn cancel(&self) {
        self.control.send_replace(Control::Cancel);
    }

    /// Whether the upload has ended (done, failed or cancelled).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits for the upload to end.
    pub async fn wait(mut self) -> ClientResult<UploadOutcome> {
        self.finished().await
    }

    /// Waits for the upload to end while keeping the handle, so a `select!` loop can still pause or
    /// cancel it meanwhile (dropping this future is safe). Once it has returned, do not call it again.
    pub async fn finished(&mut self) -> ClientResult<UploadOutcome> {
        match (&mut self.task).await {
            Ok(result) => result,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(_) => Err(ClientError::Interrupted),
        }
    }
}

impl Drop for UploadHandle {
    fn drop(&mut self) {
        // A cancelled upload finishes on its own, so the server still hears of it. Any other upload
        // stops here and stays resumable.
        if !self.task.is_finished() && *self.control.borrow() != Control::Cancel {
            self.task.abort();
        }
    }
}

/// Everything one upload task needs.
#[derive(Debug)]
pub(crate) struct Job {
    id: UploadId,
    client: Arc<ClientInner>,
    source: Source,
    destination: Destination,
    progress: Progress,
    strategy: Strategy,
    /// Computed once, on first use.
    fingerprint: tokio::sync::OnceCell<Fingerprint>,
}

/// Starts an upload task; called by `UploadClient::upload`.
pub(crate) fn spawn(
    client: Arc<ClientInner>,
    id: UploadId,
    path: &std::path::Path,
    destination: Destination,
    options: UploadOptions,
) -> ClientResult<UploadHandle> {
    let source = Source::open(path)?;
    let strategy = match options.strategy {
        Strategy::Auto if source.size < client.config.single_request_max => {
            Strategy::Single(client.config.single_request)
        }
        Strategy::Auto => Strategy::Tus,
        chosen => chosen,
    };
    let job = Job {
        id,
        progress: Progress::new(id, source.size, options.events),
        client,
        source,
        destination,
        strategy,
        fingerprint: tokio::sync::OnceCell::new(),
    };
    let (control, watcher) = watch::channel(Control::Run);
    let task = tokio::spawn(job.drive(watcher));
    Ok(UploadHandle { id, control, task })
}

impl Job {
    /// Queue, run under a slot, pause and resume, until the upload ends.
    async fn drive(self, mut control: watch::Receiver<Control>) -> ClientResult<UploadOutcome> {
        self.progress.state(UploadState::Queued);
        let mut tus: Option<TusUpload> = None;
        let result = loop {
            match wait_for_run(&mut control).await {
                Control::Run => {}
                Control::Cancel => break Err(ClientError::Cancelled),
                Control::Pause => continue,
            }
            let slots = Arc::clone(&self.client.slots);
            let permit = tokio::select! {
                permit = slots.acquire_owned() => permit,
                _ = left_run(&mut control) => {
                    if *control.borrow() == Control::Pause {
                        self.progress.state(UploadState::Paused);
                    }
                    continue;
                }
            };
            self.progress.state(UploadState::Uploading);
            let attempt = tokio::select! {
                result = self.run(&mut tus) => Some(result),
                _ = left_run(&mut control) => None,
            };
            drop(permit);
            match attempt {
                Some(result) => break result,
                None if *control.borrow() == Control::Cancel => break Err(ClientError::Cancelled),
                None => self.progress.state(UploadState::Paused),
            }
        };
        self.finish(result, &mut tus).await
    }

    async fn run(&self, tus: &mut Option<TusUpload>) -> ClientResult<Completion> {
        let result = match self.strategy {
            Strategy::Single(how) => self.run_single(how).await,
            Strategy::Tus | Strategy::Auto => self.run_tus(tus).await,
        };
        let Err(error) = result else {
            return result;
        };
        if error.api_code() != Some(ErrorCode::FileExists) {
            return Err(error);
        }
        let mut failures = 0;
        loop {
            match self.already_stored().await {
                Ok(found) => return found.ok_or(error),
                Err(check) => {
                    failures += 1;
                    if !self.client.config.retry.should_retry(failures, &check) {
                        return Err(check);
                    }
                    self.backoff(failures, &check).await;
                }
            }
        }
    }

    /// After `file_exists`: the File object at the destination, if it already holds exactly our bytes
    /// (an earlier run, or a retry whose first attempt was stored but whose answer got lost).
    async fn already_stored(&self) -> ClientResult<Option<Completion>> {
        let listing = self
            .client
            .list_files(
                Some(&self.destination.bucket),
                self.destination.path.as_str(),
                None,
                1,
            )
            .await?;
        let Some(file) = listing
            .files
            .into_iter()
            .find(|f| f.path == self.destination.path.as_str())
        else {
            return Ok(None);
        };
        let (hasher, _) = self
            .source
            .hash_range(sha2::Sha256::default(), 0, self.source.size)
            .await?;
        let sha256 = hex::encode(sha2::Digest::finalize(hasher));
        Ok(
            (file.sha256 == sha256 && file.filesize == self.source.size).then_some(Completion {
                file: Some(file),
                sha256,
                upload_url: None,
                reused: true,
            }),
        )
    }

    async fn finish(
        &self,
        result: ClientResult<Completion>,
        tus: &mut Option<TusUpload>,
    ) -> ClientResult<UploadOutcome> {
        let result = match result {
            Ok(completion) => self.verify(completion).await,
            Err(error) => Err(error),
        };
        // Done, or failed in a way no retry can mend: nothing is left to resume. A network failure
        // or a server error keeps the state, so a later run continues where this one stopped.
        // Single-request uploads never save a state (and sparing the store a write per small file
        // matters to a queue of thousands).
        let resumable = result.as_ref().is_err_and(ClientError::is_retryable);
        if !resumable && self.strategy == Strategy::Tus {
            self.forget_resume_state().await;
        }
        match &result {
            Ok(outcome) => {
                self.progress.reset_to(outcome.size);
                self.progress.state(UploadState::Completed {
                    file: outcome.file.clone().map(Box::new),
                });
            }
            Err(ClientError::Cancelled) => {
                self.terminate(tus).await;
                self.progress.state(UploadState::Cancelled);
            }
            Err(error) => {
                // Those bytes can never be completed: the server need not keep them.
                if matches!(
                    error,
                    ClientError::SourceChanged { .. } | ClientError::SourceMissing { .. }
                ) {
                    self.terminate(tus).await;
                }
                self.progress.state(UploadState::Failed {
                    code: error.code().to_owned(),
                    message: error.to_string(),
                });
            }
        }
        result
    }

    /// A File object is a success only if it holds exactly the file's bytes, and the file did not
    /// change while it was read. Otherwise the upload fails, and a File object this upload stored
    /// (never one that was already there) is deleted.
    async fn verify(&self, completion: Completion) -> ClientResult<UploadOutcome> {
        let mismatch = match &completion.file {
            Some(file) if file.sha256 != completion.sha256 || file.filesize != self.source.size => {
                Some(ClientError::IntegrityMismatch {
                    local: completion.sha256.clone(),
                    remote: file.sha256.clone(),
                })
            }
            _ => self.source.check_unchanged().err(),
        };
        if let Some(error) = mismatch {
            let ours = !completion.reused
                && matches!(
                    error,
                    ClientError::IntegrityMismatch { .. }
                        | ClientError::SourceChanged { .. }
                        | ClientError::SourceMissing { .. }
                );
            if let Some(file) = completion.file.as_ref().filter(|_| ours) {
                if let Err(delete_error) = self.client.delete_file(&file.id).await {
                    tracing::warn!(upload = self.id, %delete_error, "could not delete the mismatched file");
                }
            }
            return Err(error);
        }
        Ok(UploadOutcome {
            id: self.id,
            file: completion.file,
            sha256: completion.sha256,
            size: self.source.size,
            upload_url: completion.upload_url,
            reused: completion.reused,
        })
    }

    /// Reports the coming retry and waits the policy's delay.
    async fn backoff(&self, attempt: u32, error: &ClientError) {
        let delay: Duration = self.client.config.retry.delay(attempt, error);
        tracing::debug!(upload = self.id, attempt, ?delay, %error, "retrying");
        self.progress.state(UploadState::Retrying {
            attempt,
            delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            code: error.code().to_owned(),
            message: error.to_string(),
        });
        tokio::time::sleep(delay).await;
        self.progress.state(UploadState::Uploading);
    }

    /// The file's fingerprint, read once per upload.
    async fn fingerprint(&self) -> ClientResult<&Fingerprint> {
        self.fingerprint
            .get_or_try_init(|| self.source.fingerprint())
            .await
    }
}

/// Waits until the owner wants the upload running or cancelled.
async fn wait_for_run(control: &mut watch::Receiver<Control>) -> Control {
    loop {
        let wanted = *control.borrow_and_update();
        if wanted != Control::Pause {
            return wanted;
        }
        if control.changed().await.is_err() {
            // The handle is gone and the task is being aborted; the upload stays resumable.
            std::future::pending::<()>().await;
        }
    }
}

/// Resolves when the owner no longer wants the upload running (pause, cancel, or a dropped handle).
async fn left_run(control: &mut watch::Receiver<Control>) {
    loop {
        if control.changed().await.is_err() {
            // The handle is gone: nobody can resume or cancel; the task is being aborted.
            std::future::pending::<()>().await;
        }
        if *control.borrow_and_update() != Control::Run {
            return;
        }
    }
}
