//! `SqliteExecutor`: runs one query on a SQLite file so that it cannot change anything.
//!
//! Each wall works on its own, so a query that slips past the guard still cannot write:
//! 1. the file is opened read-only (`SQLITE_OPEN_READ_ONLY`) and `query_only` is set;
//! 2. an authorizer allows only SELECT, reads, recursive CTEs and allowlisted functions, and denies
//!    everything else — PRAGMA included, so `PRAGMA query_only = 0` cannot undo wall 1;
//! 3. `ATTACH` is limited to zero databases and strings/blobs to [`Limits::max_length`] bytes;
//! 4. a progress handler interrupts the query after [`Limits::timeout`] or when cancelled;
//! 5. at most [`Limits::max_rows`] rows and [`Limits::max_bytes`] bytes are read; `truncated` says
//!    when more existed;
//! 6. the quadratic string built-ins are replaced by linear ones ([`functions`]), so no single
//!    function call can run for minutes between two progress checks;
//! 7. all of this runs in the query process ([`process`]): killed at the time limit or on Stop
//!    whatever one call is doing, with its memory bounded by the operating system.
//!
//! The file itself is never changed, and nothing is created beside it: a file at rest is opened
//! `immutable` (no lock, no `-wal` or `-shm` files); a file another program is writing (a hot
//! `-journal`, or a `-wal` with frames and its `-shm`) is opened read-only through the side files
//! that program already made, so its latest committed state is read; a `-wal` whose `-shm` is
//! missing is read through a private copy of both in a temporary folder.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OpenFlags};
use serde_json::Value;

use crate::guard;
use crate::schema::Schema;

mod functions;
pub mod process;

/// The longest SQL text a connection accepts (`SQLITE_LIMIT_SQL_LENGTH`); longer text is refused
/// before SQLite parses it.
pub const MAX_SQL_LENGTH: usize = 100_000;
/// The longest LIKE or GLOB pattern (`SQLITE_LIMIT_LIKE_PATTERN_LENGTH`).
pub const MAX_LIKE_PATTERN: usize = 1_000;
/// The most columns a result may have (`SQLITE_LIMIT_COLUMN`).
pub const MAX_COLUMNS: i32 = 1_000;

/// Walls around one query.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_rows: usize,
    pub timeout: Duration,
    /// Largest string or blob any expression may build, in bytes.
    pub max_length: i32,
    /// Largest whole result, in bytes of text (rows past it are cut off and `truncated` is set).
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_rows: 10_000,
            timeout: Duration::from_millis(5_000),
            max_length: 1_000_000,
            max_bytes: 32 << 20,
        }
    }
}

/// A query's result: column names, rows of JSON values and whether rows were cut off.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    pub truncated: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("there is no database at {0}")]
    Missing(String),
    #[error("{path} is not a SQLite database, or it cannot be read")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the query tried something that is not allowed on a read-only connection ({0})")]
    NotAllowed(String),
    #[error("{0} is locked by another program that is changing it; wait until it has finished (or close it) and try again")]
    Locked(String),
    #[error("{0} is damaged and cannot be read; open a backup copy of it instead")]
    Corrupt(String),
    #[error("the query took longer than {0} ms and was stopped")]
    TimedOut(u128),
    #[error("the query was cancelled")]
    Cancelled,
    #[error("the query built a value larger than the allowed {0} bytes and was stopped")]
    TooBig(i32),
    #[error("the result's first row alone is larger than the {} MB a result may have; ask for fewer or shorter columns", .0 >> 20)]
    ResultTooBig(usize),
    #[error("the query is {0} characters long, more than the {max} allowed", max = MAX_SQL_LENGTH)]
    SqlTooLong(usize),
    #[error("the query was stopped because it needed more memory than the {0} MB allowed (or Plainsight's query process failed); nothing was changed, and it has been restarted")]
    WorkerDied(u64),
    #[error(
        "the query needed more memory than the {0} MB allowed and was stopped; nothing was changed"
    )]
    OutOfMemory(i64),
    #[error("the query needed more temporary space for sorting than the {0} MB allowed and was stopped; nothing was changed")]
    TempTooBig(u64),
    #[error("the database could not run the query: {0}")]
    Sql(#[source] rusqlite::Error),
    #[error("{0}")]
    Connect(String),
    #[error("PostgreSQL could not run the query: {0}")]
    Postgres(String),
    #[error("MariaDB/MySQL could not run the query: {0}")]
    Mysql(String),
    #[error("DuckDB could not run the query: {0}")]
    Duckdb(String),
    /// Refused before it reached the database (see [`crate::source::checked_for`]).
    #[error("the query was refused before it ran: {0}")]
    Refused(String),
}

