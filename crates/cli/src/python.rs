//! `plainsight python`: a script from stdin, run in the Python sandbox (Monty or Daytona) with
//! `query_sql` bound to the database; JSON out.

use anyhow::{Context, Result};
use plainsight_core::executor::Limits;
use plainsight_core::secrets;
use plainsight_core::{datadir, guard, source};

use crate::args::Runner;
use crate::local_today;

/// `plainsight python`: a script from stdin, run in the sandbox; refusals and failures are
/// `ok: false` with a plain `error` (exit 0).
pub(crate) fn python(db: Option<String>, runner: Runner) -> Result<()> {
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
