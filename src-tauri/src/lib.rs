//! The desktop app's composition root: the only place that builds services and hands them out.
//!
//! At start-up it resolves the data directory, creates the sample database on first run, opens
//! the [`Pipeline`] and the app database, and registers them as Tauri state. Commands
//! ([`commands`]) are thin: they take that state, call core, and map errors to `IpcError`.

mod answer;
mod commands;
mod error;
mod export;
mod glossary;
mod settings;
mod sources;
mod spending;
mod state;
#[cfg(test)]
mod testing;
mod view;

use plainsight_core::history::AppDb;
use plainsight_core::{datadir, ensure_sample_db};
use tauri::Manager;
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};

pub use error::AppError;
use state::{AppState, Today};

/// When [`run`] began: the start of the cold-start time the window reports when it is ready.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Starts the app and blocks until its window closes.
pub fn run() {
    STARTED.get_or_init(std::time::Instant::now);
    // Kept to the end: dropping it flushes the log file.
    let _log = plainsight_core::logs::init_from_settings("warn");
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            match open_state() {
                Ok(state) => {
                    app.manage(state);
                }
                Err(error) => report_startup_failure(app.handle(), &error),
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::ask,
            commands::stop_ask,
            commands::set_glossary_entry,
            commands::history,
            commands::delete_history,
            commands::save_history,
            commands::unsave_history,
            commands::export_answer,
            commands::answer_rows,
            commands::sources,
            commands::set_active_source,
            commands::remove_source,
            commands::preview_table,
            commands::pick_data_file,
            commands::add_file,
            commands::cancel_import,
            commands::test_postgres,
            commands::add_postgres,
            commands::settings,
            commands::set_setting,
            commands::set_key,
            commands::delete_key,
            commands::test_key,
            commands::spending,
            commands::status,
            commands::cache_stats,
            commands::clear_cache,
            commands::diagnostics,
            commands::window_ready,
        ])
        .run(tauri::generate_context!());
    if let Err(error) = app {
        tracing::error!(%error, "the app window could not start");
        std::process::exit(1);
    }
}

/// Builds every service the commands use.
fn open_state() -> Result<AppState, AppError> {
    let today = Today::from_env()?;
    let dir = datadir::data_dir()?;
    let sample = ensure_sample_db(&dir, today.get())?;
    let mut history = AppDb::open(&datadir::app_db_path(&dir))?;
    let setup = settings::setup_from(&history, &dir)?;
    let (pipeline, notice) = sources::open_at_startup(&mut history, &sample, &setup)?;
    tracing::info!(data_dir = %dir.display(), source = %pipeline.database(), ai = setup.llm.is_some(), "ready");
    Ok(AppState::new(pipeline, history, today, dir, notice, setup))
}

/// Without its data the app cannot answer anything: say why in a dialog, then quit.
fn report_startup_failure(app: &tauri::AppHandle, error: &AppError) {
    tracing::error!(error = %error, source = ?std::error::Error::source(error), "start-up failed");
    let handle = app.clone();
    app.dialog()
        .message(error.user_message())
        .title("Plainsight could not start")
        .kind(MessageDialogKind::Error)
        .show(move |_| handle.exit(1));
}
