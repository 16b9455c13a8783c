//! The command line's shape: the clap `Cli`, its `Command`s and their actions.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use plainsight_core::import::ColumnType;
use plainsight_core::sample;

#[derive(Parser)]
#[command(
    name = "plainsight",
    version,
    about = "Ask questions about your data in plain English."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Ai {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
pub(crate) enum KeysAction {
    /// Save a key, read from stdin (never an argument, so it stays out of shell history).
    Set { name: String },
    /// Show the last 4 characters of a key and where it comes from.
    GetMasked { name: String },
    /// Remove a key from the keychain.
    Delete { name: String },
    /// Make the cheapest real call with the key and say whether it works.
    Test {
        name: String,
        /// The provider's base URL (default: its public address).
        #[arg(long)]
        base_url: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum BudgetAction {
    /// Define or change a scope: global, provider:<name> or source:<name>.
    Set {
        scope: String,
        #[arg(long)]
        limit: f64,
        #[arg(long, default_value = "day")]
        period: String,
        #[arg(long, default_value_t = 0.8)]
        soft: f64,
    },
    /// Every scope with what is spent and reserved now.
    Show {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum CacheAction {
    /// Entries, hit rates, money saved and the average lookup time.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Forgets every cached answer.
    Clear,
    /// Forgets the answers of one model (`provider/model`, or `provider/` for all its models),
    /// one data source, or those older than some seconds.
    Invalidate {
        #[arg(long)]
        model: Option<String>,
        #[arg(long)]
        source: Option<String>,
        #[arg(long, value_name = "SECONDS")]
        older_than: Option<u64>,
    },
}

#[derive(Clone, Copy, Subcommand)]
pub(crate) enum BreakerAction {
    /// Each AI provider's circuit breaker: closed, open (paused until …) or half-open.
    Show {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Runner {
    Monty,
    Daytona,
}

#[derive(Subcommand)]
pub(crate) enum SettingsAction {
    /// Every setting with its value.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One setting's value.
    Get { key: String },
    /// Checks and saves a setting, as the Settings screen does.
    Set { key: String, value: String },
    /// Forgets a saved setting, so its default applies again.
    Reset { key: String },
}

#[derive(Subcommand)]
pub(crate) enum GlossaryAction {
    /// Add or replace a term ("GMV") and what it means ("revenue").
    Set { term: String, meaning: Vec<String> },
    /// Print every term as JSON.
    List,
    /// Forget a term.
    Remove { term: String },
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Answer a question about a database.
    Ask(AskArgs),
    /// Run one read-only SQL statement through the guard and executor; JSON out.
    Sql {
        /// SQLite file, postgres:// or mysql:// URL.
        #[arg(long)]
        db: String,
        #[arg(long, default_value_t = 10_000)]
        max_rows: usize,
        /// Stop the query after this many milliseconds (the app's default query time limit).
        #[arg(long, default_value_t = 30_000)]
        timeout_ms: u64,
        /// Also save the result to PATH (repeatable); the format comes from the extension:
        /// .csv, .xlsx, .png or .svg (its chart), .html (an answer card).
        #[arg(long, value_name = "PATH")]
        export: Vec<PathBuf>,
        statement: String,
    },
    /// Import a CSV or Excel file into the workspace database.
    Import {
        file: PathBuf,
        /// Table name (default: from the file or sheet name).
        #[arg(long)]
        table: Option<String>,
        /// Excel sheet (default: the first).
        #[arg(long)]
        sheet: Option<String>,
        /// Replace a table of the same name.
        #[arg(long)]
        replace: bool,
        /// Override an inferred column type, e.g. `--type Zip=text` (integer, real, date, datetime, text).
        #[arg(long = "type", value_name = "COLUMN=TYPE", value_parser = parse_type_choice)]
        types: Vec<(String, ColumnType)>,
        /// Workspace database (default: workspace.db in the data directory).
        #[arg(long)]
        workspace: Option<PathBuf>,
        /// Print a JSON summary.
        #[arg(long)]
        json: bool,
    },
    /// The Settings screen's settings: `settings list`, `settings get route_threshold`,
    /// `settings set route_threshold 0.9`, `settings reset route_threshold`.
    Settings {
        #[command(subcommand)]
        action: SettingsAction,
    },
    /// Your own words for things: `glossary set GMV revenue`, `glossary list`, `glossary remove GMV`.
    Glossary {
        #[command(subcommand)]
        action: GlossaryAction,
    },
    /// API keys in the system keychain: `keys set perplexity` (reads the key from stdin),
    /// `keys get-masked perplexity`, `keys delete perplexity`, `keys test perplexity`.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Run a Python analysis script (read from stdin) in the sandbox, with `query_sql("SELECT …")`
    /// bound to the database; JSON out.
    Python {
        /// SQLite file, postgres:// or mysql:// URL for query_sql (default: the sample database).
        #[arg(long)]
        db: Option<String>,
        /// Where to run it.
        #[arg(long, value_enum, default_value = "monty")]
        runner: Runner,
        /// Print JSON (the default output is JSON as well; kept for symmetry with ask).
        #[arg(long)]
        json: bool,
    },
    /// Spending limits: `budget set global --limit 5 --period day [--soft 0.8]`, `budget show [--json]`.
    Budget {
        #[command(subcommand)]
        action: BudgetAction,
    },
    /// The answer cache.
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
    /// The AI providers' circuit breakers.
    Breaker {
        #[command(subcommand)]
        action: BreakerAction,
    },
    /// Print a database's schema as JSON.
    Schema {
        /// SQLite file, postgres:// or mysql:// URL.
        #[arg(long)]
        db: String,
    },
    /// Write the sample database ("Harbor & Pine Supply").
    SampleDb {
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        today: Option<NaiveDate>,
        #[arg(long, default_value_t = sample::DEFAULT_ORDERS)]
        orders: u32,
    },
}

// `plainsight ask`'s flags and question (a plain comment: clap would show a doc comment).
#[derive(Args)]
pub(crate) struct AskArgs {
    /// SQLite file, postgres:// or mysql:// URL to ask about (default: the sample database in the data directory).
    #[arg(long)]
    pub(crate) db: Option<String>,
    /// The date "today" means (YYYY-MM-DD; default: the local date).
    #[arg(long)]
    pub(crate) today: Option<NaiveDate>,
    /// Never use an AI provider (same as --ai never).
    #[arg(long)]
    pub(crate) offline: bool,
    /// Print exactly one JSON object.
    #[arg(long)]
    pub(crate) json: bool,
    /// Whether questions the planner is unsure of go to an AI provider once one is configured
    /// (default: the `ai_mode` setting, which is auto unless changed).
    #[arg(long, value_enum)]
    pub(crate) ai: Option<Ai>,
    /// Stop a query after this many milliseconds (default: the query_time_limit_secs setting,
    /// 30 s unless changed).
    #[arg(long)]
    pub(crate) timeout_ms: Option<u64>,
    /// AI provider: perplexity (Agent API, default), perplexity-sonar or openai (any
    /// OpenAI-compatible server). The key comes from PERPLEXITY_API_KEY / OPENAI_API_KEY.
    #[arg(long)]
    pub(crate) provider: Option<String>,
    /// The provider's model (default: perplexity/sonar, sonar, gpt-4o-mini).
    #[arg(long)]
    pub(crate) model: Option<String>,
    /// The provider's base URL, e.g. http://localhost:11434/v1 for Ollama.
    #[arg(long)]
    pub(crate) base_url: Option<String>,
    /// How often the AI may correct its own SQL after an error (0–2; default: the
    /// `self_correct` setting).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub(crate) self_correct: Option<u8>,
    /// Approve spending up to this many USD on the AI for this question (without it, a
    /// question estimated above the approval threshold is `approval_needed`).
    #[arg(long, value_name = "USD")]
    pub(crate) max_cost: Option<f64>,
    /// Also save the answer to PATH (repeatable); the format comes from the extension: .csv or
    /// .xlsx (the table), .png or .svg (the chart), .html (an answer card to e-mail).
    #[arg(long, value_name = "PATH")]
    pub(crate) export: Vec<PathBuf>,
    /// The question, in plain English.
    #[arg(required = true, num_args = 1..)]
    pub(crate) question: Vec<String>,
}

/// `--type Zip=text`.
pub(crate) fn parse_type_choice(s: &str) -> Result<(String, ColumnType), String> {
    let (name, ty) = s
        .rsplit_once('=')
        .ok_or_else(|| format!("expected COLUMN=TYPE, got {s:?}"))?;
    let ty = ColumnType::parse(ty).ok_or_else(|| {
        format!("{ty:?} is not a column type; use integer, real, date, datetime or text")
    })?;
    Ok((name.trim().to_string(), ty))
}
