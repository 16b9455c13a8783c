//! The only place that talks to the Rust side: Tauri's global `invoke` and event `listen`, typed
//! with the `plainsight-ipc` structs. Anything that goes wrong comes back as an [`IpcError`].

use plainsight_ipc::{
    AddFileOutcome, AddFileRequest, AnswerView, Banner, CacheStatsView, ErrorKind, ExportFormat,
    HistoryView, IpcError, PostgresForm, SettingsView, SourcesView, SpendingView, TablePreview,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `window.__TAURI__.core.invoke`, present because `app.withGlobalTauri` is on.
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
    async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;

    /// `window.__TAURI__.event.listen`: resolves (to an unlisten function) once registered.
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "event"], js_name = listen, catch)]
    async fn tauri_listen(event: &str, handler: &JsValue) -> Result<JsValue, JsValue>;
}

/// Tauri's window events for files dragged from the file manager (`tauri://drag-*`).
pub const DRAG_ENTER_EVENT: &str = "tauri://drag-enter";
pub const DRAG_LEAVE_EVENT: &str = "tauri://drag-leave";
pub const DRAG_DROP_EVENT: &str = "tauri://drag-drop";

/// The payload of [`DRAG_DROP_EVENT`] (its `position` is not needed).
#[derive(Debug, Clone, Deserialize)]
pub struct DroppedFiles {
    pub paths: Vec<String>,
}

/// What Tauri hands an event listener: `{ event, id, payload }`.
#[derive(Deserialize)]
struct Event<T> {
    payload: T,
}

/// Tauri matches JavaScript's camelCase keys to the command's snake_case arguments.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AskArgs<'a> {
    question: &'a str,
    approved_usd: Option<f64>,
}

#[derive(Serialize)]
struct GlossaryArgs<'a> {
    term: &'a str,
    meaning: &'a str,
}

#[derive(Serialize)]
struct ExportArgs {
    format: ExportFormat,
}

#[derive(Serialize)]
struct NoArgs {}

#[derive(Serialize)]
struct HistoryArgs<'a> {
    query: &'a str,
}

#[derive(Serialize)]
struct IdArgs {
    id: i64,
}

#[derive(Serialize)]
struct SaveArgs<'a> {
    id: i64,
    name: &'a str,
}

#[derive(Serialize)]
struct SourceArgs {
    id: i64,
}

#[derive(Serialize)]
struct PreviewArgs<'a> {
    id: i64,
    table: &'a str,
}

#[derive(Serialize)]
struct AddFileArgs<'a> {
    request: &'a AddFileRequest,
}

#[derive(Serialize)]
struct PostgresArgs<'a> {
    form: &'a PostgresForm,
}

#[derive(Serialize)]
struct SettingArgs<'a> {
    key: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct KeyArgs<'a> {
    name: &'a str,
}

/// Carries a secret: never logged, never kept after the call.
#[derive(Serialize)]
struct SetKeyArgs<'a> {
    name: &'a str,
    value: &'a str,
}

/// Answers `question`. `approved_usd` is the person's OK to spend up to that much on the AI for
/// it, after an `approval_needed` answer showed the estimate.
pub async fn ask(question: &str, approved_usd: Option<f64>) -> Result<AnswerView, IpcError> {
    call(
        "ask",
        &AskArgs {
            question,
            approved_usd,
        },
    )
    .await
}

/// Stops the question being answered; `false` if none was.
pub async fn stop_ask() -> Result<bool, IpcError> {
    call("stop_ask", &NoArgs {}).await
}

/// Saves `term` = `meaning` in the glossary; the next question reads `term` that way.
pub async fn set_glossary_entry(term: &str, meaning: &str) -> Result<(), IpcError> {
    call("set_glossary_entry", &GlossaryArgs { term, meaning }).await
}

/// The saved questions and the history, both matching `query` (everything when it is empty).
pub async fn history(query: &str) -> Result<HistoryView, IpcError> {
    call("history", &HistoryArgs { query }).await
}

/// Deletes a question from the history.
pub async fn delete_history(id: i64) -> Result<bool, IpcError> {
    call("delete_history", &IdArgs { id }).await
}

/// Saves a question under `name` (its own words when empty).
pub async fn save_history(id: i64, name: &str) -> Result<bool, IpcError> {
    call("save_history", &SaveArgs { id, name }).await
}

/// Takes a question out of the saved ones.
pub async fn unsave_history(id: i64) -> Result<bool, IpcError> {
    call("unsave_history", &IdArgs { id }).await
}

/// The path the chart was saved to, or `None` if the person cancelled the dialog.
pub async fn export_answer(format: ExportFormat) -> Result<Option<String>, IpcError> {
    call("export_answer", &ExportArgs { format }).await
}

/// Every data source, with its tables, and which one questions go to.
pub async fn sources() -> Result<SourcesView, IpcError> {
    call("sources", &NoArgs {}).await
}

pub async fn set_active_source(id: i64) -> Result<SourcesView, IpcError> {
    call("set_active_source", &SourceArgs { id }).await
}

/// Forgets a source; its file or database is never touched.
pub async fn remove_source(id: i64) -> Result<SourcesView, IpcError> {
    call("remove_source", &SourceArgs { id }).await
}

pub async fn preview_table(id: i64, table: &str) -> Result<TablePreview, IpcError> {
    call("preview_table", &PreviewArgs { id, table }).await
}

/// The native file picker; `None` if the person cancelled it.
pub async fn pick_data_file() -> Result<Option<String>, IpcError> {
    call("pick_data_file", &NoArgs {}).await
}

/// Opens a SQLite file or imports a CSV/spreadsheet; progress arrives as
/// [`plainsight_ipc::IMPORT_PROGRESS_EVENT`] events meanwhile.
pub async fn add_file(request: &AddFileRequest) -> Result<AddFileOutcome, IpcError> {
    call("add_file", &AddFileArgs { request }).await
}

