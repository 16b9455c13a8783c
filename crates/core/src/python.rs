//! `CodeRunner`: Python analysis scripts, run where they cannot touch anything.
//!
//! A Python answer is a **data query** (SQL, guarded and run by the executor on the read-only
//! connection) plus a **script** that receives the query's result as `rows` (a list of dicts) and
//! leaves its answer in `result`. [`MontyWorker`] runs scripts in pydantic's Monty interpreter in
//! a separate worker process (`plainsight-python-worker`): Monty's memory limit needs its
//! allocator for the whole process and a breach aborts that process, so it must never be the
//! app's. One worker is kept warm; after a crash, a breach or a hang it is replaced, and the
//! person reads a plain message, not a crash.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::worker::{Waited, Worker};

pub mod daytona;

/// Limits for one script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PyLimits {
    pub time: Duration,
    pub memory_bytes: u64,
    /// `print` output and the result's size.
    pub max_output: u64,
    pub max_depth: u32,
}

impl Default for PyLimits {
    fn default() -> Self {
        Self {
            time: Duration::from_secs(5),
            memory_bytes: 256 << 20,
            max_output: 64 << 10,
            max_depth: 200,
        }
    }
}

/// A script's answer as a table.
#[derive(Debug, Clone, PartialEq)]
pub struct PyOutput {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    pub printed: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PyError {
    #[error("the Python script took longer than {0} s and was stopped")]
    Timeout(u64),
    #[error("the Python script needed more than {0} MB of memory and was stopped")]
    Memory(u64),
    #[error("the Python script did not leave its answer in a variable called `result`")]
    NoResult,
    #[error("the Python script has a mistake: {0}")]
    Script(String),
    #[error("the Python script's answer cannot be shown as a table: {0}")]
    Shape(String),
    #[error("Plainsight's Python sandbox could not start ({0}); reinstall Plainsight")]
    Unavailable(String),
    #[error("Plainsight's Python sandbox stopped unexpectedly; it has been restarted, try again")]
    Crashed,
    #[error("the Python script was stopped")]
    Cancelled,
    /// A remote sandbox (Daytona) failed; the message says why and what to do.
    #[error("{0}")]
    Remote(String),
}

/// Serves a script's `query_sql("SELECT …")`: rows as dicts, or why it was refused.
pub type QuerySql<'a> = &'a dyn Fn(&str) -> Result<Vec<Map<String, Value>>, String>;

/// Runs one script over rows.
pub trait CodeRunner: Send + Sync {
    fn run(
        &self,
        script: &str,
        rows: &[Map<String, Value>],
        limits: PyLimits,
    ) -> Result<PyOutput, PyError>;

    /// Like [`CodeRunner::run`], with `query_sql` bound to `sql` where the runner can call back
    /// to the host (a remote sandbox cannot: it only gets `rows`).
    /// `cancel` is Stop: a runner that can end the script at once does so.
    fn run_with_sql(
        &self,
        script: &str,
        rows: &[Map<String, Value>],
        limits: PyLimits,
        sql: QuerySql<'_>,
        cancel: Option<&AtomicBool>,
    ) -> Result<PyOutput, PyError> {
        let _ = (sql, cancel);
        self.run(script, rows, limits)
    }

    /// What the last run cost in USD (remote sandboxes bill by the second; Monty costs nothing).
    fn last_cost_usd(&self) -> f64 {
        0.0
    }

    /// The most one run under `limits` can cost in USD (for the estimate and the budget).
    fn max_cost_usd(&self, limits: PyLimits) -> f64 {
        let _ = limits;
        0.0
    }
}

/// Monty in a warm worker process.
pub struct MontyWorker {
    program: PathBuf,
    worker: Mutex<Option<Worker>>,
}

impl std::fmt::Debug for MontyWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MontyWorker")
            .field("program", &self.program)
            .finish_non_exhaustive()
    }
}

/// The worker's file name.
pub const WORKER_NAME: &str = "plainsight-python-worker";

