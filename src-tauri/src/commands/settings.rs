//! Settings commands; "start at login" is applied through the autostart plugin.

use mediasaur::settings::Settings;
use tauri::{AppHandle, State};
use tauri_plugin_autostart::ManagerExt;

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;

/// The current settings.
#[tauri::command]
pub fn get_settings(state: State<'_, AppState>) -> Settings {
    state.session.settings()
}

/// Checks, saves and applies settings.
#[tauri::command]
pub async fn save_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    settings: Settings,
) -> CommandResult<Settings> {
    let saved = state.session.save_settings(settings).await?;
    let autostart = app.autolaunch();
    let applied = if saved.start_at_login {
        autostart.enable()
    } else {
        autostart.disable()
    };
    applied.map_err(|e| CommandError::new("autostart", format!("start at login: {e}")))?;
    Ok(saved)
}
