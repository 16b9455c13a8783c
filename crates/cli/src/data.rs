//! `plainsight sql`, `schema` and `sample-db`: one statement through the guard and executor, a
//! database's schema as JSON, and the sample database.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use plainsight_core::executor::Limits;
use plainsight_core::{datadir, guard, sample, source};

use crate::local_today;

/// `plainsight sql`: one read-only statement through the guard and executor; JSON out.
pub(crate) fn sql(
    db: &str,
    max_rows: usize,
    timeout_ms: u64,
    export: &[PathBuf],
    statement: &str,
) -> Result<()> {
    crate::export::check_all(export)?;
    let source = source::open(db)?;
    let checked = guard::check_for(statement, source.dialect()).context("refused")?;
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
    if export.is_empty() {
        return Ok(());
    }
    let chart = plainsight_core::chart::choose(&result.columns, &result.rows, "");
    let code = checked.to_string();
    let described = source.describe();
    let report = plainsight_core::export::Report {
        question: statement,
        interpretation: "",
        language: Some(plainsight_core::Language::Sql),
        code: Some(&code),
        columns: &result.columns,
        rows: &result.rows,
        truncated: result.truncated,
        chart: chart.as_ref(),
        cost: None,
        generated_by: "you",
        source: &described,
        read_at: chrono::Utc::now(),
    };
    crate::export::save_all(&report, export, true)
}

/// `plainsight schema`: a database's schema as JSON (cached in the data directory when there is one).
pub(crate) fn schema(db: &str) -> Result<()> {
    let source = source::open(db)?;
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

/// `plainsight sample-db`: writes the sample database ("Harbor & Pine Supply").
pub(crate) fn sample_db(out: &Path, today: Option<NaiveDate>, orders: u32) -> Result<()> {
    if orders == 0 {
        bail!("--orders must be at least 1");
    }
    sample::write_sample_db(out, today.unwrap_or_else(local_today), orders)?;
    Ok(())
}
