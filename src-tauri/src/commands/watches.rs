//! Watched-folder commands.

use mediasaur::session::WatchView;
use mediasaur::store::watches::NewWatch;
use tauri::State;

use crate::error::CommandResult;
use crate::state::AppState;

/// Every watch with its state and waiting files.
#[tauri::command]
pub async fn list_watches(state: State<'_, AppState>) -> CommandResult<Vec<WatchView>> {
    Ok(state.session.watches().await?)
}

/// Adds and starts a watch.
#[tauri::command]
pub async fn add_watch(state: State<'_, AppState>, input: NewWatch) -> CommandResult<WatchView> {
    Ok(state.session.add_watch(input).await?)
}

/// Changes a watch.
#[tauri::command]
pub async fn update_watch(
    state: State<'_, AppState>,
    id: i64,
    input: NewWatch,
) -> CommandResult<WatchView> {
    Ok(state.session.update_watch(id, input).await?)
}

/// Pauses or resumes a watch.
#[tauri::command]
pub async fn set_watch_paused(
    state: State<'_, AppState>,
    id: i64,
    paused: bool,
) -> CommandResult<WatchView> {
    Ok(state.session.set_watch_paused(id, paused).await?)
}

/// Stops and removes a watch.
#[tauri::command]
pub async fn remove_watch(state: State<'_, AppState>, id: i64) -> CommandResult<()> {
    Ok(state.session.remove_watch(id).await?)
}
