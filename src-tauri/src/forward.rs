//! Carries the session's events out of the core: to every UI channel, and into the desktop's own
//! surfaces (tray status, batched notifications, auto-copy to the clipboard).

use mediasaur::session::SessionEvent;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_clipboard_manager::ClipboardExt;
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
                // A click opens the app where the batch is: the queue when something failed.
                let view = if batch.failed > 0 { "queue" } else { "history" };
                notify(&app, &batch.describe(), view);
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

/// Shows a notification; clicking it shows the window at `view`.
#[cfg(target_os = "linux")]
fn notify<R: Runtime>(app: &AppHandle<R>, body: &str, view: &'static str) {
    let shown = notify_rust::Notification::new()
        .appname("Mediasaur")
        .summary("Mediasaur")
        .body(body)
        .icon("mediasaur-desktop")
        .action("default", "Open Mediasaur")
        .show();
    match shown {
        // Waiting blocks until the notification is clicked or closed (it expires), so on a thread.
        Ok(handle) => {
            let app = app.clone();
            std::thread::spawn(move || {
                handle.wait_for_action(|action| {
                    if action == "default" {
                        open_at(&app, view);
                    }
                });
            });
        }
        Err(error) => log::warn!("the notification could not be shown: {error}"),
    }
}

/// Shows a notification (a click cannot be reported here).
#[cfg(not(target_os = "linux"))]
fn notify<R: Runtime>(app: &AppHandle<R>, body: &str, _view: &'static str) {
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

#[cfg(target_os = "linux")]
fn open_at<R: Runtime>(app: &AppHandle<R>, view: &str) {
    tray::show_main_window(app);
    app.state::<AppState>().broadcast(&SessionEvent::Navigate {
        view: view.to_owned(),
    });
}
