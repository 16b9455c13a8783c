//! The query process: generated SQL on a SQLite file runs in `plainsight-query-worker`, a small
//! program the app can kill, under operating-system limits the query cannot lift.
//!
//! Why a process: one SQLite function call is one step of its virtual machine, so a time limit
//! checked between steps (the progress handler) cannot stop a call that runs for minutes, and
//! limits on rows and value sizes do not bound the total memory one query uses. A process can be
//! killed at any instant and given a fixed address space:
//! - **memory**: the worker sets `RLIMIT_AS` on itself ([`WORKER_ADDRESS_SPACE`]) before it reads
//!   a request, and SQLite's hard heap limit ([`WORKER_SQLITE_HEAP`]) makes SQLite fail an
//!   allocation with "out of memory" well before that; SQLite's temporary sort files (deleted
//!   as soon as they are opened) may each grow to [`WORKER_FILE_SIZE`] (`RLIMIT_FSIZE`): past it
//!   the kernel stops the worker, and the host says the query needed too much temporary space;
//! - **time**: the host waits for the answer until the query's time limit plus [`GRACE`]; then it
//!   kills the worker (SIGKILL) and reports the time limit, whatever the query is doing;
//! - **Stop**: the host looks at the cancel flag every 50 ms and kills the worker when it is
//!   raised;
//! - **crash**: a worker that dies (an allocation refused by the address-space limit aborts it) is
//!   reported in plain words and replaced; the app goes on.
//!
//! Inside the worker the in-process walls ([`SqliteExecutor::run_here`]) still apply: read-only
//! immutable open, authorizer, progress handler, length limits and linear built-ins.
//!
//! The SQL crosses the pipe as text, and the worker runs it as `&str` without checking it again:
//! the app sends only what [`crate::source::SqliteSource`] was given, a
//! [`crate::guard::CheckedSql`] (only [`SqliteExecutor::run`]'s own tests send unguarded SQL, on
//! purpose), and a request forged on the pipe still meets every in-process wall.
//!
//! Protocol: one JSON request per line on stdin, one JSON answer per line on stdout.
//! `{"op": "query", "path": …, "sql": …, "limits": {…}}` answers `{"ok": {"columns", "rows",
//! "truncated"}}`; `{"op": "schema", "path": …}` answers `{"ok": <Schema>}`; a failure is
//! `{"error": <WireError>}`.
//!
//! When the worker program is not installed (a developer's `cargo test` of core alone), queries
//! run in this process behind the in-process walls, and a warning says so once.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{ExecError, Limits, QueryResult, SqliteExecutor};
use crate::schema::Schema;
use crate::worker::{find_program, Waited, Worker};

/// The worker's file name.
pub const WORKER_NAME: &str = "plainsight-query-worker";
/// A developer override for where the worker is.
pub const WORKER_ENV: &str = "PLAINSIGHT_QUERY_WORKER";
/// The worker's address space (`RLIMIT_AS`), in bytes.
pub const WORKER_ADDRESS_SPACE: u64 = 1 << 30;
/// The largest file the worker may write (`RLIMIT_FSIZE`): SQLite's temporary sort files.
pub const WORKER_FILE_SIZE: u64 = 1 << 30;
/// SQLite's hard heap limit inside the worker, in bytes.
pub const WORKER_SQLITE_HEAP: i64 = 512 << 20;
/// How long after a query's time limit the host kills its worker (the worker's own progress
/// handler normally stops the query at the limit itself).
pub const GRACE: Duration = Duration::from_millis(500);
/// The longest reading a file's tables and profile may take.
pub const SCHEMA_LIMIT: Duration = Duration::from_secs(120);
/// Idle workers kept warm.
const WARM: usize = 2;

/// A failure as it crosses the pipe.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WireError {
    Missing {
        path: String,
    },
    Open {
        path: String,
        code: i32,
        message: String,
    },
    NotAllowed {
        what: String,
    },
    Locked {
        path: String,
    },
    Corrupt {
        path: String,
    },
    TimedOut {
        ms: u64,
    },
    Cancelled,
    TooBig {
        bytes: i32,
    },
    ResultTooBig {
        bytes: usize,
    },
    SqlTooLong {
        bytes: usize,
    },
    OutOfMemory {
        mb: i64,
    },
    TempTooBig {
        mb: u64,
    },
    Sql {
        code: i32,
        message: String,
    },
    Other {
        message: String,
    },
}

fn sqlite_error(code: i32, message: String) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), Some(message))
}

fn code_of(e: &rusqlite::Error) -> i32 {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => f.extended_code,
        _ => rusqlite::ffi::SQLITE_ERROR,
    }
}

