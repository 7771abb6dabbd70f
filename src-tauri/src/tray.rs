//! The tray icon: status (idle, or uploading N files at X %), pause or resume all, open, quit.
//! Closing the window leaves the app here, with uploads and watches running.

use std::sync::{Mutex, PoisonError};

use mediasaur::session::{BatchSummary, TransferAction};
use mediasaur::store::queue::TransferCounts;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;

const TRAY_ID: &str = "main";

/// The menu items whose text changes.
pub struct TrayItems<R: Runtime> {
    status: MenuItem<R>,
    pause: MenuItem<R>,
    /// What they show now: counts arrive four times a second, the text changes far less often.
    shown: Mutex<Option<(String, bool)>>,
}

impl<R: Runtime> std::fmt::Debug for TrayItems<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrayItems").finish_non_exhaustive()
    }
}

/// Builds the tray icon and its menu.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<TrayItems<R>> {
    let status = MenuItem::with_id(app, "status", "Idle", false, None::<&str>)?;
    let open = MenuItem::with_id(app, "open", "Open Mediasaur", true, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause", "Pause all", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, Some("CmdOrCtrl+Q"))?;
    let menu = Menu::with_items(
        app,
        &[
            &status,
            &PredefinedMenuItem::separator(app)?,
            &open,
            &pause,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    let icon = Image::from_bytes(include_bytes!("../../icons/tray.png"))?;
    let _tray: TrayIcon<R> = TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon)
        .tooltip("Mediasaur: idle")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => show_main_window(app),
            "pause" => toggle_pause(app),
            "quit" => quit_app(app),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                show_main_window(tray.app_handle());
            }
        })
        .build(app)?;
    Ok(TrayItems {
        status,
        pause,
        shown: Mutex::new(None),
    })
}

/// What the tray says for these counts.
pub fn status_text(counts: &TransferCounts, batch: &BatchSummary) -> String {
    let active = counts.queued + counts.running;
    match (active, counts.paused) {
        (0, 0) => "Idle".to_owned(),
        (0, paused) => format!("{paused} paused"),
        (active, _) => format!(
            "Uploading {active} {} at {} %",
            if active == 1 { "file" } else { "files" },
            batch.percent()
        ),
    }
}

/// Updates the status line, the tooltip and the pause item.
pub fn update<R: Runtime>(
    app: &AppHandle<R>,
    items: &TrayItems<R>,
    counts: &TransferCounts,
    batch: &BatchSummary,
) {
    let text = status_text(counts, batch);
    let pausing = counts.queued + counts.running > 0 || counts.paused == 0;
    let now = Some((text.clone(), pausing));
    {
        let mut shown = items.shown.lock().unwrap_or_else(PoisonError::into_inner);
        if *shown == now {
            return;
        }
        *shown = now;
    }
    let _ = items.status.set_text(&text);
    let _ = items
        .pause
        .set_text(if pausing { "Pause all" } else { "Resume all" });
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let _ = tray.set_tooltip(Some(format!("Mediasaur: {text}")));
    }
}

/// Shows, unminimises and focuses the main window.
pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

fn toggle_pause<R: Runtime>(app: &AppHandle<R>) {
    let session = app.state::<AppState>().session.clone();
    tauri::async_runtime::spawn(async move {
        let counts = session.transfer_counts().await.unwrap_or_default();
        let action = if counts.queued + counts.running > 0 {
            TransferAction::Pause
        } else {
            TransferAction::Resume
        };
        if let Err(error) = session.transfer_action_all(action).await {
            log::warn!("tray {action:?} all failed: {error}");
        }
    });
}

fn quit_app<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        // Unfinished transfers stay queued in the database for the next start.
        app.state::<AppState>().session.shutdown().await;
        app.exit(0);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_reads_naturally() {
        let idle = TransferCounts::default();
        assert_eq!(status_text(&idle, &BatchSummary::default()), "Idle");
        let busy = TransferCounts {
            queued: 2,
            running: 1,
            ..TransferCounts::default()
        };
        let batch = BatchSummary {
            bytes_total: 200,
            bytes_sent: 84,
            ..BatchSummary::default()
        };
        assert_eq!(status_text(&busy, &batch), "Uploading 3 files at 42 %");
        let paused = TransferCounts {
            paused: 4,
            ..TransferCounts::default()
        };
        assert_eq!(status_text(&paused, &batch), "4 paused");
    }
}
