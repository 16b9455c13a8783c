//! The types that cross the Tauri IPC boundary, shared by `src-tauri` (which converts core types
//! into them by hand) and `ui` (which only ever sees these). Wasm-safe: serde only.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One answer, ready to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerView {
    /// Id of the history entry this answer was recorded as (for export and re-display).
    pub history_id: Option<i64>,
    pub question: String,
    /// `answer`, `clarify`, `fallback` or `refused`.
    pub route: String,
    pub confidence: f64,
    pub interpretation: String,
    /// `sql`, `python`, or none.
    pub language: Option<String>,
    pub code: Option<String>,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    pub truncated: bool,
    pub chart: Option<ChartView>,
    /// Clickable rephrasings when `route` is `clarify`.
    pub options: Vec<String>,
    pub message: String,
    pub cost: CostView,
}

/// A chart, already rendered to SVG by core (Plotters).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartView {
    /// `bar`, `line`, `number`, `pie` or `scatter`.
    pub kind: String,
    pub x: String,
    pub y: String,
    pub title: String,
    pub svg: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostView {
    pub total_usd: f64,
    /// `none` (offline), `provider` or `estimate`.
    pub source: String,
}

/// One past question in the history list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryItem {
    pub id: i64,
    pub question: String,
    pub route: String,
    /// Local time, `YYYY-MM-DD HH:MM`.
    pub asked_at: String,
}

/// Chart export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Png,
    Svg,
}

/// The one error type the webview receives: a stable `kind` to match on and a message a
/// non-technical person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpcError {
    pub kind: String,
    pub message: String,
}

impl std::fmt::Display for IpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for IpcError {}
