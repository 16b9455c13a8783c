//! A large CSV or Parquet file answered in place, through DuckDB in its own worker process
//! (`plainsight-duckdb-worker`, crates/duckworker): the file is never copied, and the worker
//! is locked to it (in-memory database, `allowed_paths` = the file, external access off,
//! extensions off, a memory limit, configuration locked). This side adds the host's walls: the
//! guard's DuckDB dialect before anything is sent, and a deadline after which the worker is
//! killed (a new one starts for the next question), so nothing it does can hang the app.
//!
//! The worker is not part of the everyday build (it links DuckDB's prebuilt library): without
//! it, opening a file in place says so and importing still works.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{DataSource, Dialect};
use crate::executor::{ExecError, Limits, QueryResult};
use crate::guard::CheckedSql;
use crate::schema::{
    Column, ColumnKind, ProfileKey, Schema, Table, MAX_INDEXED_VALUES, MAX_LISTED_VALUES,
};
use crate::worker::{find_program, Waited, Worker};

const PROGRAM: &str = "plainsight-duckdb-worker";
const PROGRAM_ENV: &str = "PLAINSIGHT_DUCKDB_WORKER";
/// What the worker may use for one query (DuckDB's own limit; it spills nothing to disk).
pub const MEMORY_MB: u64 = 1024;
/// Time past the query's own limit (which the worker enforces by interrupting DuckDB) before
/// the host kills the worker.
const GRACE: Duration = Duration::from_secs(1);
/// The longest reading the file's columns, counts and values may take.
const SCHEMA_LIMIT: Duration = Duration::from_secs(120);

