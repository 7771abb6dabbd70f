//! Who is calling: an API key (`sk_…`, full access) or an upload token (`token_…`, one bucket and path).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use mediasaur_api::token::{self, TokenError, UploadClaims};
use mediasaur_api::{ErrorCode, API_KEY_PREFIX, TOKEN_PREFIX};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::{db, keys};

/// An authenticated caller.
#[derive(Debug, Clone)]
pub enum Caller {
    /// An active API key.
    Key {
        /// Its id (`key_…`).
        key_id: String,
    },
    /// A token this server minted, whose key is still active, with a valid signature.
    Token {
        /// Its claims.
        claims: UploadClaims,
        /// Past `exp`: such a token may only continue the upload it created.
        expired: bool,
    },
}

impl Caller {
    /// The key id, or `forbidden` for a token.
    pub fn require_key(&self) -> ApiResult<&str> {
        match self {
            Self::Key { key_id } => Ok(key_id),
            Self::Token { .. } => Err(ApiError::new(
                ErrorCode::Forbidden,
                "this endpoint needs an API key; upload tokens only upload",
            )),
        }
    }

    /// Fails with `token_expired` for an expired token.
    pub fn require_fresh(&self) -> ApiResult<()> {
        match self {
            Self::Token { expired: true, .. } => Err(TokenError::Expired.into_api()),
            _ => Ok(()),
        }
    }
}

trait IntoApi {
    fn into_api(self) -> ApiError;
}

impl IntoApi for TokenError {
    fn into_api(self) -> ApiError {
        ApiError::new(self.code(), self.to_string())
    }
}

/// The error for a request without an `Authorization` header.
pub fn missing_credentials() -> ApiError {
    unauthorized("this request needs `Authorization: Bearer sk_…` or `Bearer token_…`")
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Unauthorized, message)
}

/// The caller named by the `Authorization` header, if there is one.
pub async fn from_headers(state: &AppState, headers: &HeaderMap) -> ApiResult<Option<Caller>> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let credential = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or_else(|| {
            unauthorized("the Authorization header must be `Bearer sk_…` or `Bearer token_…`")
        })?;
    if credential.starts_with(API_KEY_PREFIX) {
        return match keys::authenticate(state.db(), credential).await? {
            Some(key_id) => Ok(Some(Caller::Key { key_id })),
            None => Err(unauthorized("the API key is not valid or has been revoked")),
        };
    }
    if credential.starts_with(TOKEN_PREFIX) {
        return verify_token(state, credential).await.map(Some);
    }
    Err(unauthorized(
        "the credential is neither an API key (sk_…) nor an upload token (token_…)",
    ))
}

async fn verify_token(state: &AppState, raw: &str) -> ApiResult<Caller> {
    let now = db::unix_now();
    let (claims, expired) = match token::verify(raw, state.token_secret(), now) {
        Ok(claims) => (claims, false),
        Err(TokenError::Expired) => {
            // Signature and audience were checked before expiry, so the claims are genuine.
            (
                token::decode_unverified(raw).map_err(IntoApi::into_api)?,
                true,
            )
        }
        Err(e) => return Err(e.into_api()),
    };
    let known: Option<String> = sqlx::query_scalar(
        "SELECT t.jti FROM tokens t JOIN api_keys k ON k.id = t.key_id
         WHERE t.jti = ? AND k.revoked_at IS NULL",
    )
    .bind(&claims.jti)
    .fetch_optional(state.db())
    .await?;
    if known.is_none() {
        return Err(unauthorized(
            "the token was not issued by this server, or the key that issued it was revoked",
        ));
    }
    Ok(Caller::Token { claims, expired })
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        from_headers(state, &parts.headers)
            .await?
            .ok_or_else(missing_credentials)
    }
}

/// Marks token `jti` used, atomically; `token_used` if it already was. `upload_id` binds a tus upload.
pub async fn consume_token(
    state: &AppState,
    claims: &UploadClaims,
    upload_id: Option<&str>,
) -> ApiResult<()> {
    let done = sqlx::query(
        "UPDATE tokens SET used_at = ?, upload_id = ? WHERE jti = ? AND used_at IS NULL",
    )
    .bind(db::now_text())
    .bind(upload_id)
    .bind(&claims.jti)
    .execute(state.db())
    .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::TokenUsed,
            "this upload token was already used; mint a new one",
        ))
    }
}

/// Makes a consumed token usable again after an upload that failed before storing anything.
pub async fn release_token(state: &AppState, claims: &UploadClaims) {
    let released = sqlx::query("UPDATE tokens SET used_at = NULL, upload_id = NULL WHERE jti = ?")
        .bind(&claims.jti)
        .execute(state.db())
        .await;
    if let Err(e) = released {
        tracing::warn!(jti = %claims.jti, "could not release an upload token: {e}");
    }
}

impl Caller {
    /// Where this caller may upload, given the bucket and path the request names. With a key the bucket
    /// is required; with a token the path must be the token's and the bucket absent or the token's.
    pub fn upload_target(
        &self,
        bucket: Option<&str>,
        path: Option<&str>,
    ) -> ApiResult<(mediasaur_api::BucketName, mediasaur_api::ObjectPath)> {
        use mediasaur_api::{BucketName, ObjectPath};
        let required = || ApiError::new(ErrorCode::InvalidPath, "a destination path is required");
        match self {
            Self::Key { .. } => {
                let path = ObjectPath::parse(path.ok_or_else(required)?)?;
                let bucket = bucket.filter(|b| !b.is_empty()).ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::BucketRequired,
                        "uploads with an API key must name a bucket",
                    )
                })?;
                Ok((BucketName::parse(bucket)?, path))
            }
            Self::Token { claims, .. } => {
                let path = ObjectPath::parse(path.unwrap_or(&claims.pth))?;
                if path.as_str() != claims.pth {
                    return Err(ApiError::new(
                        ErrorCode::PathMismatch,
                        format!("this token uploads to {:?} only", claims.pth),
                    ));
                }
                if bucket.is_some_and(|b| !b.is_empty() && b != claims.bkt) {
                    return Err(ApiError::new(
                        ErrorCode::PathMismatch,
                        format!("this token uploads to bucket {:?} only", claims.bkt),
                    ));
                }
                Ok((BucketName::parse(&claims.bkt)?, path))
            }
        }
    }

    /// The byte limit the caller's token sets, if any.
    pub fn token_limit(&self) -> Option<u64> {
        match self {
            Self::Token { claims, .. } => claims.max,
            Self::Key { .. } => None,
        }
    }
}
