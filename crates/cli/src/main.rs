//! `plainsight`: the command line over the same pipeline as the desktop app.
//!
//! `ask` answers a question (JSON with `--json`: the contract later issues, benchmarks and the
//! evaluation rely on), `sql` runs one statement through the guard and executor, and
//! `sample-db` writes the sample database. Exit 0 for every route; non-zero with one plain line
//! on stderr for bad arguments or a missing/unreadable database.
//!
//! This file keeps `main`, the dispatch and the helpers every command shares; the flags are in
//! `args`, each command in its own module (`ask`, `data`, `import`, `keys`, `python`, `admin`).

use std::process::ExitCode;

use anyhow::Result;
use chrono::NaiveDate;
use clap::Parser;

use args::{Cli, Command};

mod admin;
mod args;
mod ask;
mod data;
mod export;
mod import;
mod keys;
mod python;

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

/// Hands each command to its module.
fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Ask(args) => ask::ask(args),
        Command::Sql {
            db,
            max_rows,
            timeout_ms,
            export,
            statement,
        } => data::sql(&db, max_rows, timeout_ms, &export, &statement),
        Command::Import {
            file,
            table,
            sheet,
            replace,
            types,
            workspace,
            json,
        } => import::import(&file, table, sheet, replace, types, workspace, json),
        Command::Keys { action } => keys::keys(action),
        Command::Budget { action } => admin::budget(action),
        Command::Breaker { action } => admin::breaker(action),
        Command::Cache { action } => admin::cache(action),
        Command::Python {
            db,
            runner,
            json: _,
        } => python::python(db, runner),
        Command::Settings { action } => admin::settings(action),
        Command::Glossary { action } => admin::glossary(action),
        Command::Schema { db } => data::schema(&db),
        Command::SampleDb { out, today, orders } => data::sample_db(&out, today, orders),
    }
}

/// The environment, for `.env.example` names and developer overrides (empty values are unset).
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
