//! `SqliteExecutor`: runs one query on a SQLite file so that it cannot change anything.
//!
//! Each wall works on its own, so a query that slips past the guard still cannot write:
//! 1. the file is opened read-only (`SQLITE_OPEN_READ_ONLY`) and `query_only` is set;
//! 2. an authorizer allows only SELECT, reads, recursive CTEs and allowlisted functions, and denies
//!    everything else — PRAGMA included, so `PRAGMA query_only = 0` cannot undo wall 1;
//! 3. `ATTACH` is limited to zero databases and strings/blobs to [`Limits::max_length`] bytes;
//! 4. a progress handler interrupts the query after [`Limits::timeout`] or when cancelled;
//! 5. at most [`Limits::max_rows`] rows are read; `truncated` says when more existed.

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

/// Walls around one query.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_rows: usize,
    pub timeout: Duration,
    /// Largest string or blob any expression may build, in bytes.
    pub max_length: i32,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_rows: 10_000, timeout: Duration::from_millis(5_000), max_length: 4_000_000 }
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
    #[error("the database could not run the query: {0}")]
    Sql(#[source] rusqlite::Error),
    #[error("{0}")]
    Connect(String),
    #[error("PostgreSQL could not run the query: {0}")]
    Postgres(String),
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

    /// Opens the file read-only; fails with a plain message if it is missing or not a database.
    pub fn open_read_only(&self) -> Result<Connection, ExecError> {
        let open_err = |source: rusqlite::Error| {
            let path = self.path.display().to_string();
            match source.sqlite_error_code() {
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => ExecError::Locked(path),
                Some(ErrorCode::DatabaseCorrupt) => ExecError::Corrupt(path),
                _ => ExecError::Open { path, source },
            }
        };
        if !self.path.is_file() {
            return Err(ExecError::Missing(self.path.display().to_string()));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&self.path, flags).map_err(open_err)?;
        // Wait briefly for another program's write to finish before calling the file locked.
        conn.busy_timeout(Duration::from_secs(2)).map_err(open_err)?;
        // Reading the schema proves it is a SQLite database (a text file opens fine but fails here).
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(())).map_err(open_err)?;
        Ok(conn)
    }

    /// Runs one query. Callers run [`guard::check`] first; this stays safe when they do not.
    pub fn run(&self, sql: &str, limits: &Limits, cancel: Option<Arc<AtomicBool>>) -> Result<QueryResult, ExecError> {
        let mut conn = self.open_read_only()?;
        conn.pragma_update(None, "query_only", true).map_err(ExecError::Sql)?;
        conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0).map_err(ExecError::Sql)?;
        conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, limits.max_length).map_err(ExecError::Sql)?;
        conn.set_limit(Limit::SQLITE_LIMIT_SQL_LENGTH, 100_000).map_err(ExecError::Sql)?;
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
                if cancel_in_hook.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)) {
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
                Some(ErrorCode::AuthorizationForStatementDenied) => ExecError::NotAllowed("a denied action".into()),
                Some(ErrorCode::TooBig) => ExecError::TooBig(limits.max_length),
                Some(ErrorCode::ReadOnly) => ExecError::NotAllowed("a write to a read-only database".into()),
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => ExecError::Locked(self.path.display().to_string()),
                Some(ErrorCode::DatabaseCorrupt) => ExecError::Corrupt(self.path.display().to_string()),
                _ => ExecError::Sql(e),
            }
        };

        let mut stmt = conn.prepare(sql).map_err(classify)?;
        if !stmt.readonly() {
            return Err(ExecError::NotAllowed("a statement that is not read-only".into()));
        }
        let columns: Vec<String> = stmt.column_names().map(str::to_string).collect();
        let width = columns.len();
        let mut rows = Vec::new();
        let mut truncated = false;
        let mut cursor = stmt.query([]).map_err(classify)?;
        while let Some(row) = cursor.next().map_err(classify)? {
            if rows.len() == limits.max_rows {
                truncated = true;
                break;
            }
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(to_json(row.get_ref(i).map_err(classify)?));
            }
            rows.push(values);
        }
        Ok(QueryResult { columns, rows, truncated })
    }
}

/// The authorizer's decision: reads and allowlisted functions only.
fn authorize(action: &AuthAction<'_>) -> Authorization {
    match action {
        AuthAction::Select | AuthAction::Read { .. } | AuthAction::Recursive => Authorization::Allow,
        AuthAction::Function { function_name } if guard::is_allowed_function(function_name) => Authorization::Allow,
        _ => Authorization::Deny,
    }
}

