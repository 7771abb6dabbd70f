//! Mediasaur Desktop: the Tauri shell over the `mediasaur` core. It opens the core's session,
//! registers the commands, the tray, the `thumb://` protocol and the plugins, and forwards the
//! session's events to the UI. Everything else happens in the core.

mod commands;
mod error;
mod forward;
mod state;
mod thumbnails;
mod tray;

#[cfg(test)]
mod bindings;

use std::path::{Path, PathBuf};
use std::time::Instant;

use mediasaur::local::LocalStores;
use mediasaur::session::{Session, UploadTarget};
use tauri::{AppHandle, Manager, Runtime, WindowEvent};
use tokio::sync::mpsc;

pub use error::{CommandError, CommandResult};
use state::AppState;

/// Given by the autostart entry: start in the tray, without showing the window.
const MINIMIZED_FLAG: &str = "--minimized";

/// WebKitGTK's renderer switch; "1" turns its DMA-BUF renderer off.
const WEBKIT_DMABUF_ENV: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";

/// Runs the app until it quits.
pub fn run() {
    let started = Instant::now();
    prefer_shared_memory_renderer();
    let app = tauri::Builder::default()
        // First, so a second launch hands over its files before any other plugin starts.
        .plugin(tauri_plugin_single_instance::init(|app, argv, cwd| {
            tray::show_main_window(app);
            queue_arguments(app, argv.into_iter().skip(1), Path::new(&cwd));
        }))
        .plugin(
            tauri_plugin_log::Builder::new()
                .level(log::LevelFilter::Info)
                // zbus (single-instance, notifications, the keyring) logs every D-Bus connection.
                .level_for("zbus", log::LevelFilter::Warn)
                .build(),
        )
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![MINIMIZED_FLAG]),
        ))
        .register_asynchronous_uri_scheme_protocol(thumbnails::SCHEME, thumbnails::handle)
        .setup(move |app| setup(app, started))
        .on_window_event(|window, event| {
            // Closing the window keeps uploads and watches running in the tray.
            if let WindowEvent::CloseRequested { api, .. } = event {
                if window.app_handle().tray_by_id("main").is_some() {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::app::app_status,
            commands::app::subscribe,
            commands::app::ui_ready,
            commands::profiles::list_profiles,
            commands::profiles::save_profile,
            commands::profiles::remove_profile,
            commands::profiles::set_api_key,
            commands::profiles::test_profile,
            commands::settings::get_settings,
            commands::settings::save_settings,
            commands::queue::add_paths,
            commands::queue::paste_clipboard,
            commands::queue::list_transfers,
            commands::queue::transfer_counts,
            commands::queue::transfer_action,
            commands::queue::transfer_action_all,
            commands::queue::clear_finished,
            commands::history::search_history,
            commands::history::share_link,
            commands::history::open_in_browser,
            commands::history::reveal_local_file,
            commands::history::delete_remote_file,
            commands::requests::request_upload,
            commands::requests::list_requests,
            commands::watches::list_watches,
            commands::watches::add_watch,
            commands::watches::update_watch,
            commands::watches::set_watch_paused,
            commands::watches::remove_watch,
        ])
        .run(tauri::generate_context!());
    if let Err(error) = app {
        eprintln!("mediasaur-desktop: {error}");
        std::process::exit(1);
    }
}

/// WebKitGTK's DMA-BUF renderer draws a blank window on some GPU drivers and, without a GPU (VMs,
/// remote desktops, Xvfb), takes ~100 ms a frame where the shared-memory path takes 17 (bench/app.sh
/// measures both). So it is off unless the user set the variable themselves (`=0` turns it back on).
/// Called first, before any thread exists that could read the environment.
fn prefer_shared_memory_renderer() {
    if cfg!(target_os = "linux") && std::env::var_os(WEBKIT_DMABUF_ENV).is_none() {
        std::env::set_var(WEBKIT_DMABUF_ENV, "1");
    }
}

fn setup(app: &mut tauri::App, started: Instant) -> Result<(), Box<dyn std::error::Error>> {
    let stores = LocalStores::from_env()?;
    let (events, events_rx) = mpsc::unbounded_channel();
    let session = tauri::async_runtime::block_on(Session::open(stores, events))?;
    app.manage(AppState::new(session, started));
    let tray = match tray::create(app.handle()) {
        Ok(items) => Some(items),
        Err(error) => {
            log::warn!("no tray icon ({error}); closing the window quits the app");
            None
        }
    };
    tauri::async_runtime::spawn(forward::run(app.handle().clone(), tray, events_rx));
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == MINIMIZED_FLAG) {
        if let Some(window) = app.get_webview_window("main") {
            window.hide()?;
        }
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    queue_arguments(app.handle(), args.into_iter(), &cwd);
    Ok(())
}

/// Queues the files named on a command line (this launch's, or a second launch's) for the
/// default target.
fn queue_arguments<R: Runtime>(app: &AppHandle<R>, args: impl Iterator<Item = String>, cwd: &Path) {
    let paths: Vec<PathBuf> = args
        .filter(|arg| !arg.starts_with('-'))
        .map(|arg| cwd.join(arg))
        .collect();
    if paths.is_empty() {
        return;
    }
    let session = app.state::<AppState>().session.clone();
    tauri::async_runtime::spawn(async move {
        match session.add_paths(paths, UploadTarget::default()).await {
            Ok(report) => log::info!(
                "queued {} files from the command line ({} failed)",
                report.queued,
                report.failures.len()
            ),
            Err(error) => log::warn!("files from the command line: {error}"),
        }
    });
}
