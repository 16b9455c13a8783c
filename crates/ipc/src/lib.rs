//! The types that cross the Tauri IPC boundary, shared by `src-tauri` (which converts core types
//! into them by hand) and `ui` (which only ever sees these). Wasm-safe: serde only.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Declares a unit enum that crosses IPC as one of a fixed set of snake_case strings (the same
/// strings as before these were enums, so the CLI's JSON and stored history do not change), with
/// `as_str`, `parse` and `ALL`.
macro_rules! string_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The string it crosses IPC as.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The value for one of the strings [`Self::as_str`] gives; none for any other.
            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == text)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// A stable kind of failure, for the UI to match on (and for the log). Core's kinds
    /// (`AskError::kind`, `LlmError::kind`, an answer's `error_kind`), the app's own and the two
    /// the window makes itself when the engine does not answer.
    pub enum ErrorKind {
        // The question.
        EmptyQuestion = "empty_question",
        QuestionTooLong = "question_too_long",
        // The data.
        DatabaseUnavailable = "database_unavailable",
        DatabaseUnreadable = "database_unreadable",
        RefusedSql = "refused_sql",
        Timeout = "timeout",
        Cancelled = "cancelled",
        QueryFailed = "query_failed",
        SampleDbFailed = "sample_db_failed",
        PythonFailed = "python_failed",
        // Settings and keys.
        BadSetting = "bad_setting",
        InvalidSetting = "invalid_setting",
        KeychainLocked = "keychain_locked",
        KeychainUnavailable = "keychain_unavailable",
        // The AI.
        LlmNoKey = "llm_no_key",
        LlmUnauthorized = "llm_unauthorized",
        LlmRejected = "llm_rejected",
        LlmRateLimited = "llm_rate_limited",
        LlmServerError = "llm_server_error",
        LlmTimeout = "llm_timeout",
        LlmUnreachable = "llm_unreachable",
        LlmBadReply = "llm_bad_reply",
        LlmFailed = "llm_failed",
        LlmCodeFailed = "llm_code_failed",
        // Spending controls (an answer's `error_kind`).
        ApprovalNeeded = "approval_needed",
        BudgetExceeded = "budget_exceeded",
        BudgetUnavailable = "budget_unavailable",
        ProviderPaused = "provider_paused",
        // The app.
        DataDirUnavailable = "data_dir_unavailable",
        HistoryUnavailable = "history_unavailable",
        ChartFailed = "chart_failed",
        BadToday = "bad_today",
        NoChart = "no_chart",
        ExportFailed = "export_failed",
        Interrupted = "interrupted",
        IncompleteGlossaryEntry = "incomplete_glossary_entry",
        // Data sources and imports.
        NoSuchSource = "no_such_source",
        SampleIsBuiltIn = "sample_is_built_in",
        FileMissing = "file_missing",
        NotADatabase = "not_a_database",
        DatabaseLocked = "database_locked",
        ConnectionFailed = "connection_failed",
        SourceFailed = "source_failed",
        IncompleteConnection = "incomplete_connection",
        ImportRunning = "import_running",
        ImportCancelled = "import_cancelled",
        TableExists = "table_exists",
        ImportFailed = "import_failed",
        // Made by the window itself.
        IpcMismatch = "ipc_mismatch",
        IpcUnavailable = "ipc_unavailable",
    }
}

string_enum! {
    /// How a question was answered.
    pub enum Route {
        Answer = "answer",
        Clarify = "clarify",
        Fallback = "fallback",
        Refused = "refused",
        /// A spending control stopped it (budget spent, approval needed, provider paused).
        Blocked = "blocked",
    }
}

string_enum! {
    /// Whether the answer cache was consulted and what it gave (AI questions only).
    pub enum CacheOutcome {
        Miss = "miss",
        Exact = "exact",
        Semantic = "semantic",
    }
}

string_enum! {
    /// Where an answer's cost comes from.
    pub enum CostSource {
        /// Answered offline: no cost.
        Offline = "none",
        Provider = "provider",
        Estimate = "estimate",
    }
}

string_enum! {
    /// Where a budget stands.
    pub enum BudgetState {
        Ok = "ok",
        /// Past its soft cap.
        Warning = "warning",
        /// Spent: questions are answered offline.
        Blocked = "blocked",
    }
}

