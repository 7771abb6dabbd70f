//! `UploadClient`, mirroring the seed SDK: mint tokens, sign URLs locally, upload, and read or delete
//! File objects, for one server and one API key.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use mediasaur_api::messages::{CreateTokenRequest, FileList, TokenCreated};
use mediasaur_api::signed_url::{sign_url, SignedMethod, UrlSigningKey};
use mediasaur_api::{BucketName, ErrorCode, FileObject, ObjectPath};
use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::RequestBuilder;
use tokio::sync::Semaphore;
use url::Url;

use crate::error::{ClientError, ClientResult};
use crate::http;
use crate::secret::ApiKey;
use crate::upload::{
    self, BandwidthLimiter, Destination, MemoryResumeStore, ResumeStore, RetryPolicy,
    SingleRequest, UploadHandle, UploadOptions,
};

/// How a client uploads.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Files smaller than this go in one request; larger ones through tus. Default 8 MiB.
    pub single_request_max: u64,
    /// Which one-request method small files use.
    pub single_request: SingleRequest,
    /// tus PATCH size. Default 16 MiB.
    pub chunk_size: u64,
    /// Uploads sending at the same time. Default 4.
    pub concurrency: usize,
    /// Bytes per second shared by all uploads; `None` for unlimited.
    pub bandwidth_limit: Option<u64>,
    /// Retries of failed requests.
    pub retry: RetryPolicy,
    /// The tus endpoint; default `{endpoint}/uploads`. Another server's endpoint makes uploads plain
    /// tus (no File object to fetch afterwards).
    pub tus_endpoint: Option<Url>,
    /// Lifetime of the signed URLs and upload tokens single-request uploads mint. Default 15 min.
    pub credential_ttl: Duration,
    /// Connecting gives up after this long.
    pub connect_timeout: Duration,
    /// A request fails (and is retried) when no body bytes moved for this long, or a small request got
    /// no answer in this time. Default 60 s.
    pub idle_timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            single_request_max: 8 * 1024 * 1024,
            single_request: SingleRequest::SignedPut,
            chunk_size: 16 * 1024 * 1024,
            concurrency: 4,
            bandwidth_limit: None,
            retry: RetryPolicy::default(),
            tus_endpoint: None,
            credential_ttl: Duration::from_secs(900),
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// What every request and upload of one client shares.
pub(crate) struct ClientInner {
    pub http: reqwest::Client,
    /// The API's base URL, without a trailing slash in its path.
    pub endpoint: Url,
    pub key: ApiKey,
    /// `Bearer sk_…`, marked sensitive so no Debug output of a request shows it.
    auth_header: HeaderValue,
    pub config: ClientConfig,
    pub tus_endpoint: Url,
    /// Whether `tus_endpoint` is this API's own (so a finished upload has a File object).
    pub tus_is_ours: bool,
    pub slots: Arc<Semaphore>,
    pub limiter: BandwidthLimiter,
    pub resume_store: Arc<dyn ResumeStore>,
    next_upload: AtomicU64,
}

