//! `DataSource`: where a question's SQL runs. One trait at the real I/O seam, with a SQLite
//! implementation (any file, opened read-only) and a PostgreSQL one ([`postgres`]).

pub mod duckdb;
pub mod mysql;
pub mod postgres;

use std::hash::{Hash, Hasher};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::executor::{ExecError, Limits, QueryResult, SqliteExecutor};
use crate::guard::CheckedSql;
use crate::schema::{ProfileKey, Schema};

pub use crate::dialect::Dialect;

/// The statement of `sql` when it was checked for `dialect`; otherwise a plain refusal, so a
/// query checked as SQLite never runs on PostgreSQL (or the other way round).
pub fn checked_for(sql: &CheckedSql, dialect: Dialect) -> Result<&str, ExecError> {
    if sql.dialect() == dialect {
        Ok(sql.as_str())
    } else {
        Err(ExecError::Refused(format!(
            "it was checked as {} SQL, but this source is {}",
            sql.dialect().name(),
            dialect.name()
        )))
    }
}

pub trait DataSource: Send + Sync {
    /// What to call it in messages: a file path or a URL without its password.
    fn describe(&self) -> String;
    fn dialect(&self) -> Dialect;
    /// Tables, columns, keys, row counts and low-cardinality values.
    fn schema(&self) -> Result<Schema, ExecError>;
    /// Changes when the data changes (for freshness notes).
    fn data_version(&self) -> Result<String, ExecError>;
    /// What a stored schema profile is keyed on (see [`crate::schema::cached`]): cheap to read, the
    /// same in every process, and different once the data has changed. None: never cached.
    fn profile_key(&self) -> Option<ProfileKey> {
        None
    }
    /// Runs one read-only query within `limits`. Only the guard makes a [`CheckedSql`]
    /// ([`crate::guard::check_for`]), so unguarded SQL cannot reach a source; one checked for
    /// another dialect is refused ([`checked_for`]).
    fn run(
        &self,
        sql: &CheckedSql,
        limits: &Limits,
        cancel: Option<Arc<AtomicBool>>,
    ) -> Result<QueryResult, ExecError>;
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
        Self {
            executor: SqliteExecutor::new(path),
        }
    }

    /// Opens the file read-only and reads its table list: proves it is a readable SQLite
    /// database, without reading the data.
    pub fn check(&self) -> Result<(), ExecError> {
        self.executor.open_read_only().map(drop)
    }
}

/// What moves when a SQLite file's data moves, read from the file system without opening the
/// database (no connection, no lock, nothing written):
/// - the file's size and modification time (nanoseconds), and its header's file change counter
///   (bytes 24..28, bumped by every committed transaction outside WAL mode) and schema cookie
///   (40..44);
/// - when a `-wal` file holds frames, its size and modification time and its header's
///   checkpoint sequence and salts (12..24, new each time the log restarts), plus the `-shm`
///   index header's last frame, page count, frame checksum and salts (bytes 16..40), so a WAL
///   write that was never checkpointed is seen. Not its change counter or header checksum: a
///   reader in another process (the query worker) may rebuild the index and reset those
///   without any data changing.
///
/// None when the file is missing or is not a SQLite database (reading it will say why).
pub fn sqlite_change_signal(path: &Path) -> Option<String> {
    fn stamp(m: &std::fs::Metadata) -> String {
        let nanos = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        format!("{}@{nanos}", m.len())
    }
    fn head(path: &Path, n: usize) -> Option<Vec<u8>> {
        let mut buf = Vec::with_capacity(n);
        std::fs::File::open(path)
            .ok()?
            .take(n as u64)
            .read_to_end(&mut buf)
            .ok()?;
        Some(buf)
    }
    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
    let meta = std::fs::metadata(path)
        .ok()
        .filter(std::fs::Metadata::is_file)?;
    let header = head(path, 100)?;
    // An empty file is an empty database; anything else must start with SQLite's header.
    let sqlite = header.len() == 100 && header.starts_with(b"SQLite format 3\0");
    if !sqlite && !header.is_empty() {
        return None;
    }
    let fields = if header.is_empty() {
        String::new()
    } else {
        format!("{}/{}", hex(&header[24..28]), hex(&header[40..44]))
    };
    let mut signal = format!("db {} {fields}", stamp(&meta));
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    // A WAL without a 32-byte header holds no frames: the data is all in the main file.
    if let Some(wal_meta) = std::fs::metadata(&wal).ok().filter(|m| m.len() >= 32) {
        let wal_header = head(&wal, 32).unwrap_or_default();
        let shm = head(Path::new(&format!("{}-shm", path.display())), 40).unwrap_or_default();
        let index = hex(shm.get(16..40).unwrap_or_default());
        signal.push_str(&format!(
            "; wal {} {}; shm {index}",
            stamp(&wal_meta),
            hex(wal_header.get(12..24).unwrap_or_default())
        ));
    }
    Some(signal)
}

