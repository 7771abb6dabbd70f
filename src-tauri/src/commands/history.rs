//! History commands: search, share, open, reveal, delete.

use mediasaur::session::ShareLinkMade;
use mediasaur::store::search::{HistoryPage, HistoryQuery};
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

/// A page of the history.
#[tauri::command]
pub async fn search_history(
    state: State<'_, AppState>,
    query: HistoryQuery,
) -> CommandResult<HistoryPage> {
    Ok(state.session.search_history(&query).await?)
}

/// A signed link to the file, valid `expires_in` seconds (recorded with the entry).
#[tauri::command]
pub async fn share_link(
    state: State<'_, AppState>,
    history_id: i64,
    expires_in: u64,
) -> CommandResult<ShareLinkMade> {
    Ok(state.session.share_link(history_id, expires_in).await?)
}

/// Opens the file's URL in the default browser.
#[tauri::command]
pub async fn open_in_browser(
    app: AppHandle,
    state: State<'_, AppState>,
    history_id: i64,
) -> CommandResult<()> {
    let url = state.session.file_url(history_id).await?;
    app.opener()
        .open_url(url, None::<&str>)
        .map_err(|e| CommandError::new("open_failed", format!("cannot open the browser: {e}")))
}

/// Shows the local file in the file manager.
#[tauri::command]
pub async fn reveal_local_file(
    app: AppHandle,
    state: State<'_, AppState>,
    history_id: i64,
) -> CommandResult<()> {
    let path = state.session.local_source(history_id).await?;
    app.opener().reveal_item_in_dir(&path).map_err(|e| {
        CommandError::new(
            "open_failed",
            format!("cannot show {}: {e}", path.display()),
        )
    })
}

/// Deletes the file on the server and forgets it.
#[tauri::command]
pub async fn delete_remote_file(state: State<'_, AppState>, history_id: i64) -> CommandResult<()> {
    Ok(state.session.delete_remote_file(history_id).await?)
}
