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
    /// `planner`, or the LLM as `provider/model`.
    pub generated_by: String,
    /// Exactly what was sent to the AI for this answer, when anything was.
    pub privacy_receipt: Option<String>,
    /// A stable kind when part of the answer failed (e.g. `llm_unauthorized`), or
    /// `approval_needed` when the question waits for the person's OK to spend.
    pub error_kind: Option<String>,
    /// What the AI was expected to cost, worked out before anything was sent.
    pub estimate: Option<EstimateView>,
    /// `miss`, `exact` or `semantic` when the answer cache was consulted (AI questions only).
    pub cache: Option<String>,
    /// Where the time went: "plan 3 ms · AI 1.2 s · run 18 ms · chart 6 ms".
    pub timings: String,
    /// What each word of the question was read as, for the person to confirm or correct (empty
    /// when the AI wrote the answer).
    pub mappings: Vec<MappingView>,
}

/// One word of the question and the column it was read as: "worth" → `products.unit_price`, with
/// the other columns of that table it could mean (`list_price`, `cost`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingView {
    pub said: String,
    pub table: String,
    pub column: String,
    pub alternatives: Vec<String>,
}

impl MappingView {
    /// A column's name as words for the glossary and the chip: `list_price` → "list price".
    pub fn words(column: &str) -> String {
        column.replace('_', " ")
    }
}

/// The answer cache's health, for the Settings screen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CacheStatsView {
    pub entries: i64,
    pub lookups: i64,
    pub exact_hits: i64,
    pub semantic_hits: i64,
    pub saved_usd: f64,
    pub avg_lookup_ms: f64,
}

/// "about $0.004 (at most $0.02)".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EstimateView {
    pub about_usd: f64,
    pub at_most_usd: f64,
}

/// Everything the Spending page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendingView {
    pub scopes: Vec<BudgetView>,
    pub providers: Vec<ProviderStatusView>,
    /// Spend per day over the last 30 days, drawn by core (Plotters) as SVG; none when nothing
    /// was spent yet.
    pub daily_svg: Option<String>,
    pub recent: Vec<SpentAnswer>,
    pub banners: Vec<Banner>,
}

/// One budget scope and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetView {
    /// `global`, `provider:<name>` or `source:<name>`.
    pub scope: String,
    /// "All AI spending", "Perplexity", "sales.sqlite".
    pub label: String,
    /// `day`, `month` or `total`.
    pub period: String,
    pub limit_usd: f64,
    pub spent_usd: f64,
    pub reserved_usd: f64,
    /// `ok`, `warning` or `blocked`.
    pub state: String,
    /// Local time, `YYYY-MM-DD HH:MM`; none for a total budget.
    pub resets_at: Option<String>,
}

/// An AI provider's health, from its circuit breaker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderStatusView {
    pub provider: String,
    /// "Perplexity", "OpenAI-compatible".
    pub name: String,
    /// `ok`, `paused` or `retrying`.
    pub state: String,
    /// Local time `HH:MM` when a paused provider is tried again.
    pub paused_until: Option<String>,
    pub last_error: Option<String>,
}

/// One answer that cost something.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpentAnswer {
    pub question: String,
    pub asked_at: String,
    pub usd: f64,
    /// The AI as `provider/model`.
    pub by: String,
}

/// A banner across the top: `warning` (yellow: past the soft cap), `blocked` (red: a budget is
/// spent) or `paused` (a provider is paused after failures).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Banner {
    pub level: String,
    pub text: String,
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
    /// Prompt, completion, fees, self-correction.
    pub breakdown: Vec<CostLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostLine {
    pub item: String,
    pub usd: f64,
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

/// Every data source the person has added, and which one questions go to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourcesView {
    pub sources: Vec<SourceView>,
    /// Something the person should know, e.g. "Your PostgreSQL database could not be reached, so
    /// questions go to the sample data for now."
    pub notice: Option<String>,
}

/// One data source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceView {
    pub id: i64,
    pub name: String,
    /// `sample`, `workspace`, `sqlite` or `postgres`.
    pub kind: String,
    /// A file path, or a PostgreSQL address without its password.
    pub location: String,
    /// Questions are answered from this source.
    pub active: bool,
    pub tables: Vec<TableInfo>,
    /// Why its tables could not be listed (file moved, server unreachable), in plain words.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableInfo {
    pub name: String,
    pub rows: i64,
    pub columns: Vec<String>,
}

/// The first rows of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TablePreview {
    pub table: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// More rows exist than are shown.
    pub truncated: bool,
}

/// Adds a file: a SQLite database is opened read-only as it is; a CSV or spreadsheet is imported
/// into the workspace. Both become the active source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddFileRequest {
    pub path: String,
    /// Table name for an import; default: from the file (and sheet) name.
    pub table: Option<String>,
    /// Spreadsheet sheet; default: the first.
    pub sheet: Option<String>,
    /// Replace a workspace table of the same name.
    pub replace: bool,
    /// Column types the person corrected after a previous import of the same file.
    pub types: Vec<ImportedColumnView>,
}

/// What adding a file did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddFileOutcome {
    pub sources: SourcesView,
    /// Present when the file was imported (CSV or spreadsheet).
    pub import: Option<ImportSummaryView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportSummaryView {
    pub table: String,
    pub rows_imported: u64,
    pub rows_skipped: u64,
    /// Why rows were skipped (the first few; `rows_skipped` is exact).
    pub skipped: Vec<String>,
    pub columns: Vec<ImportedColumnView>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedColumnView {
    pub name: String,
    /// `integer`, `real`, `date`, `datetime` or `text`.
    #[serde(rename = "type")]
    pub ty: String,
}

/// The column types a person can choose after an import.
pub const COLUMN_TYPES: [&str; 5] = ["integer", "real", "date", "datetime", "text"];

/// Payload of [`IMPORT_PROGRESS_EVENT`], emitted while an import runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ImportProgress {
    pub done: u64,
    pub total: u64,
}

/// The Settings screen: every non-secret setting and every key's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsView {
    pub fields: Vec<SettingField>,
    pub keys: Vec<KeyStatus>,
    /// "The AI is on: Perplexity (perplexity/sonar)" or why it is off.
    pub ai_status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingField {
    pub key: String,
    pub label: String,
    pub help: String,
    /// `choice`, `number`, `switch` or `text`.
    pub kind: String,
    pub options: Vec<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub value: String,
    pub default: String,
}

/// One key: never its value, only where it is and its last four characters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyStatus {
    /// `perplexity`, `openai`, `embeddings`, `daytona`, `langfuse-public`, `langfuse-secret`.
    pub name: String,
    pub label: String,
    /// `none`, `keychain` or `environment`.
    pub state: String,
    /// `•••• 1234`.
    pub masked: Option<String>,
    /// The environment variable that overrides it.
    pub env_var: Option<String>,
    /// Whether Test can try it yet.
    pub testable: bool,
    /// Why the keychain could not be read, in plain words.
    pub problem: Option<String>,
}

/// Name of the event that carries [`ImportProgress`].
pub const IMPORT_PROGRESS_EVENT: &str = "import-progress";

/// A PostgreSQL connection as the form collects it. The password is used for this session
/// only and never written to disk, and `Debug` never prints it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct PostgresForm {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    pub password: Option<String>,
}

impl std::fmt::Debug for PostgresForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresForm")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "••••"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_form_never_prints_its_password() {
        let form = PostgresForm {
            host: "127.0.0.1".into(),
            port: 5432,
            database: "shop".into(),
            user: "reader".into(),
            password: Some("hunter2-secret".into()),
        };
        let shown = format!("{form:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("reader"), "{shown}");
    }
}
