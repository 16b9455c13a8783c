//! The desktop app's composition root: the only place that builds services and hands them out.
//!
//! At start-up it resolves the data directory, creates the sample database on first run, opens
//! the [`Pipeline`] and the app database, and registers them as Tauri state. Commands
//! ([`commands`]) are thin: they take that state, call core, and map errors to `IpcError`.

mod answer;
mod commands;
mod error;
mod export;
mod settings;
mod sources;
mod spending;
mod state;
mod view;

use plainsight_core::history::AppDb;
use plainsight_core::{datadir, ensure_sample_db};
use tauri::Manager;
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};

pub use error::AppError;
use state::{AppState, Today};

/// Starts the app and blocks until its window closes.
pub fn run() {
    // Kept to the end: dropping it flushes the log file.
    let _log = init_logging();
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
            commands::history,
            commands::export_chart,
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
    let setup = settings::setup_from(&history, &datadir::app_db_path(&dir))?;
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

/// The log file in the data folder at the Settings' level, and stderr (`PLAINSIGHT_LOG`, default
/// warnings). Without a data folder, stderr only; logging never stops the app.
fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let stderr = std::env::var("PLAINSIGHT_LOG").unwrap_or_else(|_| "warn".into());
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let file_level = datadir::data_dir().ok().and_then(|dir| {
        let level = AppDb::open(&datadir::app_db_path(&dir)).ok()?.settings(&env).ok()?.get("log_level").to_string();
        Some((dir, level))
    });
    if let Some((dir, level)) = file_level {
        match plainsight_core::logs::init(&dir, &level, Some(&stderr)) {
            Ok(guard) => return Some(guard),
            Err(error) => eprintln!("plainsight: the log file could not be opened ({error}); logging to the terminal only"),
        }
    }
    let filter = tracing_subscriber::EnvFilter::try_new(&stderr).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
    None
}