/// Runs queries against one SQLite file through the walls described in the module docs.
#[derive(Debug, Clone)]
pub struct SqliteExecutor {
    path: PathBuf,
}

impl SqliteExecutor {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the file read-only without creating anything beside it (see the module docs); fails
    /// with a plain message if it is missing or not a database.
    pub fn open_read_only(&self) -> Result<ReadOnly, ExecError> {
        let open_err = |source: rusqlite::Error| {
            let path = self.path.display().to_string();
            match source.sqlite_error_code() {
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                    ExecError::Locked(path)
                }
                Some(ErrorCode::DatabaseCorrupt) => ExecError::Corrupt(path),
                _ => ExecError::Open { path, source },
            }
        };
        if !self.path.is_file() {
            return Err(ExecError::Missing(self.path.display().to_string()));
        }
        let side = |suffix: &str| PathBuf::from(format!("{}{suffix}", self.path.display()));
        let wal_frames = std::fs::metadata(side("-wal")).is_ok_and(|m| m.len() > 32);
        let journal = side("-journal").exists();
        let shm = side("-shm").exists();
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = if wal_frames && !shm {
            snapshot(&self.path).map_err(|e| {
                ExecError::Connect(format!("{} could not be read: {e}", self.path.display()))
            })?
        } else if wal_frames || journal {
            // Another program is writing (or was): its side files are already there; read through them.
            ReadOnly {
                conn: Connection::open_with_flags(&self.path, flags).map_err(open_err)?,
                _snapshot: None,
            }
        } else {
            ReadOnly {
                conn: Connection::open_with_flags(uri(&self.path, "immutable=1"), flags)
                    .map_err(open_err)?,
                _snapshot: None,
            }
        };
        // Wait briefly for another program's write to finish before calling the file locked.
        conn.busy_timeout(Duration::from_secs(2))
            .map_err(open_err)?;
        // Reading the schema proves it is a SQLite database (a text file opens fine but fails here).
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
            .map_err(open_err)?;
        Ok(conn)
    }

    /// Runs one query in the query process ([`process`]), or here when it is not installed.
    /// This is the raw wall, taking any text: the app reaches it only through
    /// [`crate::source::SqliteSource`], whose `run` takes a [`guard::CheckedSql`]; its own tests
    /// call it with unguarded SQL on purpose, to prove it stays safe without the guard.
    pub fn run(
        &self,
        sql: &str,
        limits: &Limits,
        cancel: Option<Arc<AtomicBool>>,
    ) -> Result<QueryResult, ExecError> {
        match process::pool() {
            Some(pool) => pool.query(&self.path, sql, limits, cancel.as_deref()),
            None => self.run_here(sql, limits, cancel),
        }
    }

    /// The file's tables, columns and profile, read in the query process when it is installed.
    pub fn schema(&self) -> Result<Schema, ExecError> {
        match process::pool() {
            Some(pool) => pool.schema(&self.path),
            None => self.schema_here(),
        }
    }

    /// Reads the schema in this process (the query worker calls this).
    pub fn schema_here(&self) -> Result<Schema, ExecError> {
        let mut conn = self.open_read_only()?;
        functions::install(&conn, 1_000_000, MAX_LIKE_PATTERN).map_err(ExecError::Sql)?;
        conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, 1_000_000)
            .map_err(ExecError::Sql)?;
        conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)
            .map_err(ExecError::Sql)?;
        // The file's own views run while it is profiled: the same authorizer as a query, plus the
        // two catalogue pragmas introspection reads.
        conn.authorizer(Some(|ctx: AuthContext<'_>| match ctx.action {
            AuthAction::Pragma {
                pragma_name: "table_info" | "foreign_key_list",
                pragma_value: Some(_),
            } => Authorization::Allow,
            other => authorize(&other),
        }))
        .map_err(ExecError::Sql)?;
        crate::schema::introspect(&conn).map_err(ExecError::Sql)
    }

    /// Runs one query in this process, behind every wall but the process's own (the query worker
    /// calls this).
    pub fn run_here(
        &self,
        sql: &str,
        limits: &Limits,
        cancel: Option<Arc<AtomicBool>>,
    ) -> Result<QueryResult, ExecError> {
        if sql.len() > MAX_SQL_LENGTH {
            return Err(ExecError::SqlTooLong(sql.len()));
        }
        let mut conn = self.open_read_only()?;
        conn.pragma_update(None, "query_only", true)
            .map_err(ExecError::Sql)?;
        // Temporary sorts stay SQLite's default (files in the temporary folder, past the page
        // cache): `temp_store = memory` made a GROUP BY over 1M rows 1.7x slower (scripts/bench-sql).
        conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)
            .map_err(ExecError::Sql)?;
        conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, limits.max_length)
            .map_err(ExecError::Sql)?;
        conn.set_limit(Limit::SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_LENGTH as i32)
            .map_err(ExecError::Sql)?;
        conn.set_limit(
            Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH,
            MAX_LIKE_PATTERN as i32,
        )
        .map_err(ExecError::Sql)?;
        conn.set_limit(Limit::SQLITE_LIMIT_COLUMN, MAX_COLUMNS)
            .map_err(ExecError::Sql)?;
        let max_length = usize::try_from(limits.max_length).unwrap_or(0);
        functions::install(&conn, max_length, MAX_LIKE_PATTERN).map_err(ExecError::Sql)?;
        let denied: Arc<std::sync::Mutex<Option<String>>> = Arc::default();
        let denied_in_hook = Arc::clone(&denied);
        conn.authorizer(Some(move |ctx: AuthContext<'_>| {
            let verdict = authorize(&ctx.action);
            if verdict == Authorization::Deny {
                if let Ok(mut slot) = denied_in_hook.lock() {
                    slot.get_or_insert_with(|| describe(&ctx.action));
                }
            }
            verdict
        }))
        .map_err(ExecError::Sql)?;
        let deadline = Instant::now() + limits.timeout;
        let timed_out = Arc::new(AtomicBool::new(false));
        let timed_out_in_hook = Arc::clone(&timed_out);
        let cancel_in_hook = cancel;
        conn.progress_handler(
            1_000,
            Some(move || {
                if cancel_in_hook
                    .as_ref()
                    .is_some_and(|c| c.load(Ordering::Relaxed))
                {
                    return true;
                }
                if Instant::now() >= deadline {
                    timed_out_in_hook.store(true, Ordering::Relaxed);
                    return true;
                }
                false
            }),
        )
        .map_err(ExecError::Sql)?;

        let classify = |e: rusqlite::Error| -> ExecError {
            // A denied function surfaces as a plain SQLITE_ERROR, so the hook's record decides.
            if let Some(what) = denied.lock().ok().and_then(|d| d.clone()) {
                return ExecError::NotAllowed(what);
            }
            match e.sqlite_error_code() {
                Some(ErrorCode::OperationInterrupted) if timed_out.load(Ordering::Relaxed) => {
                    ExecError::TimedOut(limits.timeout.as_millis())
                }
                Some(ErrorCode::OperationInterrupted) => ExecError::Cancelled,
                Some(ErrorCode::AuthorizationForStatementDenied) => {
                    ExecError::NotAllowed("a denied action".into())
                }
                Some(ErrorCode::TooBig) => ExecError::TooBig(limits.max_length),
                Some(ErrorCode::OutOfMemory) => {
                    ExecError::OutOfMemory(process::WORKER_SQLITE_HEAP >> 20)
                }
                Some(ErrorCode::ReadOnly) => {
                    ExecError::NotAllowed("a write to a read-only database".into())
                }
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                    ExecError::Locked(self.path.display().to_string())
                }
                Some(ErrorCode::DatabaseCorrupt) => {
                    ExecError::Corrupt(self.path.display().to_string())
                }
                _ => ExecError::Sql(e),
            }
        };

        let mut stmt = conn.prepare(sql).map_err(classify)?;
        if !stmt.readonly() {
            return Err(ExecError::NotAllowed(
                "a statement that is not read-only".into(),
            ));
        }
        let columns: Vec<String> = stmt.column_names().map(str::to_string).collect();
        let width = columns.len();
        let mut rows = Vec::new();
        let mut truncated = false;
        let mut bytes = 0usize;
        let mut cursor = stmt.query([]).map_err(classify)?;
        'rows: while let Some(row) = cursor.next().map_err(classify)? {
            if rows.len() == limits.max_rows {
                truncated = true;
                break;
            }
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                let value = row.get_ref(i).map_err(classify)?;
                bytes += size_of(value);
                if bytes > limits.max_bytes {
                    if rows.is_empty() {
                        return Err(ExecError::ResultTooBig(limits.max_bytes));
                    }
                    truncated = true;
                    break 'rows;
                }
                values.push(to_json(value));
            }
            rows.push(values);
        }
        Ok(QueryResult {
            columns,
            rows,
            truncated,
        })
    }
}

