//! Start-up commands: what the first screen needs, the event subscription, and first paint.

use mediasaur::session::{AppStatus, SessionEvent};
use tauri::ipc::Channel;
use tauri::{AppHandle, State};

use crate::error::CommandResult;
use crate::state::AppState;

/// Set this to make the app exit right after its first paint (the cold-start benchmark).
pub const EXIT_AFTER_FIRST_PAINT_ENV: &str = "MEDIASAUR_EXIT_AFTER_FIRST_PAINT";

/// Whether a profile with a key exists, and the local server to offer when not.
#[tauri::command]
pub async fn app_status(state: State<'_, AppState>) -> CommandResult<AppStatus> {
    Ok(state.session.status(env!("CARGO_PKG_VERSION")).await?)
}

/// Sends every later session event to `on_event`.
#[tauri::command]
pub fn subscribe(state: State<'_, AppState>, on_event: Channel<SessionEvent>) {
    state.subscribe(on_event);
}

/// The UI painted its first frame: log how long start-up took.
#[tauri::command]
pub fn ui_ready(app: AppHandle, state: State<'_, AppState>) {
    let elapsed = state.started.elapsed();
    log::info!("first paint {} ms after start", elapsed.as_millis());
    if std::env::var_os(EXIT_AFTER_FIRST_PAINT_ENV).is_some() {
        println!("first-paint-ms {:.1}", elapsed.as_secs_f64() * 1000.0);
        app.exit(0);
    }
}
