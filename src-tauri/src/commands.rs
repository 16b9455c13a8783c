//! The Tauri commands: take state, call core, map the error. Nothing else lives here.

use std::sync::Arc;

use plainsight_ipc::{
    AddFileOutcome, AddFileRequest, AnswerView, Banner, CacheStatsView, ExportFormat, HistoryView,
    IpcError, PostgresForm, SettingsView, SourcesView, SpendingView, TablePreview,
    IMPORT_PROGRESS_EVENT, ROWS_PAGE,
};
use tauri::async_runtime::spawn_blocking;
use tauri::{AppHandle, Emitter, Manager, State, WebviewWindow};
use tauri_plugin_dialog::DialogExt;

use crate::error::AppError;
use crate::state::AppState;
use crate::{answer, export, glossary, settings, sources, spending, view};

/// How many past questions the sidebar lists.
const HISTORY_LIMIT: usize = 50;

/// Answers one question. The pipeline runs on a blocking thread so the window stays responsive.
/// `approved_usd` is the person's OK to spend up to that much on the AI for it (after an
/// `approval_needed` answer showed the estimate).
#[tauri::command]
pub async fn ask(
    question: String,
    approved_usd: Option<f64>,
    state: State<'_, AppState>,
) -> Result<AnswerView, IpcError> {
    let (pipeline, today) = (state.pipeline(), state.today.get());
    let source = pipeline.database();
    // Stop raises this flag: the AI call, the query and the Python script all watch it.
    let stop = state.begin_ask();
    let answered =
        spawn_blocking(move || pipeline.ask_with(&question, today, Some(stop), approved_usd))
            .await
            .map_err(AppError::from)?;
    Ok(answer::present(
        &state,
        answered.map_err(AppError::from)?,
        source,
    ))
}

/// Teaches the glossary that `term` means `meaning` ("worth" → "list price", from a chip under the
/// answer); the next question reads it that way.
#[tauri::command]
pub async fn set_glossary_entry(
    term: String,
    meaning: String,
    app: AppHandle,
) -> Result<(), IpcError> {
    blocking(app, move |state| {
        glossary::set_entry(state, &term, &meaning)
    })
    .await
}

/// Stops the question being answered (if any); it ends with "cancelled" and nothing is charged
/// beyond what the provider already billed.
#[tauri::command]
#[allow(
    clippy::needless_pass_by_value,
    reason = "Tauri passes command arguments by value"
)]
pub fn stop_ask(state: State<'_, AppState>) -> bool {
    state.stop_ask()
}

/// The saved questions and the most recent ones, newest first, both matching `query` (all
/// when it is empty).
#[tauri::command]
#[allow(
    clippy::needless_pass_by_value,
    reason = "Tauri passes command arguments by value"
)]
pub fn history(query: Option<String>, state: State<'_, AppState>) -> Result<HistoryView, IpcError> {
    let query = query.unwrap_or_default();
    let db = state.history();
    let recent = db.search(&query, HISTORY_LIMIT).map_err(AppError::from)?;
    let saved = db.saved(&query).map_err(AppError::from)?;
    let saved = saved.into_iter().map(view::history_item).collect();
    Ok(HistoryView {
        saved,
        recent: recent.into_iter().map(view::history_item).collect(),
    })
}

/// Deletes one question from the history (and from the saved ones).
#[tauri::command]
#[allow(
    clippy::needless_pass_by_value,
    reason = "Tauri passes command arguments by value"
)]
pub fn delete_history(id: i64, state: State<'_, AppState>) -> Result<bool, IpcError> {
    Ok(state.history().delete(id).map_err(AppError::from)?)
}

/// Saves a question under `name` (its own words when the name is empty).
#[tauri::command]
#[allow(
    clippy::needless_pass_by_value,
    reason = "Tauri passes command arguments by value"
)]
pub fn save_history(id: i64, name: String, state: State<'_, AppState>) -> Result<bool, IpcError> {
    Ok(state.history().save(id, &name).map_err(AppError::from)?)
}

