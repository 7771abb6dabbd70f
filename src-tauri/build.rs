//! Declares the app's own commands, so the capability file can grant the main window exactly those.
const COMMANDS: &[&str] = &[
    "app_status",
    "subscribe",
    "ui_ready",
    "list_profiles",
    "save_profile",
    "remove_profile",
    "set_api_key",
    "test_profile",
    "get_settings",
    "save_settings",
    "add_paths",
    "paste_clipboard",
    "list_transfers",
    "transfer_counts",
    "transfer_action",
    "transfer_action_all",
    "clear_finished",
    "search_history",
    "share_link",
    "open_in_browser",
    "reveal_local_file",
    "delete_remote_file",
    "request_upload",
    "list_requests",
    "list_watches",
    "add_watch",
    "update_watch",
    "set_watch_paused",
    "remove_watch",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