/// The authorizer's decision: reads and allowlisted functions only.
fn authorize(action: &AuthAction<'_>) -> Authorization {
    match action {
        AuthAction::Select | AuthAction::Read { .. } | AuthAction::Recursive => {
            Authorization::Allow
        }
        AuthAction::Function { function_name } if guard::is_allowed_function(function_name) => {
            Authorization::Allow
        }
        _ => Authorization::Deny,
    }
}

fn describe(action: &AuthAction<'_>) -> String {
    match action {
        AuthAction::Function { function_name } => format!("the function {function_name}()"),
        AuthAction::Pragma { pragma_name, .. } => format!("PRAGMA {pragma_name}"),
        other => format!("{other:?}")
            .split([' ', '{', '('])
            .next()
            .unwrap_or("an action")
            .to_string(),
    }
}

/// Roughly what a value costs in the result (its text, plus a little for the cell).
fn size_of(value: ValueRef<'_>) -> usize {
    8 + match value {
        ValueRef::Text(t) => t.len(),
        _ => 16,
    }
}

/// `file:` URI for `path` with `query` (the path's `%`, `?` and `#` escaped).
fn uri(path: &Path, query: &str) -> String {
    let mut out = String::from("file:");
    for c in path.display().to_string().chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    format!("{out}?{query}")
}

