//! Mediasaur Desktop's entry point; everything lives in the library so tests can reach it.
// No console window beside the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    mediasaur_desktop::run();
}