impl DataSource for SqliteSource {
    fn describe(&self) -> String {
        self.executor.path().display().to_string()
    }

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    /// Read in the query process, under its time and memory walls: a hostile file's views can
    /// neither hang nor exhaust the app.
    fn schema(&self) -> Result<Schema, ExecError> {
        self.executor.schema()
    }

    fn data_version(&self) -> Result<String, ExecError> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        sqlite_change_signal(self.executor.path()).hash(&mut h);
        Ok(format!("{:016x}", h.finish()))
    }

    /// The canonical path (so `./shop.db` and `/home/ana/shop.db` share one profile) and
    /// [`sqlite_change_signal`].
    fn profile_key(&self) -> Option<ProfileKey> {
        let path = std::fs::canonicalize(self.executor.path()).ok()?;
        let signal = sqlite_change_signal(&path)?;
        Some(ProfileKey {
            identity: path.display().to_string(),
            signal,
            max_age: None,
        })
    }

    fn run(
        &self,
        sql: &CheckedSql,
        limits: &Limits,
        cancel: Option<Arc<AtomicBool>>,
    ) -> Result<QueryResult, ExecError> {
        self.executor
            .run(checked_for(sql, Dialect::Sqlite)?, limits, cancel)
    }
}

/// Opens `spec`: a `postgres://` or `postgresql://` URL, a `mysql://` or `mariadb://` URL, a
/// CSV or Parquet file (answered in place through DuckDB), otherwise a SQLite file path.
pub fn open(spec: &str) -> Result<Box<dyn DataSource>, ExecError> {
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        Ok(Box::new(postgres::PgSource::connect(spec)?))
    } else if mysql::is_url(spec) {
        Ok(Box::new(mysql::MySource::connect(spec)?))
    } else if duckdb::is_in_place_file(spec) {
        Ok(Box::new(duckdb::DuckSource::open(spec)?))
    } else if spec.contains('@') && spec.contains(':') && !Path::new(spec).exists() {
        // A mistyped address (`mysql:/reader:pw@host/shop`) is not a file path: say so, without
        // the password it may hold.
        Err(ExecError::Connect(format!(
            "{} is neither a file nor an address Plainsight can open; database servers are written postgres://… or mysql://…",
            mask_credentials(spec)
        )))
    } else {
        Ok(Box::new(SqliteSource::new(spec)))
    }
}

/// `spec` with whatever follows the last `user:` before the `@` masked: a password in an address
/// however mistyped.
fn mask_credentials(spec: &str) -> String {
    let Some(at) = spec.rfind('@') else {
        return spec.to_string();
    };
    match spec[..at].rfind(':') {
        Some(colon) if !spec[colon + 1..at].starts_with('/') && colon + 1 < at => {
            format!("{}•••{}", &spec[..=colon], &spec[at..])
        }
        _ => spec.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard;

    #[test]
    fn a_mistyped_address_never_shows_its_password() {
        for typo in [
            "mysql:/reader:s3cret-pw@127.0.0.1:3306/shop",
            "postgress://reader:s3cret-pw@db/shop",
            "reader:s3cret-pw@db/shop",
        ] {
            let err = open(typo).err().expect("refused").to_string();
            assert!(
                !err.contains("s3cret") && err.contains("neither a file nor an address"),
                "{err}"
            );
        }
        assert_eq!(
            mask_credentials("mysql://reader@db/shop"),
            "mysql://reader@db/shop"
        );
    }

    #[test]
    fn a_source_runs_only_sql_checked_for_its_own_dialect() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("shop.sqlite");
        rusqlite::Connection::open(&file)
            .unwrap()
            .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2);")
            .unwrap();
        let source = SqliteSource::new(&file);
        let sql = "SELECT count(*) AS n FROM t";
        let ran = source
            .run(
                &guard::check_for(sql, Dialect::Sqlite).unwrap(),
                &Limits::default(),
                None,
            )
            .unwrap();
        assert_eq!(ran.rows, [vec![serde_json::json!(2)]]);
        let err = source
            .run(
                &guard::check_for(sql, Dialect::Postgres).unwrap(),
                &Limits::default(),
                None,
            )
            .unwrap_err();
        assert_eq!(err.to_string(), "the query was refused before it ran: it was checked as PostgreSQL SQL, but this source is SQLite");
    }
}