/// Where the worker program is: `PLAINSIGHT_PYTHON_WORKER`, or beside this program (or one
/// folder up, for test binaries in `target/*/deps`).
pub fn find_worker() -> Option<PathBuf> {
    crate::worker::find_program(WORKER_NAME, "PLAINSIGHT_PYTHON_WORKER")
}

impl MontyWorker {
    pub fn new(program: PathBuf) -> Self {
        Self {
            program,
            worker: Mutex::new(None),
        }
    }

    fn spawn(&self) -> Result<Worker, PyError> {
        Worker::spawn(&self.program, &[])
            .map_err(|e| PyError::Unavailable(format!("{}: {e}", self.program.display())))
    }
}

impl CodeRunner for MontyWorker {
    fn run(
        &self,
        script: &str,
        rows: &[Map<String, Value>],
        limits: PyLimits,
    ) -> Result<PyOutput, PyError> {
        self.call(script, rows, limits, None, None)
    }

    fn run_with_sql(
        &self,
        script: &str,
        rows: &[Map<String, Value>],
        limits: PyLimits,
        sql: QuerySql<'_>,
        cancel: Option<&AtomicBool>,
    ) -> Result<PyOutput, PyError> {
        self.call(script, rows, limits, Some(sql), cancel)
    }
}

impl MontyWorker {
    /// The raw sandbox: callers run [`validate`] first; the sandbox holds even when they do not
    /// (the escape suite proves it without the check).
    fn call(
        &self,
        script: &str,
        rows: &[Map<String, Value>],
        limits: PyLimits,
        sql: Option<QuerySql<'_>>,
        cancel: Option<&AtomicBool>,
    ) -> Result<PyOutput, PyError> {
        let request = Request {
            query_sql: sql.is_some(),
            script,
            table: Table::of(rows),
            time_ms: u64::try_from(limits.time.as_millis()).unwrap_or(u64::MAX),
            memory_bytes: limits.memory_bytes,
            max_output: limits.max_output,
            max_depth: limits.max_depth,
        };
        let mut slot = self.worker.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(self.spawn()?);
        }
        let Some(worker) = slot.as_mut() else {
            return Err(PyError::Crashed);
        };
        // One write: the pipe is unbuffered, and rows can be megabytes.
        let sent = worker.send(&request);
        // The worker enforces the time limit itself; this is the wall behind it.
        let deadline = std::time::Instant::now() + limits.time + Duration::from_secs(2);
        let mut reply = None;
        let mut stopped = false;
        if sent.is_ok() {
            loop {
                let line = match worker.wait(deadline, cancel) {
                    Waited::Line(line) => line,
                    Waited::Cancelled => {
                        stopped = true;
                        break;
                    }
                    Waited::Late | Waited::Gone => break,
                };
                // A `query_sql` call from the script: answer it and keep waiting.
                let call: Option<String> = serde_json::from_str::<Value>(&line)
                    .ok()
                    .filter(|v| v["call"] == "query_sql")
                    .map(|v| v["sql"].as_str().unwrap_or_default().to_string());
                let Some(query) = call else {
                    reply = Some(line);
                    break;
                };
                let sent = match sql.map(|f| f(&query)) {
                    Some(Ok(rows)) => worker.send(&Table::of(&rows)),
                    Some(Err(why)) => worker.send(&json!({"error": why})),
                    None => worker.send(&json!({"error": "query_sql is not available here"})),
                };
                if sent.is_err() {
                    break;
                }
            }
        }
        let Some(reply) = reply else {
            if stopped {
                // Stop: the worker is killed mid-script and replaced next time.
                *slot = None;
                return Err(PyError::Cancelled);
            }
            // Crashed (a memory breach aborts it), or hung: replace it next time.
            let breached = worker
                .child
                .try_wait()
                .ok()
                .flatten()
                .and_then(|s| s.code())
                == Some(MEMORY_EXIT_CODE);
            *slot = None;
            return Err(if breached {
                PyError::Memory(limits.memory_bytes >> 20)
            } else {
                PyError::Crashed
            });
        };
        drop(slot);
        let v: Value = serde_json::from_str(&reply).map_err(|_| PyError::Crashed)?;
        if let Some(e) = v.get("error") {
            let message = e["message"].as_str().unwrap_or_default();
            return Err(match e["kind"].as_str() {
                Some("timeout") => PyError::Timeout(limits.time.as_secs().max(1)),
                Some("memory") => PyError::Memory(limits.memory_bytes >> 20),
                Some("output") => PyError::Shape(message.to_string()),
                Some("no_result") => PyError::NoResult,
                _ => PyError::Script(last_line(message)),
            });
        }
        let (columns, rows) = table(&v["ok"]["result"])?;
        Ok(PyOutput {
            columns,
            rows,
            printed: v["ok"]["printed"].as_str().unwrap_or_default().to_string(),
        })
    }
}

