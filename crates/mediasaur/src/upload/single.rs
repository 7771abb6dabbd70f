//! Small files in one request: a `PUT` to a URL signed locally with the key (one round trip), or a
//! multipart `POST /` with a freshly minted single-use upload token (the seeds' frontend flow).

use mediasaur_api::messages::{CreateTokenRequest, TokenCreated};
use mediasaur_api::signed_url::{sign_url, SignedMethod, UrlSigningKey, MAX_SIZE_PARAM};
use mediasaur_api::{ErrorCode, FileObject};
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH};
use std::collections::BTreeMap;

use super::{Completion, Job};
use crate::error::{ClientError, ClientResult};
use crate::http;

/// How a file below the single-request threshold is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SingleRequest {
    /// `PUT` to a locally signed URL carrying `max_size` = the file's size.
    #[default]
    SignedPut,
    /// `POST /token`, then a multipart `POST /` with that token.
    MultipartToken,
}

impl Job {
    pub(crate) async fn run_single(&self, how: SingleRequest) -> ClientResult<Completion> {
        let mut failures = 0;
        let mut token: Option<String> = None;
        loop {
            self.source.check_unchanged()?;
            let attempt = match how {
                SingleRequest::SignedPut => self.signed_put().await,
                SingleRequest::MultipartToken => self.multipart(&mut token).await,
            };
            let error = match attempt {
                Ok(completion) => return Ok(completion),
                Err(error) => error,
            };
            failures += 1;
            match error.api_code() {
                // We signed that URL a moment ago: either the key is not (or no longer) valid
                // there, or the server's public URL is not the endpoint we signed for.
                Some(ErrorCode::SignatureInvalid) => {
                    return Err(self.explain_refused_signature(error).await)
                }
                // Re-mint rather than fail: the token ran out while the upload queued or retried.
                Some(ErrorCode::TokenExpired | ErrorCode::TokenUsed)
                    if failures < self.client.config.retry.max_attempts =>
                {
                    token = None;
                    continue;
                }
                _ => {}
            }
            if !self.client.config.retry.should_retry(failures, &error) {
                return Err(error);
            }
            self.source.check_unchanged()?;
            self.backoff(failures, &error).await;
        }
    }

    async fn signed_put(&self) -> ClientResult<Completion> {
        let client = &self.client;
        let size = self.source.size;
        let constraints = BTreeMap::from([(MAX_SIZE_PARAM.to_owned(), size.max(1).to_string())]);
        let url = sign_url(
            &UrlSigningKey::derive(client.key.expose()),
            &client.endpoint,
            SignedMethod::Put,
            &self.destination.bucket,
            &self.destination.path,
            chrono::Utc::now().timestamp() + self.credential_ttl_secs(),
            &constraints,
        );
        self.send_whole_file(|body| client.http.put(url).header(CONTENT_LENGTH, size).body(body))
            .await
    }

    /// Streams the whole file in the request `build` makes of the body, and takes the File object
    /// from the answer along with the SHA-256 of the bytes read.
    async fn send_whole_file(
        &self,
        build: impl FnOnce(reqwest::Body) -> reqwest::RequestBuilder,
    ) -> ClientResult<Completion> {
        let client = &self.client;
        self.progress.reset_to(0);
        let (body, digest, activity) =
            self.source
                .body(0, self.source.size, &client.limiter, &self.progress, true);
        let request = build(body);
        let response = http::send_streaming(
            request,
            &client.endpoint,
            &activity,
            client.config.idle_timeout,
        )
        .await?;
        let file: FileObject = http::envelope(response).await?;
        let sha256 = hex::encode(digest.await.map_err(|_| ClientError::Interrupted)??);
        Ok(Completion {
            file: Some(file),
            sha256,
            upload_url: None,
            reused: false,
        })
    }

    async fn explain_refused_signature(&self, refused: ClientError) -> ClientError {
        match self.client.list_files(None, "", None, 1).await {
            Err(error) if error.api_code() == Some(ErrorCode::Unauthorized) => error,
            Ok(_) => ClientError::Config(format!(
                "the server accepts the API key but refused a URL signed for {}: its public URL is \
                 probably another host or port; use that as the profile's endpoint",
                self.client.endpoint.origin().ascii_serialization()
            )),
            Err(_) => refused,
        }
    }

    fn credential_ttl_secs(&self) -> i64 {
        i64::try_from(self.client.config.credential_ttl.as_secs().max(1)).unwrap_or(i64::MAX)
    }

    async fn mint_token(&self) -> ClientResult<String> {
        let created: TokenCreated = self
            .client
            .create_token_raw(&CreateTokenRequest {
                bucket: self.destination.bucket.clone(),
                path: self.destination.path.clone(),
                expires_in: Some(self.credential_ttl_secs().unsigned_abs()),
                max_size: Some(self.source.size.max(1)),
            })
            .await?;
        Ok(created.token)
    }

    async fn multipart(&self, token: &mut Option<String>) -> ClientResult<Completion> {
        let client = &self.client;
        // A token kept from a failed attempt is re-minted once it is about to expire, rather than
        // sent to be refused (a refusal can even come back as a broken pipe mid-body).
        let now = chrono::Utc::now().timestamp();
        let usable = token.as_deref().is_some_and(|t| {
            mediasaur_api::token::decode_unverified(t).is_ok_and(|claims| claims.exp > now + 1)
        });
        let credential = match token {
            Some(token) if usable => token.clone(),
            _ => token.insert(self.mint_token().await?).clone(),
        };
        let url = client.url_for("")?;
        let (size, name) = (
            self.source.size,
            self.destination.path.file_name().to_owned(),
        );
        let path = self.destination.path.to_string();
        self.send_whole_file(|body| {
            let file = reqwest::multipart::Part::stream_with_length(body, size).file_name(name);
            let form = reqwest::multipart::Form::new()
                .text("path", path)
                .part("file", file);
            client
                .http
                .post(url)
                .header(AUTHORIZATION, format!("Bearer {credential}"))
                .multipart(form)
        })
        .await
    }
}