fn describe(action: &AuthAction<'_>) -> String {
    match action {
        AuthAction::Function { function_name } => format!("the function {function_name}()"),
        AuthAction::Pragma { pragma_name, .. } => format!("PRAGMA {pragma_name}"),
        other => format!("{other:?}").split([' ', '{', '(']).next().unwrap_or("an action").to_string(),
    }
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
        Connection::open(ex.path()).unwrap().query_row("SELECT count(*) FROM orders", [], |r| r.get(0)).unwrap()
    }

    #[track_caller]
    fn stopped(ex: &SqliteExecutor, sql: &str) -> ExecError {
        let before = std::fs::read(ex.path()).unwrap();
        let err = ex.run(sql, &Limits::default(), None).expect_err(sql);
        assert_eq!(std::fs::read(ex.path()).unwrap(), before, "{sql} changed the file");
        err
    }

    #[test]
    fn reads_work_and_return_json_values() {
        let (_d, ex) = fixture();
        let r = ex.run("SELECT status, count(*) AS n, 1.5 FROM orders GROUP BY status ORDER BY status", &Limits::default(), None).unwrap();
        assert_eq!(r.columns, ["status", "n", "1.5"]);
        assert_eq!(r.rows[0], [Value::from("completed"), Value::from(2), Value::from(1.5)]);
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
        assert!(matches!(stopped(&ex, "PRAGMA query_only = 0"), ExecError::NotAllowed(_)));
        assert!(matches!(stopped(&ex, "PRAGMA writable_schema = 1"), ExecError::NotAllowed(_)));
        // The authorizer on its own, with the file writable and query_only off: a write is denied.
        let mut conn = Connection::open(ex.path()).unwrap();
        conn.authorizer(Some(|ctx: AuthContext<'_>| authorize(&ctx.action))).unwrap();
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
        assert!(matches!(stopped(&ex, "SELECT sqlite_version()"), ExecError::NotAllowed(w) if w.contains("sqlite_version")));
        assert!(matches!(stopped(&ex, "SELECT randomblob(10)"), ExecError::NotAllowed(_)));
    }

    #[test]
    fn a_runaway_query_is_stopped_by_the_time_limit() {
        let (_d, ex) = fixture();
        let limits = Limits { timeout: Duration::from_millis(100), ..Limits::default() };
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
        let err = ex.run("SELECT printf('%.*c', 2000000000, 'x')", &Limits::default(), None).unwrap_err();
        assert!(matches!(err, ExecError::TooBig(_)), "{err:?}");
    }

    #[test]
    fn rows_are_capped_and_flagged() {
        let (_d, ex) = fixture();
        let limits = Limits { max_rows: 2, ..Limits::default() };
        let r = ex.run("SELECT * FROM orders", &limits, None).unwrap();
        assert_eq!(r.rows.len(), 2);
        assert!(r.truncated);
        let r = ex.run("SELECT * FROM orders LIMIT 2", &limits, None).unwrap();
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
        std::fs::write(&text, "hello, this is not a database at all, just some text to read").unwrap();
        assert!(matches!(SqliteExecutor::new(&text).run("SELECT 1", &Limits::default(), None), Err(ExecError::Open { .. })));
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
        writer.execute_batch("BEGIN EXCLUSIVE; INSERT INTO t VALUES ('pending');").unwrap();
        let err = SqliteExecutor::new(&path).run("SELECT count(*) FROM t", &Limits::default(), None).unwrap_err();
        assert!(matches!(err, ExecError::Locked(_)), "{err:?}");
        assert!(err.to_string().contains("books.sqlite is locked by another program"), "{err}");
        writer.execute_batch("ROLLBACK").unwrap();
        drop(writer);

        // Garble everything after the first page: the schema still reads, the table does not.
        let mut bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() > 8192, "the fixture spans several pages");
        for (i, b) in bytes.iter_mut().enumerate().skip(4096) {
            *b = (i % 251) as u8;
        }
        std::fs::write(&path, &bytes).unwrap();
        let err = SqliteExecutor::new(&path).run("SELECT count(*), max(x) FROM t", &Limits::default(), None).unwrap_err();
        assert!(matches!(err, ExecError::Corrupt(_)), "{err:?}");
        assert!(err.to_string().contains("books.sqlite is damaged"), "{err}");
    }
}