/// A connection opened by [`SqliteExecutor::open_read_only`], with the private copy it reads when
/// there is one (removed when the connection is dropped).
pub struct ReadOnly {
    conn: Connection,
    _snapshot: Option<tempfile::TempDir>,
}

impl std::ops::Deref for ReadOnly {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl std::ops::DerefMut for ReadOnly {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// A private read-only copy of a WAL database and its log, for a `-wal` found without its
/// `-shm` (reading it in place would create the `-shm` beside the user's file).
fn snapshot(path: &Path) -> std::io::Result<ReadOnly> {
    let dir = tempfile::tempdir()?;
    let copy = dir.path().join("snapshot.db");
    std::fs::copy(path, &copy)?;
    std::fs::copy(
        format!("{}-wal", path.display()),
        format!("{}-wal", copy.display()),
    )?;
    // Read-write on the private copy: SQLite must replay the log into its own new -shm.
    let conn = Connection::open_with_flags(
        &copy,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(std::io::Error::other)?;
    conn.pragma_update(None, "query_only", true)
        .map_err(std::io::Error::other)?;
    Ok(ReadOnly {
        conn,
        _snapshot: Some(dir),
    })
}

fn to_json(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::String(format!("<{} bytes>", b.len())),
    }
}

#[cfg(test)]
mod tests {
    //! Every wall is tested with the guard bypassed: these call the executor directly.
    use super::*;

