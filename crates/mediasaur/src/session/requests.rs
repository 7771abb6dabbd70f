//! Asking someone else for a file: mint a scoped upload token or a signed PUT URL for one bucket
//! and path, hand out a ready `curl` line, and watch the server until the file arrives, when it
//! joins the history.

use std::time::Duration;

use mediasaur_api::signed_url::SignedMethod;
use mediasaur_api::{BucketName, ErrorCode, FileObject, ObjectPath};
use serde::{Deserialize, Serialize};

use super::{lock, Session, SessionEvent};
use crate::error::{ClientError, ClientResult};
use crate::store::history::{HistoryEntry, NewHistoryEntry};

/// How often the server is asked whether a requested file arrived.
const POLL_EVERY: Duration = Duration::from_secs(2);

/// How a collaborator uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RequestMethod {
    /// A single-use upload token for a multipart `POST /`.
    Token,
    /// A signed URL for one `PUT`.
    SignedPut,
}

/// A file to ask for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UploadRequestInput {
    /// Profile (default: the default profile).
    pub profile: Option<String>,
    /// Bucket (default: the profile's).
    pub bucket: Option<String>,
    /// The exact path the file must land at.
    pub path: String,
    /// Seconds the token or URL stays valid.
    pub expires_in: u64,
    /// Token or signed PUT URL.
    pub method: RequestMethod,
}

/// A request handed out, and whether its file arrived.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UploadRequest {
    /// Local id (this run of the app).
    pub id: i64,
    /// How the collaborator uploads.
    pub method: RequestMethod,
    /// Bucket.
    pub bucket: String,
    /// Path.
    pub path: String,
    /// Where to send the file: the signed PUT URL, or the endpoint to `POST` to with the token.
    pub url: String,
    /// The upload token (method `token`).
    pub token: Option<String>,
    /// A ready command line, with `FILE` standing for the file to send.
    pub curl: String,
    /// When the token or URL stops working, ms since the Unix epoch.
    pub expires_at: i64,
    /// The history entry the file became, once it arrived.
    pub arrived: Option<HistoryEntry>,
}

/// A request and who asked.
#[derive(Debug, Clone)]
pub(super) struct OpenRequest {
    request: UploadRequest,
    profile: String,
    /// Files at the path made before the request do not count as its arrival.
    asked_at: chrono::DateTime<chrono::Utc>,
}

impl Session {
    /// Mints the token or signed URL and starts watching for the file.
    pub async fn request_upload(&self, input: UploadRequestInput) -> ClientResult<UploadRequest> {
        if input.expires_in == 0 || input.expires_in > crate::settings::MAX_LINK_EXPIRY {
            return Err(ClientError::invalid(
                ErrorCode::InvalidRequest,
                "a request must expire between 1 second and 365 days from now",
            ));
        }
        let profile = self.stores().profiles.get(input.profile.as_deref())?;
        let bucket = match (
            input.bucket.as_deref().filter(|b| !b.is_empty()),
            &profile.bucket,
        ) {
            (Some(bucket), _) => BucketName::parse(bucket)?,
            (None, Some(bucket)) => bucket.clone(),
            (None, None) => {
                return Err(ClientError::invalid(
                    ErrorCode::BucketRequired,
                    "choose a bucket for the requested file",
                ))
            }
        };
        let path = ObjectPath::parse(input.path.trim().trim_start_matches('/'))?;
        let client = self.client_for(&profile.name).await?;
        let asked_at = chrono::Utc::now();
        let expires_at = asked_at.timestamp_millis()
            + i64::try_from(input.expires_in * 1000).unwrap_or(i64::MAX);
        let (url, token, curl) = match input.method {
            RequestMethod::Token => {
                let created = client
                    .create_token(bucket.as_str(), path.as_str(), Some(input.expires_in), None)
                    .await?;
                let url = client.endpoint().to_string();
                // The server wants the token's path as a field too, before the bytes.
                let curl = format!(
                    "curl -sS '{url}' -H 'Authorization: Bearer {}' -F 'path={}' -F file=@FILE",
                    created.token,
                    path.as_str()
                );
                (url, Some(created.token), curl)
            }
            RequestMethod::SignedPut => {
                let url = client.sign_url(
                    SignedMethod::Put,
                    bucket.as_str(),
                    path.as_str(),
                    input.expires_in,
                    None,
                )?;
                let curl = format!("curl -sS -T FILE '{url}'");
                (url.to_string(), None, curl)
            }
        };
        let request = {
            let mut requests = lock(&self.inner.requests);
            let request = UploadRequest {
                id: i64::try_from(requests.len()).unwrap_or(i64::MAX) + 1,
                method: input.method,
                bucket: bucket.as_str().to_owned(),
                path: path.as_str().to_owned(),
                url,
                token,
                curl,
                expires_at,
                arrived: None,
            };
            requests.push(OpenRequest {
                request: request.clone(),
                profile: profile.name.clone(),
                asked_at,
            });
            request
        };
        tokio::spawn(self.clone().await_arrival(request.id));
        self.emit(SessionEvent::RequestsChanged);
        Ok(request)
    }

    /// The requests of this run, newest first.
    pub fn upload_requests(&self) -> Vec<UploadRequest> {
        let requests = lock(&self.inner.requests);
        requests.iter().rev().map(|r| r.request.clone()).collect()
    }

    /// Polls the server until the requested file is there (then records it) or the request
    /// expired, or the session closes.
    async fn await_arrival(self, id: i64) {
        let Some(open) = lock(&self.inner.requests)
            .iter()
            .find(|r| r.request.id == id)
            .cloned()
        else {
            return;
        };
        // A file may still be arriving when the token expires: look a little longer.
        let give_up = open.request.expires_at + 60_000;
        loop {
            match self.arrived_file(&open).await {
                Ok(Some(file)) => return self.record_arrival(&open, file).await,
                Ok(None) => {}
                Err(error) => tracing::debug!(%error, request = id, "checking a request failed"),
            }
            if chrono::Utc::now().timestamp_millis() > give_up {
                return;
            }
            tokio::select! {
                () = self.inner.shutdown.cancelled() => return,
                () = tokio::time::sleep(POLL_EVERY) => {}
            }
        }
    }

    async fn arrived_file(&self, open: &OpenRequest) -> ClientResult<Option<FileObject>> {
        let client = self.client_for(&open.profile).await?;
        let bucket = BucketName::parse(&open.request.bucket)?;
        let page = client
            .list_files(Some(&bucket), &open.request.path, None, 10)
            .await?;
        Ok(page
            .files
            .into_iter()
            .find(|f| f.path == open.request.path && f.created >= open.asked_at))
    }

    async fn record_arrival(&self, open: &OpenRequest, file: FileObject) {
        // No local copy was read, so there is no local SHA-256 to verify against.
        let entry = NewHistoryEntry {
            profile: open.profile.clone(),
            source: None,
            sha256: String::new(),
            file,
        };
        let recorded = match self.database().record_upload(&entry).await {
            Ok(id) => self.database().history_entry(id).await,
            Err(error) => Err(error),
        };
        match recorded {
            Ok(entry) => {
                if let Some(open) = lock(&self.inner.requests)
                    .iter_mut()
                    .find(|r| r.request.id == open.request.id)
                {
                    open.request.arrived = Some(entry);
                }
                self.emit(SessionEvent::HistoryChanged);
                self.emit(SessionEvent::RequestsChanged);
            }
            Err(error) => tracing::warn!(%error, "recording a requested upload failed"),
        }
    }
}
