//! The HTTP surface: one router that every deployment (binary, tests, embedded) serves.

mod files;
mod json;
mod multipart;
mod objects;
mod signatures;
mod tokens;
mod tus;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderName, Method, StatusCode};
use axum::middleware;
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::Router;
use mediasaur_api::ErrorCode;
use tower::ServiceExt;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::response::{envelope_middleware, PendingEnvelope};
use crate::state::AppState;

pub use json::JsonBody;
pub(crate) use tus::EXPIRED;

/// The Upload API router.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/", post(multipart::upload))
        .route("/healthz", get(healthz))
        .route("/token", post(tokens::create))
        .route("/signatures", post(signatures::create))
        .route("/files", get(files::list))
        .route("/files/{id}", get(files::get).delete(files::delete))
        .merge(tus::router())
        .route("/{bucket}/{*path}", put(objects::put).get(objects::get))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Upload bodies stream to disk under their own limits; JSON bodies use `JsonBody`'s.
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn(envelope_middleware))
        .with_state(state);
    let with_cors = api
        .clone()
        .layer(cors())
        .layer(middleware::from_fn_with_state(
            api,
            bypass_cors_for_plain_options,
        ));
    // `Router::layer` runs after routing; the method override must run before it.
    Router::new()
        .fallback_service(
            tower::ServiceBuilder::new()
                .map_request(tus::apply_method_override)
                .layer(middleware::from_fn(tus::stamp_tus_resumable))
                .service(with_cors),
        )
        .layer(TraceLayer::new_for_http())
}

/// `CorsLayer` answers every OPTIONS request itself, but a plain OPTIONS (no
/// `Access-Control-Request-Method`) is tus discovery and must reach the tus handler.
async fn bypass_cors_for_plain_options(
    State(api): State<Router>,
    request: Request,
    next: Next,
) -> Response {
    let preflight = request
        .headers()
        .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if request.method() == Method::OPTIONS && !preflight {
        return match api.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
    }
    next.run(request).await
}

/// Browser uploads with tokens (the seeds' frontend flow) need CORS; credentials are bearer headers,
/// never cookies, so any origin may call.
fn cors() -> CorsLayer {
    let tus_headers = [
        "upload-offset",
        "upload-length",
        "upload-metadata",
        "upload-defer-length",
        "upload-concat",
        "upload-expires",
        "upload-checksum",
        "tus-resumable",
        "tus-version",
        "tus-extension",
        "tus-max-size",
        "tus-checksum-algorithm",
        "x-http-method-override",
        "x-requested-with",
    ];
    let mut allow: Vec<HeaderName> = vec![header::AUTHORIZATION, header::CONTENT_TYPE];
    allow.extend(tus_headers.iter().map(|h| HeaderName::from_static(h)));
    let mut expose: Vec<HeaderName> = vec![
        header::LOCATION,
        HeaderName::from_static("mediasaur-file-id"),
        HeaderName::from_static("x-request-id"),
    ];
    expose.extend(tus_headers.iter().map(|h| HeaderName::from_static(h)));
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(allow)
        .expose_headers(expose)
        .max_age(std::time::Duration::from_secs(86_400))
}

async fn healthz() -> impl IntoResponse {
    PendingEnvelope::data(StatusCode::OK, serde_json::json!({ "status": "ok" }))
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        "this endpoint does not accept that method",
    )
}