/// A request to the worker (its protocol: `plainsight-python-worker`'s documentation).
#[derive(serde::Serialize)]
struct Request<'a> {
    query_sql: bool,
    script: &'a str,
    #[serde(flatten)]
    table: Table<'a>,
    time_ms: u64,
    memory_bytes: u64,
    max_output: u64,
    max_depth: u32,
}

/// Rows on their way to the worker as a table: the column names once, then each row as a list
/// of values in that order (a third of the bytes of a list of dicts for three short columns,
/// and no name read again per row). Rows whose names differ from the first row's go as dicts.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Table<'a> {
    Columns {
        columns: Vec<&'a str>,
        rows: Vec<Vec<&'a Value>>,
    },
    Dicts {
        rows: &'a [Map<String, Value>],
    },
}

impl<'a> Table<'a> {
    fn of(rows: &'a [Map<String, Value>]) -> Self {
        let columns: Vec<&str> = rows
            .first()
            .map(|r| r.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let same = rows
            .iter()
            .all(|r| r.len() == columns.len() && r.keys().zip(&columns).all(|(k, c)| k == c));
        if !same {
            return Self::Dicts { rows };
        }
        Self::Columns {
            rows: rows.iter().map(|r| r.values().collect()).collect(),
            columns,
        }
    }
}

/// Modules a script may import (what Monty offers that analysis needs).
pub const ALLOWED_IMPORTS: &[&str] = &[
    "json",
    "math",
    "re",
    "datetime",
    "collections",
    "functools",
    "statistics",
    "itertools",
    "typing",
];

/// Names no analysis script needs; their presence says the script is trying to get out.
const FORBIDDEN: &[&str] = &[
    "eval",
    "exec",
    "compile",
    "open",
    "__import__",
    "globals",
    "locals",
    "vars",
    "getattr",
    "setattr",
    "delattr",
    "breakpoint",
    "input",
];

/// Checks a script before it runs: it must parse as plain analysis code, import only
/// [`ALLOWED_IMPORTS`], use no double-underscore names and none of the escape hatches. The
/// sandbox stops all of these anyway; this gives the AI (and the person) a clear reason first.
pub fn validate(script: &str) -> Result<(), PyError> {
    let refuse = |why: String| Err(PyError::Script(format!("not allowed here: {why}")));
    for line in script.lines() {
        let code = line.split('#').next().unwrap_or_default().trim();
        let module = code.strip_prefix("import ").or_else(|| {
            code.strip_prefix("from ")
                .map(|r| r.split(" import").next().unwrap_or(r))
        });
        if let Some(modules) = module {
            for m in modules.split(',').map(|m| {
                m.split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .split('.')
                    .next()
                    .unwrap_or_default()
            }) {
                if !ALLOWED_IMPORTS.contains(&m) {
                    return refuse(format!(
                        "importing {m} (only {} are available)",
                        ALLOWED_IMPORTS.join(", ")
                    ));
                }
            }
        }
    }
    // Comments say nothing about what runs.
    let code: String = script
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let script = code.as_str();
    let words: Vec<&str> = script
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    if let Some(w) = words
        .iter()
        .find(|w| w.starts_with("__") && w.ends_with("__"))
    {
        return refuse(format!("the name {w}"));
    }
    // A forbidden name used as a call or value (`open(`), not inside a longer word.
    for name in FORBIDDEN {
        let called = script.match_indices(name).any(|(at, _)| {
            let before = script[..at].chars().next_back();
            let after = script[at + name.len()..].trim_start().chars().next();
            !before.is_some_and(|c| {
                c.is_alphanumeric() || c == '_' || c == '.' || c == '\'' || c == '"'
            }) && after == Some('(')
        });
        if called {
            return refuse(format!("{name}()"));
        }
    }
    Ok(())
}

/// Monty's exit code when its allocator's hard ceiling is hit (`monty_types::OOM_EXIT_CODE`).
const MEMORY_EXIT_CODE: i32 = 65;

/// "NameError: name 'x' is not defined" — the traceback's last line says it best.
fn last_line(message: &str) -> String {
    message
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(message)
        .trim()
        .to_string()
}

/// A result as a table: a list of dicts (rows), a dict of equal-length lists (columns), a list
/// of values, or one value.
pub fn table(result: &Value) -> Result<(Vec<String>, Vec<Vec<Value>>), PyError> {
    match result {
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
            let mut columns: Vec<String> = Vec::new();
            for item in items {
                for key in item.as_object().into_iter().flat_map(|o| o.keys()) {
                    if !columns.contains(key) {
                        columns.push(key.clone());
                    }
                }
            }
            let rows = items
                .iter()
                .map(|item| {
                    columns
                        .iter()
                        .map(|c| item.get(c).cloned().unwrap_or(Value::Null))
                        .collect()
                })
                .collect();
            Ok((columns, rows))
        }
        Value::Object(map) if !map.is_empty() && map.values().all(Value::is_array) => {
            let lengths: Vec<usize> = map
                .values()
                .filter_map(|v| v.as_array().map(Vec::len))
                .collect();
            if lengths.windows(2).any(|w| w[0] != w[1]) {
                return Err(PyError::Shape("its columns have different lengths".into()));
            }
            let columns: Vec<String> = map.keys().cloned().collect();
            let n = lengths.first().copied().unwrap_or(0);
            let rows = (0..n)
                .map(|i| map.values().map(|col| col[i].clone()).collect())
                .collect();
            Ok((columns, rows))
        }
        Value::Object(map) => Ok((
            map.keys().cloned().collect(),
            vec![map.values().cloned().collect()],
        )),
        Value::Array(items) => Ok((
            vec!["value".into()],
            items.iter().map(|v| vec![v.clone()]).collect(),
        )),
        Value::Null => Err(PyError::Shape("it is None".into())),
        other => Ok((vec!["result".into()], vec![vec![other.clone()]])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_are_checked_before_they_run() {
        assert_eq!(
            validate("import math, json\nfrom collections import Counter\nresult = math.sqrt(4)"),
            Ok(())
        );
        assert_eq!(
            validate("# open(x) in a comment is fine\nresult = [r for r in rows if r['opened']]"),
            Ok(())
        );
        for (script, why) in [
            ("import os", "importing os"),
            ("from subprocess import run", "importing subprocess"),
            ("result = ().__class__", "the name __class__"),
            ("result = open('/etc/passwd')", "open()"),
            ("result = eval('1+1')", "eval()"),
            ("f = getattr(rows, 'x')", "getattr()"),
        ] {
            let err = validate(script).unwrap_err().to_string();
            assert!(err.contains(why), "{script}: {err}");
        }
    }

    #[test]
    fn results_of_every_documented_shape_become_tables() {
        let rows = table(
            &json!([{"region": "West", "total": 10}, {"region": "East", "total": 5, "note": "x"}]),
        )
        .unwrap();
        assert_eq!(rows.0, ["region", "total", "note"]);
        assert_eq!(rows.1[0], [json!("West"), json!(10), Value::Null]);
        let cols =
            table(&json!({"month": ["2026-01", "2026-02"], "forecast": [1.5, 2.5]})).unwrap();
        assert_eq!((cols.0.len(), cols.1.len()), (2, 2));
        assert_eq!(
            table(&json!(42.5)).unwrap(),
            (vec!["result".to_string()], vec![vec![json!(42.5)]])
        );
        assert!(matches!(
            table(&json!({"a": [1], "b": [1, 2]})),
            Err(PyError::Shape(_))
        ));
        assert!(matches!(table(&Value::Null), Err(PyError::Shape(_))));
    }
}
