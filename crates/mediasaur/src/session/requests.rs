//! Asking someone else for a file: mint a scoped upload token or a signed PUT URL for one bucket
//! and path, hand out a ready `curl` line, and watch the server until the file arrives, when it
//! joins the history.

use std::time::Duration;

use mediasaur_api::signed_url::SignedMethod;
use mediasaur_api::{BucketName, ErrorCode, FileObject, ObjectPath};
use serde::{Deserialize, Serialize};

use super::{Session, SessionEvent};
use crate::error::{ClientError, ClientResult};
use crate::intake::IntakeTarget;
use crate::store::history::{HistoryEntry, NewHistoryEntry};
use crate::store::requests::{NewRequest, StoredRequest, ARRIVAL_GRACE_MS};
use crate::UploadClient;

/// How often the server is asked whether a requested file arrived, while the request is fresh.
const POLL_EVERY: Duration = Duration::from_secs(2);
/// How often once it has waited [`FRESH_FOR`]: a request may stay open for days.
const POLL_LATER_EVERY: Duration = Duration::from_secs(30);
const FRESH_FOR: Duration = Duration::from_secs(10 * 60);

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
    /// Local id.
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

/// How many requests the list shows.
const LISTED_REQUESTS: i64 = 200;

impl RequestMethod {
    fn as_str(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::SignedPut => "signed_put",
        }
    }

    fn from_column(value: &str) -> ClientResult<Self> {
        match value {
            "token" => Ok(Self::Token),
            "signed_put" => Ok(Self::SignedPut),
            other => Err(ClientError::Database {
                doing: "reading an upload request",
                message: format!("unknown request method {other:?}"),
            }),
        }
    }
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
        let bucket = IntakeTarget::for_profile(&profile, input.bucket.as_deref(), None)?.bucket;
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
                // --form-string: a path may hold `;` or `,`, which -F would read as options.
                let curl = format!(
                    "curl -sS {} -H {} --form-string {} -F file=@FILE",
                    shell_quote(&url),
                    shell_quote(&format!("Authorization: Bearer {}", created.token)),
                    shell_quote(&format!("path={}", path.as_str()))
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
                let curl = format!("curl -sS -T FILE {}", shell_quote(url.as_str()));
                (url.to_string(), None, curl)
            }
        };
        let id = self
            .database()
            .add_upload_request(&NewRequest {
                profile: &profile.name,
                method: input.method.as_str(),
                bucket: bucket.as_str(),
                path: path.as_str(),
                url: &url,
                token: token.as_deref(),
                curl: &curl,
                asked_at: asked_at.timestamp_millis(),
                expires_at,
            })
            .await?;
        tokio::spawn(self.clone().await_arrival(id));
        self.emit(SessionEvent::RequestsChanged);
        Ok(UploadRequest {
            id,
            method: input.method,
            bucket: bucket.as_str().to_owned(),
            path: path.as_str().to_owned(),
            url,
            token,
            curl,
            expires_at,
            arrived: None,
        })
    }

    /// The newest requests, newest first, with the history entries their files became.
    pub async fn upload_requests(&self) -> ClientResult<Vec<UploadRequest>> {
        let mut requests = Vec::new();
        for stored in self.database().upload_requests(LISTED_REQUESTS).await? {
            let arrived = match stored.history_id {
                Some(id) => match self.database().history_entry(id).await {
                    Ok(entry) => Some(entry),
                    Err(ClientError::NotFound { .. }) => None,
                    Err(error) => return Err(error),
                },
                None => None,
            };
            requests.push(UploadRequest {
                id: stored.id,
                method: RequestMethod::from_column(&stored.method)?,
                bucket: stored.bucket,
                path: stored.path,
                url: stored.url,
                token: stored.token,
                curl: stored.curl,
                expires_at: stored.expires_at,
                arrived,
            });
        }
        Ok(requests)
    }

    /// Starts looking again for the files of requests handed out before the app last stopped.
    pub(super) async fn resume_requests(&self) -> ClientResult<()> {
        for id in self.database().open_upload_requests().await? {
            tokio::spawn(self.clone().await_arrival(id));
        }
        Ok(())
    }

    /// Polls the server until the requested file is there (then records it) or the request
    /// expired, or the session closes.
    async fn await_arrival(self, id: i64) {
        let open = match self.database().upload_request(id).await {
            Ok(open) if open.arrived_at.is_none() => open,
            Ok(_) => return,
            Err(error) => return tracing::warn!(%error, request = id, "reading a request failed"),
        };
        let give_up = open.expires_at + ARRIVAL_GRACE_MS;
        let started = tokio::time::Instant::now();
        // One client for the whole wait; made again after a failure (a key or endpoint changed).
        let mut client = None;
        loop {
            let checked = match client.take() {
                Some(ready) => Ok(ready),
                None => self.client_for(&open.profile).await,
            };
            match checked {
                Ok(ready) => match arrived_file(&ready, &open).await {
                    Ok(Some(file)) => return self.record_arrival(&open, file).await,
                    Ok(None) => client = Some(ready),
                    Err(error) => {
                        tracing::debug!(%error, request = id, "checking a request failed");
                    }
                },
                Err(error) => tracing::debug!(%error, request = id, "making a client failed"),
            }
            if chrono::Utc::now().timestamp_millis() > give_up {
                return;
            }
            let wait = if started.elapsed() < FRESH_FOR {
                POLL_EVERY
            } else {
                POLL_LATER_EVERY
            };
            tokio::select! {
                () = self.inner.shutdown.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn record_arrival(&self, open: &StoredRequest, file: FileObject) {
        // No local copy was read, so there is no local SHA-256 to verify against.
        let entry = NewHistoryEntry {
            profile: open.profile.clone(),
            source: None,
            sha256: String::new(),
            file,
        };
        let recorded = match self.database().record_upload(&entry).await {
            Ok(history_id) => {
                self.database()
                    .mark_request_arrived(open.id, history_id)
                    .await
            }
            Err(error) => Err(error),
        };
        match recorded {
            Ok(()) => {
                self.emit(SessionEvent::HistoryChanged);
                self.emit(SessionEvent::RequestsChanged);
            }
            Err(error) => tracing::warn!(%error, "recording a requested upload failed"),
        }
    }
}

/// The file at the request's path, when it was made after the request was asked.
async fn arrived_file(
    client: &UploadClient,
    open: &StoredRequest,
) -> ClientResult<Option<FileObject>> {
    let bucket = BucketName::parse(&open.bucket)?;
    let page = client
        .list_files(Some(&bucket), &open.path, None, 10)
        .await?;
    Ok(page
        .files
        .into_iter()
        .find(|f| f.path == open.path && f.created.timestamp_millis() >= open.asked_at))
}

/// `text` as one POSIX shell word, whatever it holds.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn quotes_survive_a_shell() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("Bob's photo.jpg"), "'Bob'\\''s photo.jpg'");
    }
}
