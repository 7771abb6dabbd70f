//! `POST /signatures`: the server signs a URL with the calling key's URL-signing key, for clients that
//! cannot sign themselves (the seeds' signatures endpoint).

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use mediasaur_api::messages::{CreateSignatureRequest, SignatureCreated};
use mediasaur_api::signed_url::{sign_url, SignedMethod, MAX_SIZE_PARAM};
use mediasaur_api::ErrorCode;

use super::tokens::{lifetime, require_bucket};
use super::JsonBody;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::response::PendingEnvelope;
use crate::state::AppState;
use crate::{db, keys};

/// Signed URLs live at most a week.
const MAX_URL_TTL_SECS: u64 = 7 * 86_400;

pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(request): JsonBody<CreateSignatureRequest>,
) -> ApiResult<PendingEnvelope> {
    let key_id = caller.require_key()?;
    let method = SignedMethod::parse(&request.method)
        .filter(|_| !request.method.eq_ignore_ascii_case("head"))
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidRequest,
                "method must be \"get\" or \"put\"",
            )
        })?;
    require_bucket(&state, &request.bucket).await?;
    let expiry = db::unix_now() + lifetime(request.expires_in, 3600, MAX_URL_TTL_SECS)?;
    let mut constraints = BTreeMap::new();
    if let Some(max) = request.max_size {
        if method != SignedMethod::Put {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                "max_size applies to put only",
            ));
        }
        constraints.insert(MAX_SIZE_PARAM.to_owned(), max.to_string());
    }
    let key = keys::signing_key(state.db(), key_id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "the API key was revoked"))?;
    let url = sign_url(
        &key,
        &state.config().public_url,
        method,
        &request.bucket,
        &request.path,
        expiry,
        &constraints,
    );
    Ok(PendingEnvelope::data(
        StatusCode::CREATED,
        SignatureCreated {
            url: url.into(),
            method: method.as_str().to_owned(),
            expiry,
        },
    ))
}