/// Files this source opens: CSV, TSV and Parquet, by their extension.
pub fn is_in_place_file(spec: &str) -> bool {
    let lower = spec.to_ascii_lowercase();
    [".csv", ".tsv", ".parquet", ".pq"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// Whether this build has the DuckDB worker (so the Data screen can offer "open in place").
pub fn available() -> bool {
    find_program(PROGRAM, PROGRAM_ENV).is_some()
}

pub struct DuckSource {
    path: PathBuf,
    program: PathBuf,
    worker: Mutex<Option<Worker>>,
}

impl DuckSource {
    /// Opens `path` in place: checks that it exists and that the worker reads it.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, ExecError> {
        let path: PathBuf = path.into();
        let path = std::fs::canonicalize(&path)
            .map_err(|_| ExecError::Missing(path.display().to_string()))?;
        // DuckDB reads `*`, `?`, `[` and `{` in a path as a pattern matching other files.
        if path
            .to_string_lossy()
            .contains(['*', '?', '[', ']', '{', '}'])
        {
            return Err(ExecError::Connect(format!(
                "{} cannot be opened in place because its name holds one of * ? [ ] {{ }}; rename it or import it instead",
                path.display()
            )));
        }
        let program = find_program(PROGRAM, PROGRAM_ENV).ok_or_else(|| {
            ExecError::Connect(format!(
                "opening {} in place needs Plainsight's DuckDB worker ({PROGRAM}), which this build does not include; import the file instead",
                path.display()
            ))
        })?;
        Ok(Self {
            path,
            program,
            worker: Mutex::new(None),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One request and its answer, within `limit`; the worker is killed if it is late, Stop is
    /// pressed or it fails, and started again for the next request.
    fn ask(
        &self,
        request: &Value,
        limit: Duration,
        cancel: Option<&AtomicBool>,
    ) -> Result<Value, ExecError> {
        let mut slot = self
            .worker
            .lock()
            .map_err(|_| ExecError::Duckdb("the worker was lost".into()))?;
        if slot.is_none() {
            let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
            let worker = Worker::spawn(
                &self.program,
                &[
                    self.path.display().to_string(),
                    MEMORY_MB.to_string(),
                    threads.to_string(),
                ],
            )
            .map_err(|e| ExecError::Connect(format!("could not start {PROGRAM}: {e}")))?;
            *slot = Some(worker);
        }
        let worker = slot.as_mut().expect("started above");
        if worker.send(request).is_err() {
            *slot = None;
            return Err(ExecError::WorkerDied(MEMORY_MB));
        }
        let waited = worker.wait(Instant::now() + limit + GRACE, cancel);
        let line = match waited {
            Waited::Line(line) => line,
            Waited::Late => {
                *slot = None;
                return Err(ExecError::TimedOut(limit.as_millis()));
            }
            Waited::Cancelled => {
                *slot = None;
                return Err(ExecError::Cancelled);
            }
            Waited::Gone => {
                *slot = None;
                return Err(ExecError::WorkerDied(MEMORY_MB));
            }
        };
        let reply: Value = serde_json::from_str(&line)
            .map_err(|_| ExecError::Duckdb("the worker's answer could not be read".into()))?;
        if let Some(ok) = reply.get("ok") {
            return Ok(ok.clone());
        }
        let kind = reply["err"]["kind"].as_str().unwrap_or("sql");
        let message = reply["err"]["message"]
            .as_str()
            .unwrap_or("unknown error")
            .to_string();
        Err(match kind {
            "timed_out" => ExecError::TimedOut(limit.as_millis()),
            "not_allowed" => ExecError::NotAllowed(message),
            "out_of_memory" => ExecError::OutOfMemory(MEMORY_MB as i64),
            "result_too_big" => ExecError::ResultTooBig(message.parse().unwrap_or(0)),
            "open" => ExecError::Connect(format!(
                "{} could not be opened in place: {message}",
                self.path.display()
            )),
            _ => ExecError::Duckdb(message),
        })
    }

    /// Runs any text behind the worker's walls only (locked configuration, the file's path as
    /// the only one allowed, time and memory limits), without the guard: for the tests that
    /// prove those walls hold on their own. The app runs SQL through [`DataSource::run`].
    pub fn run_raw(
        &self,
        sql: &str,
        limits: &Limits,
        cancel: Option<&AtomicBool>,
    ) -> Result<QueryResult, ExecError> {
        let ok = self.ask(
            &json!({
                "op": "run",
                "sql": sql,
                "max_rows": limits.max_rows,
                "max_bytes": limits.max_bytes,
                "timeout_ms": limits.timeout.as_millis() as u64,
                // The worker checks again with DuckDB's own parser: one SELECT, over its file's
                // table, calling only these.
                "functions": crate::guard::ALLOWED_FUNCTIONS
                    .iter()
                    .chain(crate::guard::ALLOWED_DUCKDB_FUNCTIONS)
                    // DuckDB's names for count(*) and LIKE … ESCAPE, which the guard allows.
                    .chain(&[
                        "count_star",
                        "like_escape",
                        "not_like_escape",
                        "ilike_escape",
                        "not_ilike_escape",
                    ])
                    .collect::<Vec<_>>(),
            }),
            limits.timeout,
            cancel,
        )?;
        #[derive(serde::Deserialize)]
        struct Rows {
            columns: Vec<String>,
            rows: Vec<Vec<Value>>,
            truncated: bool,
        }
        let r: Rows = serde_json::from_value(ok)
            .map_err(|_| ExecError::Duckdb("the worker's rows could not be read".into()))?;
        Ok(QueryResult {
            columns: r.columns,
            rows: r.rows,
            truncated: r.truncated,
        })
    }
}

fn kind_of(ty: &str) -> ColumnKind {
    match ty {
        "TINYINT" | "SMALLINT" | "INTEGER" | "BIGINT" | "HUGEINT" | "UTINYINT" | "USMALLINT"
        | "UINTEGER" | "UBIGINT" => ColumnKind::Integer,
        "FLOAT" | "DOUBLE" | "REAL" => ColumnKind::Real,
        t if t.starts_with("DECIMAL") => ColumnKind::Real,
        t if t == "DATE" || t.starts_with("TIMESTAMP") => ColumnKind::Date,
        "VARCHAR" => ColumnKind::Text,
        _ => ColumnKind::Other,
    }
}

impl DataSource for DuckSource {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn dialect(&self) -> Dialect {
        Dialect::Duckdb
    }

    fn schema(&self) -> Result<Schema, ExecError> {
        let ok = self.ask(
            &json!({"op": "schema", "max_values": MAX_INDEXED_VALUES}),
            SCHEMA_LIMIT,
            None,
        )?;
        let columns = ok["columns"]
            .as_array()
            .map(|cols| {
                cols.iter()
                    .map(|c| {
                        let ty = c["type"].as_str().unwrap_or_default();
                        let values: Vec<String> = c["values"]
                            .as_array()
                            .map(|v| {
                                v.iter()
                                    .filter_map(|s| s.as_str().map(str::to_string))
                                    .collect()
                            })
                            .unwrap_or_default();
                        let mut kind = kind_of(ty);
                        if kind == ColumnKind::Text
                            && crate::schema::text_kind(&values) == ColumnKind::Month
                        {
                            kind = ColumnKind::Month;
                        }
                        let (values, index) = if kind != ColumnKind::Text {
                            (Vec::new(), Vec::new())
                        } else if values.len() <= MAX_LISTED_VALUES {
                            (values, Vec::new())
                        } else {
                            (Vec::new(), values)
                        };
                        Column {
                            name: c["name"].as_str().unwrap_or_default().to_string(),
                            decl_type: ty.to_string(),
                            kind,
                            primary_key: false,
                            values,
                            index,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Schema {
            tables: vec![Table {
                name: ok["table"].as_str().unwrap_or("data").to_string(),
                is_view: false,
                columns,
                foreign_keys: Vec::new(),
                row_count: ok["row_count"].as_i64().unwrap_or(0),
                fixed_period: false,
                latest: ok["latest"].as_str().map(str::to_string),
            }],
        })
    }

    fn data_version(&self) -> Result<String, ExecError> {
        Ok(change_signal(&self.path).unwrap_or_default())
    }

    /// The file's path, size and modification time: reading a large file's profile costs two
    /// passes over it, so it is read again only when the file changes.
    fn profile_key(&self) -> Option<ProfileKey> {
        Some(ProfileKey {
            identity: format!("in place: {}", self.path.display()),
            signal: change_signal(&self.path)?,
            max_age: None,
        })
    }

    fn run(
        &self,
        sql: &CheckedSql,
        limits: &Limits,
        cancel: Option<Arc<AtomicBool>>,
    ) -> Result<QueryResult, ExecError> {
        self.run_raw(
            super::checked_for(sql, Dialect::Duckdb)?,
            limits,
            cancel.as_deref(),
        )
    }
}

fn change_signal(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    let nanos = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some(format!("{}@{nanos}", meta.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_place_files_are_known_by_their_extension() {
        assert!(is_in_place_file("/data/Orders 2026.CSV"));
        assert!(is_in_place_file("events.parquet"));
        assert!(!is_in_place_file("shop.sqlite"));
        assert!(matches!(
            DuckSource::open("/nonexistent/orders.csv"),
            Err(ExecError::Missing(_))
        ));
        assert_eq!(kind_of("DECIMAL(10,2)"), ColumnKind::Real);
        assert_eq!(kind_of("TIMESTAMP WITH TIME ZONE"), ColumnKind::Date);
    }
}
