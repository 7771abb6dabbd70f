//! `POST /token`: an API key mints a single-use upload token for one bucket and path.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use mediasaur_api::messages::{CreateTokenRequest, TokenCreated};
use mediasaur_api::token::{self, UploadClaims, AUDIENCE};
use mediasaur_api::{
    new_id, BucketName, ErrorCode, IdPrefix, DEFAULT_TOKEN_TTL_SECS, MAX_TOKEN_TTL_SECS,
};

use super::JsonBody;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::response::PendingEnvelope;
use crate::state::AppState;
use crate::{buckets, db};

/// Checks a requested lifetime against `1..=max`, defaulting to `default`.
pub(super) fn lifetime(requested: Option<u64>, default: u64, max: u64) -> ApiResult<i64> {
    let secs = requested.unwrap_or(default);
    if secs == 0 || secs > max {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("expires_in must be between 1 and {max} seconds"),
        ));
    }
    Ok(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// Fails with `not_found` unless `bucket` exists.
pub(super) async fn require_bucket(
    state: &AppState,
    bucket: &BucketName,
) -> ApiResult<buckets::Bucket> {
    buckets::get(state.db(), bucket)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("no bucket named {bucket}")))
}

pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(request): JsonBody<CreateTokenRequest>,
) -> ApiResult<PendingEnvelope> {
    let key_id = caller.require_key()?;
    require_bucket(&state, &request.bucket).await?;
    let ttl = lifetime(
        request.expires_in,
        DEFAULT_TOKEN_TTL_SECS,
        MAX_TOKEN_TTL_SECS,
    )?;
    if request.max_size == Some(0) {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "max_size must be at least 1 byte",
        ));
    }
    let now = db::unix_now();
    let claims = UploadClaims {
        iss: state.public_base().to_owned(),
        aud: AUDIENCE.to_owned(),
        bkt: request.bucket.to_string(),
        pth: request.path.to_string(),
        max: request.max_size,
        exp: now + ttl,
        nbf: now,
        iat: now,
        jti: new_id(IdPrefix::Token),
    };
    sqlx::query(
        "INSERT INTO tokens (jti, key_id, bucket, path, max_size, expires_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&claims.jti)
    .bind(key_id)
    .bind(&claims.bkt)
    .bind(&claims.pth)
    .bind(claims.max.map(|m| i64::try_from(m).unwrap_or(i64::MAX)))
    .bind(claims.exp)
    .bind(db::now_text())
    .execute(state.db())
    .await?;
    let expires_at = Utc
        .timestamp_opt(claims.exp, 0)
        .single()
        .map(db::to_text)
        .unwrap_or_default();
    Ok(PendingEnvelope::data(
        StatusCode::CREATED,
        TokenCreated {
            token: token::encode(&claims, state.token_secret()),
            expires_at,
            bucket: claims.bkt,
            path: claims.pth,
            max_size: claims.max,
        },
    ))
}
