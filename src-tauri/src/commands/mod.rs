//! The Tauri commands, grouped by what the UI shows. Each takes the state, calls one core
//! function and maps its error to `{code, message}`.

pub mod app;
pub mod history;
pub mod profiles;
pub mod queue;
pub mod requests;
pub mod settings;
pub mod watches;
