//! Queue commands: add what was dropped, picked or pasted; list, count and act on transfers.

use std::path::PathBuf;

use mediasaur::session::{AddReport, ClipboardImage, TransferAction, UploadTarget};
use mediasaur::store::queue::{Transfer, TransferCounts, TransferQuery};
use tauri::{AppHandle, State};
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::error::CommandResult;
use crate::state::AppState;

/// Queues every file under `paths` (a drop, a picker, the e2e test) for `target`.
#[tauri::command]
pub async fn add_paths(
    state: State<'_, AppState>,
    paths: Vec<PathBuf>,
    target: UploadTarget,
) -> CommandResult<AddReport> {
    Ok(state.session.add_paths(paths, target).await?)
}

/// Queues the files (or the image) on the clipboard.
#[tauri::command]
pub async fn paste_clipboard(
    app: AppHandle,
    state: State<'_, AppState>,
    target: UploadTarget,
) -> CommandResult<AddReport> {
    let clipboard = app.clipboard();
    let text = clipboard.read_text().ok();
    let image = clipboard.read_image().ok().map(|image| ClipboardImage {
        rgba: image.rgba().to_vec(),
        width: image.width(),
        height: image.height(),
    });
    Ok(state.session.add_clipboard(text, image, target).await?)
}

/// A page of transfers, ids ascending.
#[tauri::command]
pub async fn list_transfers(
    state: State<'_, AppState>,
    query: TransferQuery,
) -> CommandResult<Vec<Transfer>> {
    Ok(state.session.transfers(&query).await?)
}

/// Transfers per state.
#[tauri::command]
pub async fn transfer_counts(state: State<'_, AppState>) -> CommandResult<TransferCounts> {
    Ok(state.session.transfer_counts().await?)
}

/// Pause, resume, retry or cancel one transfer.
#[tauri::command]
pub async fn transfer_action(
    state: State<'_, AppState>,
    id: i64,
    action: TransferAction,
) -> CommandResult<Transfer> {
    Ok(state.session.transfer_action(id, action).await?)
}

/// The same for every transfer it applies to.
#[tauri::command]
pub async fn transfer_action_all(
    state: State<'_, AppState>,
    action: TransferAction,
) -> CommandResult<u64> {
    Ok(state.session.transfer_action_all(action).await?)
}

/// Removes done and canceled rows.
#[tauri::command]
pub async fn clear_finished(state: State<'_, AppState>) -> CommandResult<u64> {
    Ok(state.session.clear_finished().await?)
}