string_enum! {
    /// A budget's period.
    pub enum BudgetPeriod {
        Day = "day",
        Month = "month",
        Total = "total",
    }
}

string_enum! {
    /// An AI provider's health, from its circuit breaker.
    pub enum ProviderState {
        Ok = "ok",
        Paused = "paused",
        Retrying = "retrying",
    }
}

string_enum! {
    /// A banner's colour: yellow past a soft cap, red when a budget is spent, or a paused provider.
    pub enum BannerLevel {
        Warning = "warning",
        Blocked = "blocked",
        Paused = "paused",
    }
}

string_enum! {
    /// What a data source is.
    pub enum SourceKind {
        Sample = "sample",
        Workspace = "workspace",
        Sqlite = "sqlite",
        Postgres = "postgres",
        Mysql = "mysql",
        InPlace = "in_place",
    }
}

string_enum! {
    /// The language of an answer's code.
    pub enum Language {
        Sql = "sql",
        Python = "python",
    }
}

string_enum! {
    /// How an answer's chart is drawn.
    pub enum ChartKind {
        Bar = "bar",
        Line = "line",
        Number = "number",
        Pie = "pie",
        Scatter = "scatter",
    }
}

string_enum! {
    /// A column's type after an import, which the person can correct and re-import with (in the
    /// order they choose from).
    pub enum ColumnType {
        Integer = "integer",
        Real = "real",
        Date = "date",
        DateTime = "datetime",
        Text = "text",
    }
}

string_enum! {
    /// How a setting is edited.
    pub enum FieldKind {
        Choice = "choice",
        Number = "number",
        Switch = "switch",
        Text = "text",
    }
}

string_enum! {
    /// Where a key comes from.
    pub enum KeyState {
        NotSet = "none",
        Keychain = "keychain",
        Environment = "environment",
    }
}

/// Rows an answer brings with it; a larger result's other rows are fetched after it is shown,
/// [`ROWS_PAGE`] at a time, so a 10,000-row answer does not cross the IPC boundary in one piece
/// before anything is on screen.
pub const FIRST_ROWS: usize = 500;
/// Rows per `answer_rows` call.
pub const ROWS_PAGE: usize = 2_000;

/// One answer, ready to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerView {
    /// Id of the history entry this answer was recorded as (for export and re-display).
    pub history_id: Option<i64>,
    pub question: String,
    pub route: Route,
    pub confidence: f64,
    pub interpretation: String,
    pub language: Option<Language>,
    pub code: Option<String>,
    pub columns: Vec<String>,
    /// The first [`FIRST_ROWS`] rows; the others come through `answer_rows`, a page at a time.
    pub rows: Vec<Vec<Value>>,
    /// How many rows the answer has in all.
    pub total_rows: usize,
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
    pub error_kind: Option<ErrorKind>,
    /// What the AI was expected to cost, worked out before anything was sent.
    pub estimate: Option<EstimateView>,
    /// When the answer cache was consulted (AI questions only).
    pub cache: Option<CacheOutcome>,
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
    pub period: BudgetPeriod,
    pub limit_usd: f64,
    pub spent_usd: f64,
    pub reserved_usd: f64,
    pub state: BudgetState,
    /// Local time, `YYYY-MM-DD HH:MM`; none for a total budget.
    pub resets_at: Option<String>,
}

/// An AI provider's health, from its circuit breaker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderStatusView {
    pub provider: String,
    /// "Perplexity", "OpenAI-compatible".
    pub name: String,
    pub state: ProviderState,
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
    pub level: BannerLevel,
    pub text: String,
}

/// A chart, already rendered to SVG by core (Plotters).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartView {
    pub kind: ChartKind,
    pub x: String,
    pub y: String,
    pub title: String,
    pub svg: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostView {
    pub total_usd: f64,
    pub source: CostSource,
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
    pub route: Route,
    /// Local time, `YYYY-MM-DD HH:MM`.
    pub asked_at: String,
    /// The data it was asked of, as shown on the Data screen (a file name or a server).
    pub source: String,
    pub cost_usd: f64,
    /// The name it was saved under, when saved.
    pub saved_name: Option<String>,
}

/// The sidebar: saved questions above the history, both matching the search.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HistoryView {
    pub saved: Vec<HistoryItem>,
    pub recent: Vec<HistoryItem>,
}

