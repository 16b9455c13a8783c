//! `plainsight ask`: answers one question through the app's own composition, prints it (JSON
//! or a plain table) and records it in the history the app shows.

use std::time::Duration;

use anyhow::{bail, Result};
use plainsight_core::history::AppDb;
use plainsight_core::llm::provider as llm;
use plainsight_core::secrets;
use plainsight_core::source;
use plainsight_core::{datadir, setup, AiMode, Answer};

use crate::args::{Ai, AskArgs};
use crate::{env, local_today};

/// `plainsight ask …`: every stored setting applies, the flags given win.
pub(crate) fn ask(args: AskArgs) -> Result<()> {
    let AskArgs {
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
        export,
        question,
    } = args;
    crate::export::check_all(&export)?;
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
        query_timeout: timeout_ms.map(Duration::from_millis),
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
    if json {
        println!("{}", answer.to_json());
    } else {
        print_human(&answer);
    }
    let source = pipeline.database();
    let report = plainsight_core::export::Report::of_answer(&answer, &source, chrono::Utc::now());
    crate::export::save_all(&report, &export, json)
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