    fn fixture() -> (tempfile::TempDir, SqliteExecutor) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE orders(order_id INTEGER PRIMARY KEY, status TEXT);
             INSERT INTO orders(status) VALUES ('completed'), ('refunded'), ('completed');",
        )
        .unwrap();
        drop(conn);
        (dir, SqliteExecutor::new(path))
    }

    fn count(ex: &SqliteExecutor) -> i64 {
        Connection::open(ex.path())
            .unwrap()
            .query_row("SELECT count(*) FROM orders", [], |r| r.get(0))
            .unwrap()
    }

    #[track_caller]
    fn stopped(ex: &SqliteExecutor, sql: &str) -> ExecError {
        let before = std::fs::read(ex.path()).unwrap();
        let err = ex.run(sql, &Limits::default(), None).expect_err(sql);
        assert_eq!(
            std::fs::read(ex.path()).unwrap(),
            before,
            "{sql} changed the file"
        );
        err
    }

    #[test]
    fn reads_work_and_return_json_values() {
        let (_d, ex) = fixture();
        let r = ex
            .run(
                "SELECT status, count(*) AS n, 1.5 FROM orders GROUP BY status ORDER BY status",
                &Limits::default(),
                None,
            )
            .unwrap();
        assert_eq!(r.columns, ["status", "n", "1.5"]);
        assert_eq!(
            r.rows[0],
            [Value::from("completed"), Value::from(2), Value::from(1.5)]
        );
        assert!(!r.truncated);
    }

    #[test]
    fn writes_are_stopped_without_the_guard() {
        let (_d, ex) = fixture();
        for sql in [
            "DELETE FROM orders",
            "UPDATE orders SET status = 'x'",
            "INSERT INTO orders(status) VALUES ('x')",
            "DROP TABLE orders",
            "CREATE TABLE t(x)",
            "CREATE TEMP TABLE t AS SELECT 1",
            "VACUUM",
        ] {
            stopped(&ex, sql);
        }
        assert_eq!(count(&ex), 3);
    }