impl From<&ExecError> for WireError {
    fn from(e: &ExecError) -> Self {
        match e {
            ExecError::Missing(path) => Self::Missing { path: path.clone() },
            ExecError::Open { path, source } => Self::Open {
                path: path.clone(),
                code: code_of(source),
                message: source.to_string(),
            },
            ExecError::NotAllowed(what) => Self::NotAllowed { what: what.clone() },
            ExecError::Locked(path) => Self::Locked { path: path.clone() },
            ExecError::Corrupt(path) => Self::Corrupt { path: path.clone() },
            ExecError::TimedOut(ms) => Self::TimedOut {
                ms: u64::try_from(*ms).unwrap_or(u64::MAX),
            },
            ExecError::Cancelled => Self::Cancelled,
            ExecError::TooBig(bytes) => Self::TooBig { bytes: *bytes },
            ExecError::ResultTooBig(bytes) => Self::ResultTooBig { bytes: *bytes },
            ExecError::SqlTooLong(bytes) => Self::SqlTooLong { bytes: *bytes },
            ExecError::OutOfMemory(mb) => Self::OutOfMemory { mb: *mb },
            ExecError::TempTooBig(mb) => Self::TempTooBig { mb: *mb },
            ExecError::Sql(source) => Self::Sql {
                code: code_of(source),
                message: source.to_string(),
            },
            other => Self::Other {
                message: other.to_string(),
            },
        }
    }
}