string_enum! {
    /// What "Export…" saves: the table (CSV, XLSX), the chart (PNG, SVG) or the answer card.
    pub enum ExportFormat {
        Csv = "csv",
        Xlsx = "xlsx",
        Png = "png",
        Svg = "svg",
        /// The answer card: one self-contained HTML file.
        Html = "html",
    }
}

impl ExportFormat {
    /// What the person chooses from.
    pub fn label(self) -> &'static str {
        match self {
            Self::Csv => "Table as CSV",
            Self::Xlsx => "Table as Excel (.xlsx)",
            Self::Png => "Chart as PNG image",
            Self::Svg => "Chart as SVG (vector)",
            Self::Html => "Answer card (HTML, to e-mail)",
        }
    }

    /// Whether it needs a chart.
    pub fn is_chart(self) -> bool {
        matches!(self, Self::Png | Self::Svg)
    }
}

/// The one error type the webview receives: a stable `kind` to match on and a message a
/// non-technical person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpcError {
    pub kind: ErrorKind,
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
    pub kind: SourceKind,
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
    /// Answer from a CSV or Parquet file where it is (through DuckDB) instead of importing a
    /// copy. Parquet files, and CSV files of [`IN_PLACE_BYTES`] or more, are opened in place
    /// whatever this says, when the app has its DuckDB worker.
    #[serde(default)]
    pub in_place: bool,
}

/// The size from which a CSV file is opened in place rather than copied into the workspace.
pub const IN_PLACE_BYTES: u64 = 256 << 20;

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
    #[serde(rename = "type")]
    pub ty: ColumnType,
}

/// Payload of [`IMPORT_PROGRESS_EVENT`], emitted while an import runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ImportProgress {
    pub done: u64,
    pub total: u64,
}

string_enum! {
    /// A tool a Settings section shows beside its settings.
    pub enum SectionTool {
        Presets = "presets",
        CacheStats = "cache_stats",
        Diagnostics = "diagnostics",
    }
}

/// A group of settings on the Settings screen, in the order shown (from core's
/// `settings::screen`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsSection {
    pub id: String,
    pub title: String,
    pub about: String,
    /// The settings it holds, in order.
    pub keys: Vec<String>,
    pub tool: Option<SectionTool>,
}

/// A one-click AI provider: the values it sets `ai_provider`, `ai_base_url` and `ai_model` to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresetView {
    pub id: String,
    pub name: String,
    pub about: String,
    pub provider: String,
    pub base_url: String,
    pub model: String,
    /// What to do next, said once it is chosen.
    pub next: String,
}

/// One value a choice setting can take, and how a person reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceOption {
    pub value: String,
    pub label: String,
}

/// The Settings screen: every non-secret setting and every key's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsView {
    pub fields: Vec<SettingField>,
    pub keys: Vec<KeyStatus>,
    /// How the fields are grouped; a field no section names goes to "Other".
    pub sections: Vec<SettingsSection>,
    pub presets: Vec<PresetView>,
    /// "The AI is on: Perplexity (perplexity/sonar)" or why it is off.
    pub ai_status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingField {
    pub key: String,
    pub label: String,
    pub help: String,
    pub kind: FieldKind,
    pub options: Vec<ChoiceOption>,
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
    pub state: KeyState,
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
    /// MariaDB or MySQL instead of PostgreSQL (same fields; port 3306 by custom).
    #[serde(default)]
    pub mysql: bool,
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    pub password: Option<String>,
}