/// Whether an import was running to be stopped.
pub async fn cancel_import() -> Result<bool, IpcError> {
    call("cancel_import", &NoArgs {}).await
}

/// A sentence saying what the connection found.
pub async fn test_postgres(form: &PostgresForm) -> Result<String, IpcError> {
    call("test_postgres", &PostgresArgs { form }).await
}

pub async fn add_postgres(form: &PostgresForm) -> Result<SourcesView, IpcError> {
    call("add_postgres", &PostgresArgs { form }).await
}

/// Every setting, every key's state (masked) and whether the AI is on.
pub async fn settings() -> Result<SettingsView, IpcError> {
    call("settings", &NoArgs {}).await
}

/// Saves one setting; a refused value comes back as `invalid_setting` with the message to show
/// next to its field.
pub async fn set_setting(key: &str, value: &str) -> Result<SettingsView, IpcError> {
    call("set_setting", &SettingArgs { key, value }).await
}

/// Saves a key in the system keychain.
pub async fn set_key(name: &str, value: &str) -> Result<SettingsView, IpcError> {
    call("set_key", &SetKeyArgs { name, value }).await
}

/// Removes a key from the system keychain (an environment variable still applies).
pub async fn delete_key(name: &str) -> Result<SettingsView, IpcError> {
    call("delete_key", &KeyArgs { name }).await
}

/// The cheapest real call with the key: a sentence starting "Connected", or why it failed.
pub async fn test_key(name: &str) -> Result<String, IpcError> {
    call("test_key", &KeyArgs { name }).await
}

/// The Spending page: budgets, each AI provider's state, spend per day and what answers cost.
pub async fn spending() -> Result<SpendingView, IpcError> {
    call("spending", &NoArgs {}).await
}

/// The answer cache's figures: entries, lookups, hits, what it saved and how long a lookup takes.
pub async fn cache_stats() -> Result<CacheStatsView, IpcError> {
    call("cache_stats", &NoArgs {}).await
}

/// Forgets every cached answer; returns the emptied cache's figures.
pub async fn clear_cache() -> Result<CacheStatsView, IpcError> {
    call("clear_cache", &NoArgs {}).await
}

/// The banners for the top of the window (budget warnings, paused providers).
pub async fn status() -> Result<Vec<Banner>, IpcError> {
    call("status", &NoArgs {}).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RowsArgs {
    history_id: Option<i64>,
    offset: usize,
    limit: usize,
}

/// Rows `offset..offset + limit` of the answer on screen (recorded as `history_id`).
pub async fn answer_rows(
    history_id: Option<i64>,
    offset: usize,
    limit: usize,
) -> Result<Vec<Vec<serde_json::Value>>, IpcError> {
    call(
        "answer_rows",
        &RowsArgs {
            history_id,
            offset,
            limit,
        },
    )
    .await
}

/// Tells the app the first screen is drawn and can be used (it logs the start-up time).
pub async fn window_ready() -> Result<(), IpcError> {
    call("window_ready", &NoArgs {}).await
}

/// The "Copy diagnostics" text: version, platform, data folder and the end of the newest log
/// file, with anything key-like already masked by the engine.
pub async fn diagnostics() -> Result<String, IpcError> {
    call("diagnostics", &NoArgs {}).await
}

/// Calls `on_payload` with each `event`'s payload for as long as the window is open (the screens
/// that listen are created once, so nothing needs to unlisten). A payload of another shape is
/// ignored: only a mismatched build can send one.
pub async fn listen<T: DeserializeOwned + 'static>(
    event: &str,
    mut on_payload: impl FnMut(T) + 'static,
) -> Result<(), IpcError> {
    let handler = Closure::<dyn FnMut(JsValue)>::new(move |raw: JsValue| {
        if let Ok(Event { payload }) = serde_wasm_bindgen::from_value::<Event<T>>(raw) {
            on_payload(payload);
        }
    })
    // Owned by JavaScript from here on: Tauri keeps calling it.
    .into_js_value();
    match tauri_listen(event, &handler).await {
        Ok(_unlisten) => Ok(()),
        Err(rejection) => Err(
            serde_wasm_bindgen::from_value::<IpcError>(rejection.clone())
                .unwrap_or_else(|_| unexpected(&rejection)),
        ),
    }
}

async fn call<A: Serialize, R: DeserializeOwned>(cmd: &str, args: &A) -> Result<R, IpcError> {
    // json_compatible: plain JS objects, not `Map`s, which is what Tauri expects for arguments.
    let args = args
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|_| broken(cmd))?;
    match invoke(cmd, args).await {
        Ok(reply) => serde_wasm_bindgen::from_value(reply).map_err(|_| broken(cmd)),
        Err(rejection) => Err(
            serde_wasm_bindgen::from_value::<IpcError>(rejection.clone())
                .unwrap_or_else(|_| unexpected(&rejection)),
        ),
    }
}

/// The two sides disagree about a shape: only a mismatched build can cause this.
fn broken(cmd: &str) -> IpcError {
    IpcError {
        kind: ErrorKind::IpcMismatch,
        message: format!(
            "Plainsight's window and engine do not match ({cmd}). Reinstall Plainsight."
        ),
    }
}

/// A rejection that is not an `IpcError`: Tauri itself refused, or the page runs outside the app.
fn unexpected(rejection: &JsValue) -> IpcError {
    let detail = rejection.as_string().unwrap_or_else(|| "no details".into());
    IpcError {
        kind: ErrorKind::IpcUnavailable,
        message: format!("Plainsight's engine did not respond ({detail}). Restart Plainsight."),
    }
}
