//! Upload request commands: let someone without an account upload one file.

use mediasaur::session::{UploadRequest, UploadRequestInput};
use tauri::State;

use crate::error::CommandResult;
use crate::state::AppState;

/// Mints a token or signed PUT URL and watches for the file.
#[tauri::command]
pub async fn request_upload(
    state: State<'_, AppState>,
    input: UploadRequestInput,
) -> CommandResult<UploadRequest> {
    Ok(state.session.request_upload(input).await?)
}

/// The newest requests, newest first (kept across restarts).
#[tauri::command]
pub async fn list_requests(state: State<'_, AppState>) -> CommandResult<Vec<UploadRequest>> {
    Ok(state.session.upload_requests().await?)
}