impl std::fmt::Debug for PostgresForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresForm")
            .field("mysql", &self.mysql)
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

    /// Each enum crosses IPC as exactly the strings it did when these fields were `String`s
    /// (listed from the code before the change), so the CLI's JSON and stored history read the same.
    #[track_caller]
    fn same_strings<
        T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug + Copy,
    >(
        all: &[T],
        as_str: fn(T) -> &'static str,
        parse: fn(&str) -> Option<T>,
        today: &[&str],
    ) {
        let serialized: Vec<String> = all
            .iter()
            .map(|v| {
                serde_json::to_value(v)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(serialized, today, "serialized strings");
        let shown: Vec<&str> = all.iter().map(|v| as_str(*v)).collect();
        assert_eq!(shown, today, "as_str");
        for (value, text) in all.iter().zip(today) {
            assert_eq!(
                serde_json::from_value::<T>(Value::String((*text).into())).unwrap(),
                *value,
                "{text} reads back"
            );
            assert_eq!(parse(text), Some(*value), "{text} parses");
        }
        assert_eq!(parse("no_such_thing"), None);
    }

    #[test]
    fn error_kinds_are_todays_strings() {
        same_strings(
            ErrorKind::ALL,
            ErrorKind::as_str,
            ErrorKind::parse,
            &[
                "empty_question",
                "question_too_long",
                "database_unavailable",
                "database_unreadable",
                "refused_sql",
                "timeout",
                "cancelled",
                "query_failed",
                "sample_db_failed",
                "python_failed",
                "bad_setting",
                "invalid_setting",
                "keychain_locked",
                "keychain_unavailable",
                "llm_no_key",
                "llm_unauthorized",
                "llm_rejected",
                "llm_rate_limited",
                "llm_server_error",
                "llm_timeout",
                "llm_unreachable",
                "llm_bad_reply",
                "llm_failed",
                "llm_code_failed",
                "approval_needed",
                "budget_exceeded",
                "budget_unavailable",
                "provider_paused",
                "data_dir_unavailable",
                "history_unavailable",
                "chart_failed",
                "bad_today",
                "no_chart",
                "export_failed",
                "interrupted",
                "incomplete_glossary_entry",
                "no_such_source",
                "sample_is_built_in",
                "file_missing",
                "not_a_database",
                "database_locked",
                "connection_failed",
                "source_failed",
                "incomplete_connection",
                "import_running",
                "import_cancelled",
                "table_exists",
                "import_failed",
                "ipc_mismatch",
                "ipc_unavailable",
            ],
        );
    }

    #[test]
    fn routes_are_todays_strings() {
        same_strings(
            Route::ALL,
            Route::as_str,
            Route::parse,
            &["answer", "clarify", "fallback", "refused", "blocked"],
        );
    }

    #[test]
    fn cache_outcomes_are_todays_strings() {
        same_strings(
            CacheOutcome::ALL,
            CacheOutcome::as_str,
            CacheOutcome::parse,
            &["miss", "exact", "semantic"],
        );
    }

    #[test]
    fn cost_sources_are_todays_strings() {
        same_strings(
            CostSource::ALL,
            CostSource::as_str,
            CostSource::parse,
            &["none", "provider", "estimate"],
        );
    }

    #[test]
    fn budget_states_are_todays_strings() {
        same_strings(
            BudgetState::ALL,
            BudgetState::as_str,
            BudgetState::parse,
            &["ok", "warning", "blocked"],
        );
    }

    #[test]
    fn budget_periods_are_todays_strings() {
        same_strings(
            BudgetPeriod::ALL,
            BudgetPeriod::as_str,
            BudgetPeriod::parse,
            &["day", "month", "total"],
        );
    }

    #[test]
    fn provider_states_are_todays_strings() {
        same_strings(
            ProviderState::ALL,
            ProviderState::as_str,
            ProviderState::parse,
            &["ok", "paused", "retrying"],
        );
    }

    #[test]
    fn banner_levels_are_todays_strings() {
        same_strings(
            BannerLevel::ALL,
            BannerLevel::as_str,
            BannerLevel::parse,
            &["warning", "blocked", "paused"],
        );
    }

    #[test]
    fn source_kinds_are_todays_strings() {
        same_strings(
            SourceKind::ALL,
            SourceKind::as_str,
            SourceKind::parse,
            &[
                "sample",
                "workspace",
                "sqlite",
                "postgres",
                "mysql",
                "in_place",
            ],
        );
    }

    #[test]
    fn field_kinds_are_todays_strings() {
        same_strings(
            FieldKind::ALL,
            FieldKind::as_str,
            FieldKind::parse,
            &["choice", "number", "switch", "text"],
        );
    }

    #[test]
    fn key_states_are_todays_strings() {
        same_strings(
            KeyState::ALL,
            KeyState::as_str,
            KeyState::parse,
            &["none", "keychain", "environment"],
        );
    }

    #[test]
    fn an_error_crosses_as_kind_and_message_strings() {
        let error = IpcError {
            kind: ErrorKind::LlmUnauthorized,
            message: "Check the key.".into(),
        };
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "llm_unauthorized", "message": "Check the key."})
        );
        assert_eq!(serde_json::from_value::<IpcError>(json).unwrap(), error);
    }

    #[test]
    fn a_postgres_form_never_prints_its_password() {
        let form = PostgresForm {
            mysql: false,
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