/// Takes a question out of the saved ones.
#[tauri::command]
#[allow(
    clippy::needless_pass_by_value,
    reason = "Tauri passes command arguments by value"
)]
pub fn unsave_history(id: i64, state: State<'_, AppState>) -> Result<bool, IpcError> {
    Ok(state.history().unsave(id).map_err(AppError::from)?)
}

/// Saves the answer on screen as its table, its chart or an answer card where the person
/// chooses; `None` if they cancel.
#[tauri::command]
pub async fn export_answer(
    format: ExportFormat,
    window: WebviewWindow,
    state: State<'_, AppState>,
) -> Result<Option<String>, IpcError> {
    let shown = export::check(state.last_answer().as_ref(), format)?;
    let dialog = export::save_dialog(&window, &shown, format);
    let saved = spawn_blocking(move || export::choose_and_write(dialog, &shown, format))
        .await
        .map_err(AppError::from)??;
    Ok(saved.map(|path| path.display().to_string()))
}

/// Rows `offset..offset + limit` (at most [`ROWS_PAGE`]) of the answer on screen, the one
/// recorded as `history_id`; empty when that answer is no longer the one kept (another question
/// was answered since) or past its end.
#[tauri::command]
#[allow(
    clippy::needless_pass_by_value,
    reason = "Tauri hands a command its state by value"
)]
pub fn answer_rows(
    history_id: Option<i64>,
    offset: usize,
    limit: usize,
    state: State<'_, AppState>,
) -> Vec<Vec<serde_json::Value>> {
    state
        .last_answer()
        .as_ref()
        .filter(|shown| shown.answer.history_id == history_id)
        .map(|shown| view::rows_page(&shown.answer.rows, offset, limit.min(ROWS_PAGE)))
        .unwrap_or_default()
}

/// Runs `work` with the app state on a blocking thread (files, SQLite, PostgreSQL).
async fn blocking<T: Send + 'static>(
    app: AppHandle,
    work: impl FnOnce(&AppState) -> Result<T, AppError> + Send + 'static,
) -> Result<T, IpcError> {
    let done = spawn_blocking(move || work(&app.state::<AppState>()))
        .await
        .map_err(AppError::from)?;
    Ok(done?)
}

/// Every data source, with its tables and row counts.
#[tauri::command]
pub async fn sources(app: AppHandle) -> Result<SourcesView, IpcError> {
    blocking(app, sources::list).await
}

/// Makes source `id` the one questions go to.
#[tauri::command]
pub async fn set_active_source(id: i64, app: AppHandle) -> Result<SourcesView, IpcError> {
    blocking(app, move |state| sources::activate(state, id)).await
}

/// Forgets source `id`; the file itself is never touched.
#[tauri::command]
pub async fn remove_source(id: i64, app: AppHandle) -> Result<SourcesView, IpcError> {
    blocking(app, move |state| sources::remove(state, id)).await
}

/// The first rows of a table.
#[tauri::command]
pub async fn preview_table(
    id: i64,
    table: String,
    app: AppHandle,
) -> Result<TablePreview, IpcError> {
    blocking(app, move |state| sources::preview(state, id, &table)).await
}

/// The native file picker for data files; `None` if the person cancels.
#[tauri::command]
pub async fn pick_data_file(window: WebviewWindow) -> Result<Option<String>, IpcError> {
    let dialog = window
        .dialog()
        .file()
        .set_parent(&window)
        .set_title("Add data")
        .add_filter("Data files", &sources::PICKABLE);
    let picked = spawn_blocking(move || dialog.blocking_pick_file())
        .await
        .map_err(AppError::from)?;
    Ok(picked
        .and_then(|p| p.into_path().ok())
        .map(|p| p.display().to_string()))
}

/// Adds a SQLite file, or imports a CSV/spreadsheet with progress events; one import at a time.
#[tauri::command]
pub async fn add_file(request: AddFileRequest, app: AppHandle) -> Result<AddFileOutcome, IpcError> {
    let emitter = app.clone();
    blocking(app, move |state| {
        let flag = sources::new_cancel_flag();
        let _running = state
            .begin_import(Arc::clone(&flag))
            .ok_or(AppError::ImportRunning)?;
        sources::add_file(state, &request, &flag, &mut |progress| {
            if let Err(error) = emitter.emit(IMPORT_PROGRESS_EVENT, progress) {
                tracing::debug!(%error, "could not send import progress");
            }
        })
    })
    .await
}

