//! Generates Tauri's context and the permission set for the app's own commands, so the
//! capability file lists exactly which commands the webview may call.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "ask",
        "stop_ask",
        "set_glossary_entry",
        "history",
        "delete_history",
        "save_history",
        "unsave_history",
        "export_answer",
        "answer_rows",
        "sources",
        "set_active_source",
        "remove_source",
        "preview_table",
        "pick_data_file",
        "add_file",
        "cancel_import",
        "test_postgres",
        "add_postgres",
        "settings",
        "set_setting",
        "set_key",
        "delete_key",
        "test_key",
        "spending",
        "status",
        "cache_stats",
        "clear_cache",
        "diagnostics",
        "window_ready",
    ]);
    if let Err(error) =
        tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
    {
        // A build script reports failure by panicking; the message names what is wrong.
        panic!("tauri-build failed: {error:#}");
    }
}
