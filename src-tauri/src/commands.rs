//! The Tauri commands: take state, call core, map the error. Nothing else lives here.

use std::sync::Arc;

use plainsight_ipc::{AnswerView, ExportFormat, HistoryItem, IpcError};
use tauri::async_runtime::spawn_blocking;
use tauri::{State, WebviewWindow};

use crate::error::AppError;
use crate::state::AppState;
use crate::{answer, export, view};

/// How many past questions the sidebar lists.
const HISTORY_LIMIT: usize = 50;

/// Answers one question. The pipeline runs on a blocking thread so the window stays responsive.
#[tauri::command]
pub async fn ask(question: String, state: State<'_, AppState>) -> Result<AnswerView, IpcError> {
    let (pipeline, today) = (Arc::clone(&state.pipeline), state.today.get());
    let answered = spawn_blocking(move || pipeline.ask(&question, today, None)).await.map_err(AppError::from)?;
    Ok(answer::present(&state, answered.map_err(AppError::from)?))
}

/// The most recent questions, newest first.
#[tauri::command]
#[allow(clippy::needless_pass_by_value, reason = "Tauri passes command arguments by value")]
pub fn history(state: State<'_, AppState>) -> Result<Vec<HistoryItem>, IpcError> {
    let entries = state.history().recent(HISTORY_LIMIT).map_err(AppError::from)?;
    Ok(entries.into_iter().map(view::history_item).collect())
}

/// Saves the last answer's chart as PNG or SVG where the person chooses; `None` if they cancel.
#[tauri::command]
pub async fn export_chart(format: ExportFormat, window: WebviewWindow, state: State<'_, AppState>) -> Result<Option<String>, IpcError> {
    let chart = export::Chart::of(state.last_answer().as_ref())?;
    let dialog = export::save_dialog(&window, &chart, format);
    let saved = spawn_blocking(move || export::choose_and_write(dialog, &chart, format)).await.map_err(AppError::from)??;
    Ok(saved.map(|path| path.display().to_string()))
}