/// Stops the running import; it rolls back, so nothing is half-imported.
#[tauri::command]
#[allow(
    clippy::needless_pass_by_value,
    reason = "Tauri passes command arguments by value"
)]
pub fn cancel_import(state: State<'_, AppState>) -> bool {
    state.cancel_import()
}

/// Connects to PostgreSQL once and says what is there.
#[tauri::command]
pub async fn test_postgres(form: PostgresForm) -> Result<String, IpcError> {
    Ok(spawn_blocking(move || sources::test_postgres(&form))
        .await
        .map_err(AppError::from)??)
}

/// Adds a PostgreSQL database and makes it active.
#[tauri::command]
pub async fn add_postgres(form: PostgresForm, app: AppHandle) -> Result<SourcesView, IpcError> {
    blocking(app, move |state| sources::add_postgres(state, &form)).await
}

/// The Settings screen: settings, keys (masked) and whether the AI is on.
#[tauri::command]
pub async fn settings(app: AppHandle) -> Result<SettingsView, IpcError> {
    blocking(app, settings::view).await
}

/// Saves one setting; a refused value comes back as `invalid_setting` with the field's message.
#[tauri::command]
pub async fn set_setting(
    key: String,
    value: String,
    app: AppHandle,
) -> Result<SettingsView, IpcError> {
    blocking(app, move |state| settings::set(state, &key, &value)).await
}

/// Saves a key in the OS keychain.
#[tauri::command]
pub async fn set_key(
    name: String,
    value: String,
    app: AppHandle,
) -> Result<SettingsView, IpcError> {
    blocking(app, move |state| settings::set_key(state, &name, &value)).await
}

#[tauri::command]
pub async fn delete_key(name: String, app: AppHandle) -> Result<SettingsView, IpcError> {
    blocking(app, move |state| settings::delete_key(state, &name)).await
}

/// The cheapest real call with a key: "Connected …" or the provider's reason in plain words.
#[tauri::command]
pub async fn test_key(name: String, app: AppHandle) -> Result<String, IpcError> {
    blocking(app, move |state| settings::test_key(state, &name)).await
}

/// The Spending page: budgets, provider status, spend per day and what answers cost.
#[tauri::command]
pub async fn spending(app: AppHandle) -> Result<SpendingView, IpcError> {
    blocking(app, spending::spending).await
}

/// The banners for the top of the window (budget warnings, paused providers).
#[tauri::command]
pub async fn status(app: AppHandle) -> Result<Vec<Banner>, IpcError> {
    blocking(app, spending::status).await
}

/// The answer cache's entries, hit rates, savings and lookup time.
#[tauri::command]
pub async fn cache_stats(app: AppHandle) -> Result<CacheStatsView, IpcError> {
    blocking(app, |state| spending::cache_stats(state, false)).await
}

/// Forgets every cached answer; returns the emptied cache's figures.
#[tauri::command]
pub async fn clear_cache(app: AppHandle) -> Result<CacheStatsView, IpcError> {
    blocking(app, |state| spending::cache_stats(state, true)).await
}

/// The window has drawn its first screen and can be used: logged once, with the time since the
/// app started (scripts/bench reads it for the cold-start figure; the log shows slow starts).
#[tauri::command]
pub fn window_ready() {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        let since_start_ms = crate::STARTED.get().map(|t| t.elapsed().as_millis());
        tracing::info!(since_start_ms, "the window is ready");
    });
}

/// The "Copy diagnostics" text: version, platform, and the end of the newest log file with
/// anything key-like masked (the log never holds data rows).
#[tauri::command]
pub async fn diagnostics(app: AppHandle) -> Result<String, IpcError> {
    blocking(app, |state| {
        Ok(plainsight_core::logs::diagnostics(&state.data_dir, 400))
    })
    .await
}
