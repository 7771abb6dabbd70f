//! The `thumb://` protocol: serves a history entry's or a transfer's local image to the web view,
//! which has no file system access of its own. Only files the history or the queue names, and
//! only raster images, are served.

use std::borrow::Cow;

use tauri::http::{Request, Response, StatusCode};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};

use crate::state::AppState;

/// Files larger than this are not read for a thumbnail.
const MAX_THUMBNAIL_SOURCE: u64 = 64 * 1024 * 1024;

/// The protocol's name.
pub const SCHEME: &str = "thumb";

/// Answers `thumb://localhost/history/<id>` and `thumb://localhost/transfer/<id>`.
pub fn handle<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let session = ctx.app_handle().state::<AppState>().session.clone();
    let path = request.uri().path().to_owned();
    tauri::async_runtime::spawn(async move {
        let response = match parse(&path) {
            Some((transfer, id)) => match session.thumbnail_source(transfer, id).await {
                Ok(Some((file, mime))) => read(&file, mime).await,
                Ok(None) | Err(_) => status(StatusCode::NOT_FOUND),
            },
            None => status(StatusCode::BAD_REQUEST),
        };
        responder.respond(response);
    });
}

/// `/history/12` → `(false, 12)`, `/transfer/3` → `(true, 3)`.
fn parse(path: &str) -> Option<(bool, i64)> {
    let (kind, id) = path.trim_start_matches('/').split_once('/')?;
    let transfer = match kind {
        "history" => false,
        "transfer" => true,
        _ => return None,
    };
    Some((transfer, id.parse().ok()?))
}

async fn read(file: &std::path::Path, mime: &str) -> Response<Cow<'static, [u8]>> {
    match tokio::fs::metadata(file).await {
        Ok(metadata) if metadata.len() <= MAX_THUMBNAIL_SOURCE => {}
        _ => return status(StatusCode::NOT_FOUND),
    }
    match tokio::fs::read(file).await {
        Ok(bytes) => Response::builder()
            .header("Content-Type", mime)
            .header("Cache-Control", "max-age=60")
            .body(Cow::Owned(bytes))
            .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR)),
        Err(_) => status(StatusCode::NOT_FOUND),
    }
}

fn status(code: StatusCode) -> Response<Cow<'static, [u8]>> {
    let mut response = Response::new(Cow::Borrowed(&[][..]));
    *response.status_mut() = code;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_history_and_transfer_ids_parse() {
        assert_eq!(parse("/history/12"), Some((false, 12)));
        assert_eq!(parse("/transfer/3"), Some((true, 3)));
        assert_eq!(parse("/history/x"), None);
        assert_eq!(parse("/etc/passwd"), None);
        assert_eq!(parse("/history"), None);
    }
}