impl From<WireError> for ExecError {
    fn from(e: WireError) -> Self {
        match e {
            WireError::Missing { path } => Self::Missing(path),
            WireError::Open {
                path,
                code,
                message,
            } => Self::Open {
                path,
                source: sqlite_error(code, message),
            },
            WireError::NotAllowed { what } => Self::NotAllowed(what),
            WireError::Locked { path } => Self::Locked(path),
            WireError::Corrupt { path } => Self::Corrupt(path),
            WireError::TimedOut { ms } => Self::TimedOut(u128::from(ms)),
            WireError::Cancelled => Self::Cancelled,
            WireError::TooBig { bytes } => Self::TooBig(bytes),
            WireError::ResultTooBig { bytes } => Self::ResultTooBig(bytes),
            WireError::SqlTooLong { bytes } => Self::SqlTooLong(bytes),
            WireError::OutOfMemory { mb } => Self::OutOfMemory(mb),
            WireError::TempTooBig { mb } => Self::TempTooBig(mb),
            WireError::Sql { code, message } => Self::Sql(sqlite_error(code, message)),
            WireError::Other { message } => Self::Connect(message),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct WireLimits {
    max_rows: usize,
    timeout_ms: u64,
    max_length: i32,
    max_bytes: usize,
}

impl From<&Limits> for WireLimits {
    fn from(l: &Limits) -> Self {
        Self {
            max_rows: l.max_rows,
            timeout_ms: u64::try_from(l.timeout.as_millis()).unwrap_or(u64::MAX),
            max_length: l.max_length,
            max_bytes: l.max_bytes,
        }
    }
}

impl From<WireLimits> for Limits {
    fn from(l: WireLimits) -> Self {
        Self {
            max_rows: l.max_rows,
            timeout: Duration::from_millis(l.timeout_ms),
            max_length: l.max_length,
            max_bytes: l.max_bytes,
        }
    }
}

/// Warm workers, shared by every data source in this process.
pub struct Pool {
    program: PathBuf,
    idle: Mutex<Vec<Worker>>,
    /// Requests a worker is working on now.
    running: std::sync::atomic::AtomicUsize,
}

/// Counts one request as running while it lives.
struct Running<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The process's pool, or None when the worker program is not installed.
pub fn pool() -> Option<&'static Pool> {
    static POOL: OnceLock<Option<Pool>> = OnceLock::new();
    POOL.get_or_init(|| {
        let program = find_program(WORKER_NAME, WORKER_ENV);
        if program.is_none() {
            tracing::warn!("{WORKER_NAME} is not installed: generated SQL runs inside this process, without the memory and kill walls");
        }
        program.map(Pool::new)
    })
    .as_ref()
}

impl Pool {
    pub fn new(program: PathBuf) -> Self {
        Self {
            program,
            idle: Mutex::new(Vec::new()),
            running: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// How many requests workers are working on now (sent, not yet answered).
    pub fn running(&self) -> usize {
        self.running.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `sql` on the file at `path` in a worker.
    pub fn query(
        &self,
        path: &Path,
        sql: &str,
        limits: &Limits,
        cancel: Option<&AtomicBool>,
    ) -> Result<QueryResult, ExecError> {
        let request =
            json!({"op": "query", "path": path, "sql": sql, "limits": WireLimits::from(limits)});
        let reply = self.call(&request, limits.timeout, cancel)?;
        serde_json::from_value::<WireResult>(reply)
            .map(|r| QueryResult {
                columns: r.columns,
                rows: r.rows,
                truncated: r.truncated,
            })
            .map_err(|_| crashed())
    }

    /// Reads the file's tables and profile in a worker.
    pub fn schema(&self, path: &Path) -> Result<Schema, ExecError> {
        let reply = self.call(&json!({"op": "schema", "path": path}), SCHEMA_LIMIT, None).map_err(|e| match e {
            ExecError::TimedOut(_) => ExecError::Connect(format!(
                "reading the tables of {} took longer than {} s and was stopped; a view in it may never finish",
                path.display(),
                SCHEMA_LIMIT.as_secs()
            )),
            other => other,
        })?;
        serde_json::from_value(reply).map_err(|_| crashed())
    }

    fn call(
        &self,
        request: &Value,
        limit: Duration,
        cancel: Option<&AtomicBool>,
    ) -> Result<Value, ExecError> {
        let taken = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut worker = match taken {
            Some(w) => w,
            None => self.spawn()?,
        };
        if worker.send(request).is_err() {
            // A warm worker that has gone away since: start a fresh one once.
            worker = self.spawn()?;
            worker.send(request).map_err(|_| crashed())?;
        }
        self.running
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let _running = Running(&self.running);
        let waited = worker.wait(Instant::now() + limit + GRACE, cancel);
        let line = match waited {
            Waited::Line(line) => line,
            // Dropping the worker kills it, whatever it is doing.
            Waited::Late => return Err(ExecError::TimedOut(limit.as_millis())),
            Waited::Cancelled => return Err(ExecError::Cancelled),
            Waited::Gone => {
                let status = worker.exit_status();
                tracing::warn!(?status, "the query worker stopped during a query");
                return Err(died(status));
            }
        };
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < WARM {
            idle.push(worker);
        }
        drop(idle);
        let mut answer: Value = serde_json::from_str(&line).map_err(|_| crashed())?;
        if let Some(error) = answer.get_mut("error") {
            return Err(serde_json::from_value::<WireError>(error.take())
                .map_or_else(|_| crashed(), ExecError::from));
        }
        Ok(answer.get_mut("ok").map(Value::take).unwrap_or_default())
    }

    fn spawn(&self) -> Result<Worker, ExecError> {
        Worker::spawn(&self.program, &[]).map_err(|e| {
            ExecError::Connect(format!(
                "Plainsight's query process could not start ({}: {e}); reinstall Plainsight",
                self.program.display()
            ))
        })
    }
}

fn crashed() -> ExecError {
    ExecError::WorkerDied(WORKER_ADDRESS_SPACE >> 20)
}

/// Why a worker that died mid-query did: the file-size signal says temporary space ran out.
fn died(status: Option<std::process::ExitStatus>) -> ExecError {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        // SIGXFSZ: a file grew past RLIMIT_FSIZE.
        if status.and_then(|s| s.signal()) == Some(25) {
            return ExecError::TempTooBig(WORKER_FILE_SIZE >> 20);
        }
    }
    let _ = status;
    crashed()
}

#[derive(Debug, Serialize, Deserialize)]
struct WireResult {
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
    truncated: bool,
}

/// The worker's side: answers requests on stdin until it closes. The worker program calls this
/// after setting its own address-space limit.
pub fn serve() {
    use std::io::{BufRead, Write};
    // Process-wide: every connection in this process shares the heap limit.
    if let Ok(conn) = rusqlite::Connection::open_in_memory() {
        let _ = conn.pragma_update(None, "hard_heap_limit", WORKER_SQLITE_HEAP);
    }
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let answer = answer(&line);
        if writeln!(out, "{answer}")
            .and_then(|()| out.flush())
            .is_err()
        {
            break;
        }
    }
}

fn answer(line: &str) -> Value {
    let fail = |e: &ExecError| json!({"error": WireError::from(e)});
    let Ok(request) = serde_json::from_str::<Value>(line) else {
        return json!({"error": WireError::Other { message: "the request was not JSON".into() }});
    };
    let path = PathBuf::from(request["path"].as_str().unwrap_or_default());
    let executor = SqliteExecutor::new(path);
    match request["op"].as_str() {
        Some("query") => {
            let limits = serde_json::from_value::<WireLimits>(request["limits"].clone())
                .map(Limits::from)
                .unwrap_or_default();
            // Checked by the host before it was sent (see the module docs).
            match executor.run_here(request["sql"].as_str().unwrap_or_default(), &limits, None) {
                Ok(r) => {
                    json!({"ok": WireResult { columns: r.columns, rows: r.rows, truncated: r.truncated }})
                }
                Err(e) => fail(&e),
            }
        }
        Some("schema") => match executor.schema_here() {
            Ok(schema) => json!({"ok": schema}),
            Err(e) => fail(&e),
        },
        _ => json!({"error": WireError::Other { message: "unknown request".into() }}),
    }
}
