//! `plainsight`: the command line over the same pipeline as the desktop app.
//!
//! `ask` answers a question (JSON with `--json`: the contract later issues, benchmarks and the
//! evaluation rely on), `sql` runs one statement through the guard and executor, and
//! `sample-db` writes the sample database. Exit 0 for every route; non-zero with one plain line
//! on stderr for bad arguments or a missing/unreadable database.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use plainsight_core::executor::Limits;
use plainsight_core::history::AppDb;
use plainsight_core::import::{import_file, ColumnType, ImportOptions};
use plainsight_core::llm::provider as llm;
use plainsight_core::secrets::{self, KeyName, SecretStore};
use plainsight_core::source;
use plainsight_core::{datadir, guard, sample, setup, AiMode, Answer};

#[derive(Parser)]
#[command(
    name = "plainsight",
    version,
    about = "Ask questions about your data in plain English."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Ai {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
enum KeysAction {
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
enum BudgetAction {
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
enum CacheAction {
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
enum BreakerAction {
    /// Each AI provider's circuit breaker: closed, open (paused until …) or half-open.
    Show {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Runner {
    Monty,
    Daytona,
}

#[derive(Subcommand)]
enum SettingsAction {
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
enum GlossaryAction {
    /// Add or replace a term ("GMV") and what it means ("revenue").
    Set { term: String, meaning: Vec<String> },
    /// Print every term as JSON.
    List,
    /// Forget a term.
    Remove { term: String },
}

#[derive(Subcommand)]
enum Command {
    /// Answer a question about a database.
    Ask {
        /// SQLite file or postgres:// URL to ask about (default: the sample database in the data directory).
        #[arg(long)]
        db: Option<String>,
        /// The date "today" means (YYYY-MM-DD; default: the local date).
        #[arg(long)]
        today: Option<NaiveDate>,
        /// Never use an AI provider (same as --ai never).
        #[arg(long)]
        offline: bool,
        /// Print exactly one JSON object.
        #[arg(long)]
        json: bool,
        /// Whether questions the planner is unsure of go to an AI provider once one is configured
        /// (default: the `ai_mode` setting, which is auto unless changed).
        #[arg(long, value_enum)]
        ai: Option<Ai>,
        /// Stop a query after this many milliseconds.
        #[arg(long, default_value_t = 5_000)]
        timeout_ms: u64,
        /// AI provider: perplexity (Agent API, default), perplexity-sonar or openai (any
        /// OpenAI-compatible server). The key comes from PERPLEXITY_API_KEY / OPENAI_API_KEY.
        #[arg(long)]
        provider: Option<String>,
        /// The provider's model (default: perplexity/sonar, sonar, gpt-4o-mini).
        #[arg(long)]
        model: Option<String>,
        /// The provider's base URL, e.g. http://localhost:11434/v1 for Ollama.
        #[arg(long)]
        base_url: Option<String>,
        /// How often the AI may correct its own SQL after an error (0–2; default: the
        /// `self_correct` setting).
        #[arg(long, value_parser = clap::value_parser!(u8).range(0..=2))]
        self_correct: Option<u8>,
        /// Approve spending up to this many USD on the AI for this question (without it, a
        /// question estimated above the approval threshold is `approval_needed`).
        #[arg(long, value_name = "USD")]
        max_cost: Option<f64>,
        /// The question, in plain English.
        #[arg(required = true, num_args = 1..)]
        question: Vec<String>,
    },
    /// Run one read-only SQL statement through the guard and executor; JSON out.
    Sql {
        /// SQLite file or postgres:// URL.
        #[arg(long)]
        db: String,
        #[arg(long, default_value_t = 10_000)]
        max_rows: usize,
        #[arg(long, default_value_t = 5_000)]
        timeout_ms: u64,
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
        /// SQLite file or postgres:// URL for query_sql (default: the sample database).
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
        /// SQLite file or postgres:// URL.
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

fn main() -> ExitCode {
    // Kept to the end: dropping it flushes the log file.
    let _log = plainsight_core::logs::init_from_settings("error");
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Through the redaction wall: an error may quote a provider's words, or an address.
            eprintln!(
                "plainsight: {}",
                plainsight_core::redact::redact(&sentence(&e))
            );
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes as one readable line.
fn sentence(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

fn local_today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Ask {
            db,
            today,
            offline,
            json,
            ai,
            timeout_ms,
            provider,
            model,
            base_url,
            self_correct,
            max_cost,
            question,
        } => {
            if max_cost.is_some_and(|c| !(c.is_finite() && c >= 0.0)) {
                bail!("--max-cost must be an amount in USD, 0 or more");
            }
            let today = today.unwrap_or_else(local_today);
            let db = match db {
                Some(db) => db,
                None => {
                    let dir = datadir::data_dir()?;
                    plainsight_core::ensure_sample_db(&dir, today)?
                        .display()
                        .to_string()
                }
            };
            let ai = if offline {
                Some(AiMode::Never)
            } else {
                ai.map(|ai| match ai {
                    Ai::Auto => AiMode::Auto,
                    Ai::Always => AiMode::Always,
                    Ai::Never => AiMode::Never,
                })
            };
            // The app's own composition: every stored setting applies, the flags given win.
            let dir = datadir::data_dir()?;
            let app = AppDb::open(&datadir::app_db_path(&dir))?;
            let overrides = setup::Overrides {
                ai,
                self_correct,
                query_timeout: Some(Duration::from_millis(timeout_ms)),
                choice: llm::Choice {
                    provider,
                    model,
                    base_url,
                },
            };
            let ready = setup::from_settings(&app, &dir, &secrets::Keychain, &env, &overrides)
                .map_err(anyhow::Error::msg)?;
            drop(app);
            if ready.options.ai == AiMode::Always && ready.llm.is_none() {
                bail!("--ai always needs an AI provider: set PERPLEXITY_API_KEY (or OPENAI_API_KEY with --provider openai)");
            }
            let tracer = ready.tracer.clone();
            let pipeline = ready.open(source::open(&db)?)?;
            let answer = pipeline.ask_with(&question.join(" "), today, None, max_cost);
            // The trace goes out before the process ends (at most 2 s), answered or not.
            if let Some(t) = &tracer {
                t.flush(Duration::from_secs(2));
            }
            let answer = answer?;
            record(&answer);
            if json {
                println!("{}", answer.to_json());
            } else {
                print_human(&answer);
            }
            Ok(())
        }
        Command::Sql {
            db,
            max_rows,
            timeout_ms,
            statement,
        } => {
            let source = source::open(&db)?;
            let checked = guard::check_for(&statement, source.dialect()).context("refused")?;
            let limits = Limits {
                max_rows,
                timeout: Duration::from_millis(timeout_ms),
                ..Limits::default()
            };
            let result = source.run(&checked, &limits, None)?;
            println!(
                "{}",
                serde_json::json!({"columns": result.columns, "rows": result.rows, "truncated": result.truncated})
            );
            Ok(())
        }
        Command::Import {
            file,
            table,
            sheet,
            replace,
            types,
            workspace,
            json,
        } => {
            let workspace = match workspace {
                Some(w) => w,
                None => datadir::workspace_db_path(&datadir::data_dir()?),
            };
            let options = ImportOptions {
                table,
                sheet,
                replace,
                types,
            };
            let mut last = std::time::Instant::now();
            let summary = import_file(&workspace, &file, &options, &mut |p| {
                if last.elapsed() > Duration::from_millis(500) {
                    eprintln!("imported {} of {} rows", p.done, p.total);
                    last = std::time::Instant::now();
                }
                true
            })?;
            if json {
                let columns: Vec<_> = summary
                    .columns
                    .iter()
                    .map(|c| serde_json::json!({"name": c.name, "type": c.ty.sql()}))
                    .collect();
                println!(
                    "{}",
                    serde_json::json!({"table": summary.table, "rows_imported": summary.rows_imported, "rows_skipped": summary.rows_skipped,
                        "skipped": summary.skipped, "columns": columns, "warnings": summary.warnings})
                );
            } else {
                println!(
                    "Imported {} rows into \"{}\" ({} skipped).",
                    summary.rows_imported, summary.table, summary.rows_skipped
                );
                for reason in summary.skipped.iter().chain(&summary.warnings) {
                    println!("  {reason}");
                }
            }
            Ok(())
        }
        Command::Keys { action } => keys(action),
        Command::Budget { action } => budget(action),
        Command::Breaker { action } => breaker(action),
        Command::Cache { action } => cache(action),
        Command::Python {
            db,
            runner,
            json: _,
        } => python(db, runner),
        Command::Settings { action } => settings(action),
        Command::Glossary { action } => {
            let db = AppDb::open(&datadir::app_db_path(&datadir::data_dir()?))?;
            match action {
                GlossaryAction::Set { term, meaning } => {
                    let meaning = meaning.join(" ");
                    if term.trim().is_empty() || meaning.trim().is_empty() {
                        bail!("give a term and what it means, e.g. `plainsight glossary set GMV revenue`");
                    }
                    db.set_glossary_entry(&term, &meaning)?;
                }
                GlossaryAction::List => {
                    let entries: Vec<_> = db
                        .glossary()?
                        .into_iter()
                        .map(|e| serde_json::json!({"term": e.term, "meaning": e.meaning}))
                        .collect();
                    println!("{}", serde_json::Value::Array(entries));
                }
                GlossaryAction::Remove { term } => {
                    if !db.remove_glossary_entry(&term)? {
                        bail!("there is no glossary term {term:?}");
                    }
                }
            }
            Ok(())
        }
        Command::Schema { db } => {
            let source = source::open(&db)?;
            let schema = match datadir::data_dir() {
                Ok(dir) => plainsight_core::schema::cached(source.as_ref(), &dir)?,
                Err(_) => source.schema()?,
            };
            let tables: Vec<_> = schema
                .tables
                .iter()
                .map(|t| {
                    serde_json::json!({
                        "name": t.name, "view": t.is_view, "rows": t.row_count,
                        "columns": t.columns.iter().map(|c| serde_json::json!({"name": c.name, "type": c.decl_type, "kind": format!("{:?}", c.kind).to_lowercase(), "values": c.values})).collect::<Vec<_>>(),
                        "foreign_keys": t.foreign_keys.iter().map(|f| serde_json::json!({"column": f.column, "table": f.table, "to": f.to_column})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            println!("{}", serde_json::json!({ "tables": tables }));
            Ok(())
        }
        Command::SampleDb { out, today, orders } => {
            if orders == 0 {
                bail!("--orders must be at least 1");
            }
            sample::write_sample_db(&out, today.unwrap_or_else(local_today), orders)?;
            Ok(())
        }
    }
}

fn print_human(a: &Answer) {
    println!("{} ({:.0}% sure)", a.interpretation, a.confidence * 100.0);
    if !a.message.is_empty() {
        println!("{}", a.message);
    }
    for (i, option) in a.options.iter().enumerate() {
        println!("  {}. {option}", i + 1);
    }
    if !a.columns.is_empty() {
        let cells: Vec<Vec<String>> = a
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|v| {
                        v.as_f64().filter(|_| v.is_number()).map_or_else(
                            || v.as_str().map_or_else(|| v.to_string(), str::to_string),
                            plainsight_core::chart::format_number,
                        )
                    })
                    .collect()
            })
            .collect();
        let widths: Vec<usize> = (0..a.columns.len())
            .map(|i| {
                cells
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([a.columns[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |vals: &[String]| {
            vals.iter()
                .zip(&widths)
                .map(|(v, w)| format!("{v:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
        };
        println!("\n{}", line(&a.columns));
        for row in &cells {
            println!("{}", line(row));
        }
        if a.truncated {
            println!("(more rows not shown)");
        }
    }
    if let Some(code) = &a.code {
        println!("\n{code}");
    }
}

/// `--type Zip=text`.
fn parse_type_choice(s: &str) -> Result<(String, ColumnType), String> {
    let (name, ty) = s
        .rsplit_once('=')
        .ok_or_else(|| format!("expected COLUMN=TYPE, got {s:?}"))?;
    let ty = ColumnType::parse(ty).ok_or_else(|| {
        format!("{ty:?} is not a column type; use integer, real, date, datetime or text")
    })?;
    Ok((name.trim().to_string(), ty))
}

/// The environment, for `.env.example` names and developer overrides (empty values are unset).
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `plainsight settings …`: the Settings screen's settings, with the same keys, checks and
/// messages (core's `settings::FIELDS` and `setup::set_setting`).
fn settings(action: SettingsAction) -> Result<()> {
    let db = AppDb::open(&datadir::app_db_path(&datadir::data_dir()?))?;
    match action {
        SettingsAction::List { json } => {
            let current = db.settings(&env)?;
            if json {
                let all: Vec<_> = plainsight_core::settings::FIELDS
                    .iter()
                    .map(|f| serde_json::json!({"key": f.key, "label": f.label, "value": current.get(f.key), "default": f.default}))
                    .collect();
                println!("{}", serde_json::Value::Array(all));
            } else {
                for f in plainsight_core::settings::FIELDS {
                    println!("{:24} {:28} {}", f.key, current.get(f.key), f.label);
                }
            }
        }
        SettingsAction::Get { key } => {
            let field = plainsight_core::settings::FIELDS
                .iter()
                .find(|f| f.key == key);
            if field.is_none() {
                bail!("There is no setting called {key:?}.");
            }
            println!("{}", db.settings(&env)?.get(&key));
        }
        SettingsAction::Set { key, value } => {
            setup::set_setting(&db, &key, &value, &env)
                .map_err(|e| anyhow::anyhow!("{key}: {e}"))?;
            println!("{key} = {}", db.settings(&env)?.get(&key));
        }
        SettingsAction::Reset { key } => {
            setup::reset_setting(&db, &key, &env).map_err(|e| anyhow::anyhow!("{key}: {e}"))?;
            println!("{key} = {} (the default)", db.settings(&env)?.get(&key));
        }
    }
    Ok(())
}

fn key_name(name: &str) -> Result<KeyName> {
    KeyName::parse(name).with_context(|| {
        format!("{name:?} is not a key name; use perplexity, openai, embeddings, daytona, langfuse-public, langfuse-secret or postgres:<connection>")
    })
}

/// `plainsight keys …`: the keychain, never a file. Secrets come from stdin and are never printed.
fn keys(action: KeysAction) -> Result<()> {
    let store = secrets::Keychain;
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    match action {
        KeysAction::Set { name } => {
            let name = key_name(&name)?;
            let mut input = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut input)
                .context("could not read the key from stdin")?;
            let secret =
                secrets::clean(&input).context("no key was given on stdin; pipe it in, e.g. `pbpaste | plainsight keys set perplexity`")?;
            store.set(&name, &secret)?;
            println!(
                "Saved the {} ({}) in the system keychain.",
                name.label(),
                secret.masked()
            );
        }
        KeysAction::GetMasked { name } => {
            let name = key_name(&name)?;
            match secrets::lookup(&store, &name, &env)? {
                Some((secret, secrets::Origin::Keychain)) => println!("{}", secret.masked()),
                Some((secret, secrets::Origin::Environment(var))) => {
                    println!("{} (from the environment variable {var})", secret.masked());
                }
                None => println!("There is no {} yet.", name.label()),
            }
        }
        KeysAction::Delete { name } => {
            let name = key_name(&name)?;
            if store.delete(&name)? {
                println!("Deleted the {} from the system keychain.", name.label());
            } else {
                println!("There was no {} in the system keychain.", name.label());
            }
        }
        KeysAction::Test { name, base_url } => {
            let name = key_name(&name)?;
            let kind = match name {
                KeyName::Perplexity => llm::ProviderKind::Perplexity,
                KeyName::OpenAi => llm::ProviderKind::OpenAi,
                other => bail!(
                    "testing the {} arrives with the feature that uses it",
                    other.label()
                ),
            };
            let mut config = llm::ProviderConfig::new(kind);
            if let Some(base) = base_url {
                config.base_url = base.trim_end_matches('/').to_string();
            }
            config.max_retries = 0;
            config.api_key = secrets::lookup(&store, &name, &env)?.map(|(s, _)| s);
            let checked = llm::HttpProvider::new(config)?.check()?;
            println!("{checked}");
        }
    }
    Ok(())
}

/// Adds the answer (with its cost) to the history the app shows; a failure only warns.
fn record(answer: &plainsight_core::Answer) {
    let recorded = datadir::data_dir()
        .map_err(|e| e.to_string())
        .and_then(|dir| AppDb::open(&datadir::app_db_path(&dir)).map_err(|e| e.to_string()))
        .and_then(|db| {
            db.record_answer(
                answer,
                &chrono::Local::now().format("%Y-%m-%d %H:%M").to_string(),
            )
            .map_err(|e| e.to_string())
        });
    if let Err(error) = recorded {
        tracing::warn!(%error, "could not record the question in history");
    }
}

/// `plainsight python`: a script from stdin, run in the sandbox; refusals and failures are
/// `ok: false` with a plain `error` (exit 0).
fn python(db: Option<String>, runner: Runner) -> Result<()> {
    let mut script = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut script)
        .context("could not read the script from stdin")?;
    let db = match db {
        Some(db) => db,
        None => plainsight_core::ensure_sample_db(&datadir::data_dir()?, local_today())?
            .display()
            .to_string(),
    };
    let source = source::open(&db)?;
    let started = std::time::Instant::now();
    let sql =
        |q: &str| -> std::result::Result<Vec<serde_json::Map<String, serde_json::Value>>, String> {
            let checked = guard::check_for(q, source.dialect())
                .map_err(|e| format!("the SQL was refused: {e}"))?;
            let r = source
                .run(&checked, &Limits::default(), None)
                .map_err(|e| e.to_string())?;
            Ok(r.rows
                .into_iter()
                .map(|row| r.columns.iter().cloned().zip(row).collect())
                .collect())
        };
    // Checked before it runs (imports, escape hatches); the sandbox holds regardless.
    let outcome = match plainsight_core::python::validate(&script) {
        Err(e) => Err(e.to_string()),
        Ok(()) => run_script(runner, &script, &sql),
    };
    let duration_ms = started.elapsed().as_millis();
    let out = match outcome {
        Ok(o) => {
            serde_json::json!({"ok": true, "columns": o.columns, "rows": o.rows, "stdout": o.printed, "error": null, "duration_ms": duration_ms})
        }
        Err(e) => {
            serde_json::json!({"ok": false, "columns": [], "rows": [], "stdout": "", "error": e, "duration_ms": duration_ms})
        }
    };
    println!("{out}");
    Ok(())
}

/// Runs a checked script in the chosen runner.
fn run_script(
    runner: Runner,
    script: &str,
    sql: plainsight_core::python::QuerySql<'_>,
) -> std::result::Result<plainsight_core::python::PyOutput, String> {
    use plainsight_core::python::{CodeRunner, MontyWorker, PyLimits};
    match runner {
        Runner::Monty => {
            let worker = plainsight_core::python::find_worker().ok_or(
                "the Python sandbox (plainsight-python-worker) is not installed beside plainsight",
            )?;
            MontyWorker::new(worker)
                .run_with_sql(script, &[], PyLimits::default(), sql, None)
                .map_err(|e| e.to_string())
        }
        Runner::Daytona => {
            let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
            match plainsight_core::python::daytona::configured(&secrets::Keychain, &env) {
                // The sandbox has no network: query_sql cannot call back, so rows come inline.
                Ok(Some(runner)) => runner.run(script, &[], PyLimits::default()).map_err(|e| e.to_string()),
                Ok(None) => {
                    Err("there is no Daytona API key yet; add one with `plainsight keys set daytona` (or set DAYTONA_API_KEY)".to_string())
                }
                Err(e) => Err(e.to_string()),
            }
        }
    }
}

/// `plainsight cache …`: the answer cache the app and every CLI process share.
fn cache(action: CacheAction) -> Result<()> {
    use plainsight_core::cache::Invalidate;
    let db = AppDb::open(&datadir::app_db_path(&datadir::data_dir()?))?;
    let now = chrono::Utc::now().timestamp();
    let what = match action {
        CacheAction::Stats { json } => {
            let s = db.cache_stats(now)?;
            let rate = |n: i64| {
                if s.lookups > 0 {
                    n as f64 / s.lookups as f64
                } else {
                    0.0
                }
            };
            if json {
                println!(
                    "{}",
                    serde_json::json!({"entries": s.entries, "lookups": s.lookups, "exact_hits": s.exact_hits, "semantic_hits": s.semantic_hits,
                        "exact_hit_rate": rate(s.exact_hits), "semantic_hit_rate": rate(s.semantic_hits), "saved_usd": s.saved_usd(),
                        "avg_lookup_ms": s.avg_lookup_micros / 1000.0})
                );
            } else {
                println!(
                    "{} cached answers; {} lookups: {:.0} % exact hits, {:.0} % similar-question hits; saved ${:.4}; lookups take {:.2} ms on average.",
                    s.entries,
                    s.lookups,
                    100.0 * rate(s.exact_hits),
                    100.0 * rate(s.semantic_hits),
                    s.saved_usd(),
                    s.avg_lookup_micros / 1000.0
                );
            }
            return Ok(());
        }
        CacheAction::Clear => Invalidate::All,
        CacheAction::Invalidate {
            model: Some(m),
            source: None,
            older_than: None,
        } => Invalidate::Model(m),
        CacheAction::Invalidate {
            model: None,
            source: Some(s),
            older_than: None,
        } => Invalidate::Source(s),
        CacheAction::Invalidate {
            model: None,
            source: None,
            older_than: Some(secs),
        } => Invalidate::OlderThan(Duration::from_secs(secs)),
        CacheAction::Invalidate { .. } => bail!("give one of --model, --source or --older-than"),
    };
    let n = db.cache_invalidate(&what, now)?;
    println!("Forgot {n} cached answer{}.", if n == 1 { "" } else { "s" });
    Ok(())
}

/// `plainsight breaker show`: the breakers the app and every CLI process share.
fn breaker(action: BreakerAction) -> Result<()> {
    use plainsight_core::breaker::State;
    let BreakerAction::Show { json } = action;
    let db = AppDb::open(&datadir::app_db_path(&datadir::data_dir()?))?;
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let config = plainsight_core::setup::options_from(&db.settings(&env)?).breaker;
    let now = plainsight_core::breaker::now();
    let statuses = db.breakers(config)?;
    if json {
        let breakers: Vec<_> = statuses
            .iter()
            .map(|s| {
                let (failures, cool_down) = match s.breaker.state {
                    State::Closed { failures } => (failures, config.cool_down),
                    State::Open { cool_down, .. } | State::HalfOpen { cool_down, .. } => (config.threshold, cool_down),
                };
                serde_json::json!({"provider": s.provider, "state": s.breaker.state_name(now), "failures": failures,
                    "paused_until": s.breaker.paused_until(now).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
                    "cool_down_ms": u64::try_from(cool_down.as_millis()).unwrap_or(u64::MAX), "last_error": s.last_error})
            })
            .collect();
        println!("{}", serde_json::json!({"breakers": breakers}));
    } else if statuses.is_empty() {
        println!("No AI provider has been called yet.");
    } else {
        for s in &statuses {
            match s.breaker.paused_until(now) {
                Some(until) => println!(
                    "{}: paused until {} ({})",
                    s.provider,
                    plainsight_core::breaker::local_time(until),
                    s.last_error.as_deref().unwrap_or("repeated failures")
                ),
                None if s.breaker.state_name(now) == "closed" => println!("{}: OK", s.provider),
                None => println!("{}: trying again", s.provider),
            }
        }
    }
    Ok(())
}

/// `plainsight budget …`: the same limits the app enforces, in the shared app database.
fn budget(action: BudgetAction) -> Result<()> {
    use plainsight_core::budget::{limit_nanos, Period, Scope};
    let db = AppDb::open(&datadir::app_db_path(&datadir::data_dir()?))?;
    let now = chrono::Local::now().naive_local();
    match action {
        BudgetAction::Set {
            scope,
            limit,
            period,
            soft,
        } => {
            let period = Period::parse(&period)
                .with_context(|| format!("{period:?} is not a period; use day, month or total"))?;
            let limit_nanos = limit_nanos(limit).map_err(anyhow::Error::msg)?;
            db.set_budget(&Scope {
                name: scope.clone(),
                limit_nanos,
                period,
                soft,
            })
            .map_err(anyhow::Error::msg)?;
            println!("The {scope} budget is ${limit:.2} per {}.", period.as_str());
        }
        BudgetAction::Show { json } => {
            let states = db.budgets(now).map_err(anyhow::Error::msg)?;
            if json {
                let scopes: Vec<_> = states
                    .iter()
                    .map(|s| {
                        serde_json::json!({"scope": s.scope.name, "period": s.scope.period.as_str(), "limit_usd": s.scope.limit_usd(),
                            "spent_usd": s.spent_usd(), "reserved_usd": s.reserved_usd(), "state": s.state,
                            "resets_at": s.resets_at.map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())})
                    })
                    .collect();
                println!("{}", serde_json::json!({"scopes": scopes}));
            } else {
                for s in &states {
                    println!(
                        "{}: ${:.4} of ${:.2} per {} ({})",
                        s.scope.name,
                        plainsight_core::money::dollars(s.spent_nanos + s.reserved_nanos),
                        s.scope.limit_usd(),
                        s.scope.period.as_str(),
                        s.state
                    );
                }
            }
        }
    }
    Ok(())
}
