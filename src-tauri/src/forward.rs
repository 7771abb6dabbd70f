//! Carries the session's events out of the core: to every UI channel, and into the desktop's own
//! surfaces (tray status, batched notifications, auto-copy to the clipboard).

use mediasaur::session::SessionEvent;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_clipboard_manager::ClipboardExt;
use tauri_plugin_notification::NotificationExt;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::state::AppState;
use crate::tray::{self, TrayItems};

/// Runs until the session's sender is gone.
pub async fn run<R: Runtime>(
    app: AppHandle<R>,
    tray: Option<TrayItems<R>>,
    mut events: UnboundedReceiver<SessionEvent>,
) {
    while let Some(event) = events.recv().await {
        let state = app.state::<AppState>();
        match &event {
            SessionEvent::Counts { counts, batch } => {
                if let Some(items) = &tray {
                    tray::update(&app, items, counts, batch);
                }
            }
            SessionEvent::BatchFinished { batch } if state.session.settings().notifications => {
                notify(&app, &batch.describe());
            }
            SessionEvent::CopyToClipboard { text } => {
                if let Err(error) = app.clipboard().write_text(text.as_str()) {
                    log::warn!("auto-copy failed: {error}");
                }
            }
            _ => {}
        }
        state.broadcast(&event);
    }
}

fn notify<R: Runtime>(app: &AppHandle<R>, body: &str) {
    let shown = app
        .notification()
        .builder()
        .title("Mediasaur")
        .body(body)
        .show();
    if let Err(error) = shown {
        log::warn!("the notification could not be shown: {error}");
    }
}
