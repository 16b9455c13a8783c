//! The `plainsight-app` binary: everything lives in the library so it can be tested.

// Keep a console window from opening next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    plainsight_app::run();
}