    #[test]
    fn pragma_cannot_undo_query_only_and_the_authorizer_alone_stops_writes() {
        let (_d, ex) = fixture();
        assert!(matches!(
            stopped(&ex, "PRAGMA query_only = 0"),
            ExecError::NotAllowed(_)
        ));
        assert!(matches!(
            stopped(&ex, "PRAGMA writable_schema = 1"),
            ExecError::NotAllowed(_)
        ));
        // The authorizer on its own, with the file writable and query_only off: a write is denied.
        let mut conn = Connection::open(ex.path()).unwrap();
        conn.authorizer(Some(|ctx: AuthContext<'_>| authorize(&ctx.action)))
            .unwrap();
        assert!(conn.execute("DELETE FROM orders", []).is_err());
        assert!(conn.execute_batch("PRAGMA query_only = 0").is_err());
        drop(conn);
        assert_eq!(count(&ex), 3);
    }

    #[test]
    fn read_only_open_alone_stops_writes() {
        let (_d, ex) = fixture();
        let conn = ex.open_read_only().unwrap();
        let err = conn.execute("DELETE FROM orders", []).unwrap_err();
        assert_eq!(err.sqlite_error_code(), Some(ErrorCode::ReadOnly));
        drop(conn);
        assert_eq!(count(&ex), 3);
    }

    #[test]
    fn attach_is_stopped() {
        let (d, ex) = fixture();
        let other = d.path().join("other.sqlite");
        stopped(&ex, &format!("ATTACH DATABASE '{}' AS o", other.display()));
        assert!(!other.exists(), "ATTACH must not create a file");
    }

    #[test]
    fn functions_off_the_allowlist_are_denied() {
        let (_d, ex) = fixture();
        assert!(
            matches!(stopped(&ex, "SELECT sqlite_version()"), ExecError::NotAllowed(w) if w.contains("sqlite_version"))
        );
        assert!(matches!(
            stopped(&ex, "SELECT randomblob(10)"),
            ExecError::NotAllowed(_)
        ));
    }

    #[test]
    fn a_runaway_query_is_stopped_by_the_time_limit() {
        let (_d, ex) = fixture();
        let limits = Limits {
            timeout: Duration::from_millis(100),
            ..Limits::default()
        };
        let err =
            ex.run("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT max(x) FROM n", &limits, None).unwrap_err();
        assert!(matches!(err, ExecError::TimedOut(100)), "{err:?}");
    }

    #[test]
    fn a_cancelled_query_stops() {
        let (_d, ex) = fixture();
        let cancel = Arc::new(AtomicBool::new(true));
        let err = ex
            .run("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT max(x) FROM n", &Limits::default(), Some(cancel))
            .unwrap_err();
        assert!(matches!(err, ExecError::Cancelled), "{err:?}");
    }

    #[test]
    fn size_bombs_hit_the_length_limit() {
        let (_d, ex) = fixture();
        let err = ex
            .run(
                "SELECT printf('%.*c', 2000000000, 'x')",
                &Limits::default(),
                None,
            )
            .unwrap_err();
        assert!(matches!(err, ExecError::TooBig(_)), "{err:?}");
    }

    #[test]
    fn rows_are_capped_and_flagged() {
        let (_d, ex) = fixture();
        let limits = Limits {
            max_rows: 2,
            ..Limits::default()
        };
        let r = ex.run("SELECT * FROM orders", &limits, None).unwrap();
        assert_eq!(r.rows.len(), 2);
        assert!(r.truncated);
        let r = ex
            .run("SELECT * FROM orders LIMIT 2", &limits, None)
            .unwrap();
        assert!(!r.truncated, "exactly max_rows rows is not truncated");
    }

    #[test]
    fn a_missing_or_non_database_file_is_a_plain_error() {
        let d = tempfile::tempdir().unwrap();
        assert!(matches!(
            SqliteExecutor::new(d.path().join("nope.db")).run("SELECT 1", &Limits::default(), None),
            Err(ExecError::Missing(_))
        ));
        let text = d.path().join("notes.txt");
        std::fs::write(
            &text,
            "hello, this is not a database at all, just some text to read",
        )
        .unwrap();
        assert!(matches!(
            SqliteExecutor::new(&text).run("SELECT 1", &Limits::default(), None),
            Err(ExecError::Open { .. })
        ));
    }

    #[test]
    fn a_locked_or_damaged_file_is_named_with_what_to_do() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("books.sqlite");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch("CREATE TABLE t(x TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO t SELECT printf('row %d', i) FROM n;")
            .unwrap();
        // Another program holds an exclusive lock (rollback journal): readers must wait.
        writer
            .execute_batch("BEGIN EXCLUSIVE; INSERT INTO t VALUES ('pending');")
            .unwrap();
        let err = SqliteExecutor::new(&path)
            .run("SELECT count(*) FROM t", &Limits::default(), None)
            .unwrap_err();
        assert!(matches!(err, ExecError::Locked(_)), "{err:?}");
        assert!(
            err.to_string()
                .contains("books.sqlite is locked by another program"),
            "{err}"
        );
        writer.execute_batch("ROLLBACK").unwrap();
        drop(writer);

        // Garble everything after the first page: the schema still reads, the table does not.
        let mut bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() > 8192, "the fixture spans several pages");
        for (i, b) in bytes.iter_mut().enumerate().skip(4096) {
            *b = (i % 251) as u8;
        }
        std::fs::write(&path, &bytes).unwrap();
        let err = SqliteExecutor::new(&path)
            .run("SELECT count(*), max(x) FROM t", &Limits::default(), None)
            .unwrap_err();
        assert!(matches!(err, ExecError::Corrupt(_)), "{err:?}");
        assert!(err.to_string().contains("books.sqlite is damaged"), "{err}");
    }