fn bearer(key: &ApiKey) -> ClientResult<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose())).map_err(|_| {
        ClientError::invalid(
            ErrorCode::Unauthorized,
            "the API key is not a valid header value",
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

impl std::fmt::Debug for ClientInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // By hand, because the key must not appear.
        f.debug_struct("ClientInner")
            .field("endpoint", &self.endpoint.as_str())
            .field("tus_endpoint", &self.tus_endpoint.as_str())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A client for one Upload API server, authenticated with an API key. Cheap to clone.
#[derive(Debug, Clone)]
pub struct UploadClient {
    inner: Arc<ClientInner>,
}

impl UploadClient {
    /// A client for the API at `endpoint` (e.g. `http://127.0.0.1:8080`), resuming uploads from memory.
    pub fn new(endpoint: &Url, key: ApiKey, config: ClientConfig) -> ClientResult<Self> {
        Self::with_resume_store(
            endpoint,
            key,
            config,
            Arc::new(MemoryResumeStore::default()),
        )
    }

    /// Like [`UploadClient::new`], saving resume states to `store` after every acknowledged chunk.
    pub fn with_resume_store(
        endpoint: &Url,
        key: ApiKey,
        config: ClientConfig,
        store: Arc<dyn ResumeStore>,
    ) -> ClientResult<Self> {
        let mut endpoint = endpoint.clone();
        let trimmed = endpoint.path().trim_end_matches('/').to_owned();
        endpoint.set_path(&trimmed);
        endpoint.set_query(None);
        let own_tus = Url::parse(&format!(
            "{}/uploads",
            endpoint.as_str().trim_end_matches('/')
        ))
        .map_err(|e| ClientError::invalid(ErrorCode::InvalidRequest, e.to_string()))?;
        if config.chunk_size == 0 || config.concurrency == 0 {
            return Err(ClientError::invalid(
                ErrorCode::InvalidRequest,
                "chunk size and concurrency must be at least 1",
            ));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("mediasaur/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::invalid(ErrorCode::InvalidRequest, e.to_string()))?;
        let tus_endpoint = config.tus_endpoint.clone().unwrap_or(own_tus.clone());
        Ok(Self {
            inner: Arc::new(ClientInner {
                http,
                tus_is_ours: tus_endpoint == own_tus,
                tus_endpoint,
                slots: Arc::new(Semaphore::new(config.concurrency)),
                limiter: BandwidthLimiter::new(config.bandwidth_limit),
                auth_header: bearer(&key)?,
                endpoint,
                key,
                config,
                resume_store: store,
                next_upload: AtomicU64::new(1),
            }),
        })
    }

    /// The API's base URL.
    pub fn endpoint(&self) -> &Url {
        &self.inner.endpoint
    }

    /// The bandwidth limit all uploads share; changing it affects uploads in flight.
    pub fn bandwidth(&self) -> &BandwidthLimiter {
        &self.inner.limiter
    }

    /// Mints a single-use upload token for `bucket`/`path` (`POST /token`).
    pub async fn create_token(
        &self,
        bucket: &str,
        path: &str,
        expires_in: Option<u64>,
        max_size: Option<u64>,
    ) -> ClientResult<TokenCreated> {
        self.inner
            .create_token_raw(&CreateTokenRequest {
                bucket: BucketName::parse(bucket)?,
                path: ObjectPath::parse(path)?,
                expires_in,
                max_size,
            })
            .await
    }

    /// A URL signed locally with the key (no network): `GET` to share a private file, `PUT` to let
    /// someone upload one file. Valid for `expires_in` seconds.
    pub fn sign_url(
        &self,
        method: SignedMethod,
        bucket: &str,
        path: &str,
        expires_in: u64,
        max_size: Option<u64>,
    ) -> ClientResult<Url> {
        if expires_in == 0 {
            return Err(ClientError::invalid(
                ErrorCode::InvalidRequest,
                "expires_in must be at least 1 second",
            ));
        }
        if max_size.is_some() && method != SignedMethod::Put {
            return Err(ClientError::invalid(
                ErrorCode::InvalidRequest,
                "max_size applies to PUT URLs only",
            ));
        }
        let constraints = max_size
            .map(|max| {
                (
                    mediasaur_api::signed_url::MAX_SIZE_PARAM.to_owned(),
                    max.to_string(),
                )
            })
            .into_iter()
            .collect();
        let expiry = chrono::Utc::now()
            .timestamp()
            .saturating_add(i64::try_from(expires_in).unwrap_or(i64::MAX));
        Ok(sign_url(
            &UrlSigningKey::derive(self.inner.key.expose()),
            &self.inner.endpoint,
            method,
            &BucketName::parse(bucket)?,
            &ObjectPath::parse(path)?,
            expiry,
            &constraints,
        ))
    }

    /// Starts uploading the file at `source` to `destination`; returns at once with its handle.
    pub fn upload(
        &self,
        source: &Path,
        destination: Destination,
        options: UploadOptions,
    ) -> ClientResult<UploadHandle> {
        let id = self.inner.next_upload.fetch_add(1, Ordering::Relaxed);
        upload::spawn(Arc::clone(&self.inner), id, source, destination, options)
    }

    /// One File object (`GET /files/{id}`).
    pub async fn get_file(&self, id: &str) -> ClientResult<FileObject> {
        let url = self.inner.files_url(Some(id))?;
        let response = http::send(
            self.inner.authed(self.inner.http.get(url)),
            &self.inner.endpoint,
        )
        .await?;
        http::envelope(response).await
    }

    /// One page of File objects (`GET /files`), ordered by bucket then path.
    pub async fn list_files(
        &self,
        bucket: Option<&BucketName>,
        prefix: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> ClientResult<FileList> {
        self.inner.list_files(bucket, prefix, cursor, limit).await
    }

    /// Deletes a File object (`DELETE /files/{id}`); returns it as it was.
    pub async fn delete_file(&self, id: &str) -> ClientResult<FileObject> {
        self.inner.delete_file(id).await
    }

    /// Tells a tus server to drop an unfinished upload (tus termination), e.g. one a canceled
    /// transfer left behind. An upload the server no longer has is not an error.
    pub async fn discard_upload(&self, upload_url: &Url) -> ClientResult<()> {
        let inner = &self.inner;
        let mut request = inner
            .http
            .delete(upload_url.clone())
            .header("Tus-Resumable", mediasaur_api::TUS_VERSION)
            .timeout(inner.config.idle_timeout);
        if let Some(credential) = inner.credential_for(upload_url) {
            request = request.header(AUTHORIZATION, credential);
        }
        match http::send(request, upload_url).await {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) if matches!(response.status().as_u16(), 404 | 410) => Ok(()),
            Ok(response) => Err(http::error_from(response).await),
            Err(error) => Err(error),
        }
    }
}

impl ClientInner {
    /// `request` with the API key and the idle timeout: for small requests to the API itself.
    pub(crate) fn authed(&self, request: RequestBuilder) -> RequestBuilder {
        request
            .header(AUTHORIZATION, self.auth_header.clone())
            .timeout(self.config.idle_timeout)
    }

    /// The `Authorization` header for `url`: only the API's own origin ever gets the key (a tus
    /// `Location` or a configured tus endpoint elsewhere gets nothing).
    pub(crate) fn credential_for(&self, url: &Url) -> Option<HeaderValue> {
        (url.origin() == self.endpoint.origin()).then(|| self.auth_header.clone())
    }

    /// `{endpoint}/{segments…}`, each segment percent-encoded, keeping a reverse proxy's path prefix.
    pub(crate) fn url_for(&self, segments: &str) -> ClientResult<Url> {
        let mut url = self.endpoint.clone();
        url.path_segments_mut()
            .map_err(|()| {
                ClientError::invalid(
                    ErrorCode::InvalidRequest,
                    "the endpoint cannot be a base URL",
                )
            })?
            .pop_if_empty()
            .extend(segments.split('/'));
        Ok(url)
    }

    fn files_url(&self, id: Option<&str>) -> ClientResult<Url> {
        match id {
            Some(id) if id.is_empty() || id.contains('/') => Err(ClientError::invalid(
                ErrorCode::NotFound,
                format!("{id:?} is not a file id"),
            )),
            Some(id) => self.url_for(&format!("files/{id}")),
            None => self.url_for("files"),
        }
    }

    pub(crate) async fn create_token_raw(
        &self,
        request: &CreateTokenRequest,
    ) -> ClientResult<TokenCreated> {
        let url = self.url_for("token")?;
        let response = http::send(
            self.authed(self.http.post(url).json(request)),
            &self.endpoint,
        )
        .await?;
        http::envelope(response).await
    }

    pub(crate) async fn list_files(
        &self,
        bucket: Option<&BucketName>,
        prefix: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> ClientResult<FileList> {
        let mut url = self.files_url(None)?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(bucket) = bucket {
                query.append_pair("bucket", bucket.as_str());
            }
            if !prefix.is_empty() {
                query.append_pair("prefix", prefix);
            }
            if let Some(cursor) = cursor {
                query.append_pair("cursor", cursor);
            }
            query.append_pair("limit", &limit.to_string());
        }
        let response = http::send(self.authed(self.http.get(url)), &self.endpoint).await?;
        http::envelope(response).await
    }

    pub(crate) async fn delete_file(&self, id: &str) -> ClientResult<FileObject> {
        let url = self.files_url(Some(id))?;
        let response = http::send(self.authed(self.http.delete(url)), &self.endpoint).await?;
        http::envelope(response).await
    }
}
