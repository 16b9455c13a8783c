//! `DataSource`: where a question's SQL runs. One trait at the real I/O seam, with a SQLite
//! implementation (any file, opened read-only) and a PostgreSQL one ([`postgres`]).

pub mod postgres;

use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::executor::{ExecError, Limits, QueryResult, SqliteExecutor};
use crate::schema::{self, Schema};

/// The SQL dialect a source speaks; the guard and the planner follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    #[default]
    Sqlite,
    Postgres,
}

pub trait DataSource: Send + Sync {
    /// What to call it in messages: a file path or a URL without its password.
    fn describe(&self) -> String;
    fn dialect(&self) -> Dialect;
    /// Tables, columns, keys, row counts and low-cardinality values.
    fn schema(&self) -> Result<Schema, ExecError>;
    /// Changes when the data changes (for freshness notes).
    fn data_version(&self) -> Result<String, ExecError>;
    /// Runs one guarded, read-only query within `limits`.
    fn run(&self, sql: &str, limits: &Limits, cancel: Option<Arc<AtomicBool>>) -> Result<QueryResult, ExecError>;
}

/// Changes when tables, columns or types change (not when rows do): part of cache keys.
pub fn schema_fingerprint(schema: &Schema) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for t in &schema.tables {
        t.name.hash(&mut h);
        t.is_view.hash(&mut h);
        for c in &t.columns {
            c.name.hash(&mut h);
            c.decl_type.hash(&mut h);
        }
    }
    format!("{:016x}", h.finish())
}

/// A SQLite file, read through [`SqliteExecutor`]'s walls.
pub struct SqliteSource {
    executor: SqliteExecutor,
}

impl SqliteSource {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { executor: SqliteExecutor::new(path) }
    }
}

impl DataSource for SqliteSource {
    fn describe(&self) -> String {
        self.executor.path().display().to_string()
    }

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn schema(&self) -> Result<Schema, ExecError> {
        let conn = self.executor.open_read_only()?;
        schema::introspect(&conn).map_err(ExecError::Sql)
    }

    fn data_version(&self) -> Result<String, ExecError> {
        // The file and its WAL: size and modification time change with every committed write.
        let stamp = |p: PathBuf| std::fs::metadata(p).ok().map(|m| (m.len(), m.modified().ok()));
        let path = self.executor.path();
        let wal = PathBuf::from(format!("{}-wal", path.display()));
        let mut h = std::collections::hash_map::DefaultHasher::new();
        stamp(path.to_path_buf()).hash(&mut h);
        stamp(wal).hash(&mut h);
        Ok(format!("{:016x}", h.finish()))
    }

    fn run(&self, sql: &str, limits: &Limits, cancel: Option<Arc<AtomicBool>>) -> Result<QueryResult, ExecError> {
        self.executor.run(sql, limits, cancel)
    }
}

/// Opens `spec`: a `postgres://` or `postgresql://` URL, otherwise a SQLite file path.
pub fn open(spec: &str) -> Result<Box<dyn DataSource>, ExecError> {
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        Ok(Box::new(postgres::PgSource::connect(spec)?))
    } else {
        Ok(Box::new(SqliteSource::new(spec)))
    }
}