    fn beside(path: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_wal_database_at_rest_is_read_with_nothing_created_beside_it() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("shop.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = wal; CREATE TABLE t(x); INSERT INTO t VALUES (1), (2);",
        )
        .unwrap();
        drop(conn);
        assert_eq!(
            beside(&path),
            ["shop.db"],
            "a clean close leaves no side files"
        );
        let before = std::fs::read(&path).unwrap();
        let r = SqliteExecutor::new(&path)
            .run_here("SELECT count(*) FROM t", &Limits::default(), None)
            .unwrap();
        assert_eq!(r.rows[0][0], Value::from(2));
        assert_eq!(
            beside(&path),
            ["shop.db"],
            "reading created files beside the database"
        );
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn a_wal_database_being_written_is_read_at_its_latest_commit_through_its_own_side_files() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("live.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch("PRAGMA journal_mode = wal; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
        writer
            .execute_batch("INSERT INTO t VALUES (2), (3);")
            .unwrap();
        let files = beside(&path);
        assert_eq!(files, ["live.db", "live.db-shm", "live.db-wal"]);
        let r = SqliteExecutor::new(&path)
            .run_here("SELECT count(*) FROM t", &Limits::default(), None)
            .unwrap();
        assert_eq!(
            r.rows[0][0],
            Value::from(3),
            "rows committed to the log are read"
        );
        assert_eq!(beside(&path), files);

        // The same files copied without the -shm (a backup, a synced folder): read through a private copy.
        let other = tempfile::tempdir().unwrap();
        let copy = other.path().join("copy.db");
        std::fs::copy(&path, &copy).unwrap();
        std::fs::copy(
            d.path().join("live.db-wal"),
            other.path().join("copy.db-wal"),
        )
        .unwrap();
        let r = SqliteExecutor::new(&copy)
            .run_here("SELECT count(*) FROM t", &Limits::default(), None)
            .unwrap();
        assert_eq!(r.rows[0][0], Value::from(3));
        assert_eq!(
            beside(&copy),
            ["copy.db", "copy.db-wal"],
            "no -shm was created beside the copy"
        );
    }

    #[test]
    fn a_result_is_cut_at_its_byte_budget() {
        let (_d, ex) = fixture();
        let limits = Limits {
            max_bytes: 100_000,
            ..Limits::default()
        };
        let sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) SELECT printf('%.1000c', 'x') FROM n";
        let r = ex.run_here(sql, &limits, None).unwrap();
        assert!(r.truncated);
        assert!((90..100).contains(&r.rows.len()), "{}", r.rows.len());
        let limits = Limits {
            max_bytes: 500,
            ..Limits::default()
        };
        assert!(matches!(
            ex.run_here(sql, &limits, None),
            Err(ExecError::ResultTooBig(500))
        ));
    }

    #[test]
    fn sql_over_the_length_limit_is_refused_before_parsing() {
        let (_d, ex) = fixture();
        let sql = format!("SELECT {}", vec!["1"; 60_000].join("+"));
        let err = ex.run_here(&sql, &Limits::default(), None).unwrap_err();
        assert!(
            matches!(err, ExecError::SqlTooLong(n) if n == sql.len()),
            "{err:?}"
        );
        assert!(err.to_string().contains("characters long"), "{err}");
    }
}
