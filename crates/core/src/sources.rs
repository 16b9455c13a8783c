//! The data sources a user has added (the sample database, the workspace where imports land,
//! SQLite files they opened, later PostgreSQL), kept in the app database, with one active.
//! Removing a source only forgets it: the user's file is never touched.

use std::path::Path;

use rusqlite::{params, OptionalExtension};

use crate::executor::{ExecError, Limits, QueryResult};
use crate::history::{AppDb, HistoryError};
use crate::schema::quote_ident;
use crate::source::duckdb::DuckSource;
use crate::source::mysql::MySource;
use crate::source::postgres::PgSource;
use crate::source::{DataSource, SqliteSource};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Sample,
    Workspace,
    Sqlite,
    Postgres,
    Mysql,
    /// A large CSV or Parquet file answered where it is, through DuckDB.
    InPlace,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sample => "sample",
            Self::Workspace => "workspace",
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
            Self::InPlace => "in_place",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "sample" => Self::Sample,
            "workspace" => Self::Workspace,
            "postgres" => Self::Postgres,
            "mysql" => Self::Mysql,
            "in_place" => Self::InPlace,
            _ => Self::Sqlite,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub id: i64,
    pub name: String,
    pub kind: SourceKind,
    /// A file path, or a connection URL without its password.
    pub location: String,
    pub added_at: String,
    pub active: bool,
}

fn row_to_source(r: &rusqlite::Row<'_>) -> rusqlite::Result<Source> {
    Ok(Source {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: SourceKind::parse(&r.get::<_, String>(2)?),
        location: r.get(3)?,
        added_at: r.get(4)?,
        active: r.get(5)?,
    })
}

const COLUMNS: &str = "id, name, kind, location, added_at, active";

impl AppDb {
    /// Adds a source (or returns the existing one for the same location); the first becomes active.
    pub fn add_source(
        &self,
        name: &str,
        kind: SourceKind,
        location: &str,
        added_at: &str,
    ) -> Result<Source, HistoryError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO sources(name, kind, location, added_at, active)
             VALUES (?1, ?2, ?3, ?4, NOT EXISTS(SELECT 1 FROM sources WHERE active))
             ON CONFLICT(kind, location) DO NOTHING",
            params![name, kind.as_str(), location, added_at],
        )?;
        Ok(conn.query_row(
            &format!("SELECT {COLUMNS} FROM sources WHERE kind = ?1 AND location = ?2"),
            params![kind.as_str(), location],
            row_to_source,
        )?)
    }

    pub fn sources(&self) -> Result<Vec<Source>, HistoryError> {
        let mut stmt = self
            .conn()
            .prepare(&format!("SELECT {COLUMNS} FROM sources ORDER BY id"))?;
        let rows = stmt.query_map([], row_to_source)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn active_source(&self) -> Result<Option<Source>, HistoryError> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM sources WHERE active"),
                [],
                row_to_source,
            )
            .optional()?)
    }

    /// Makes `id` the active source (one transaction: exactly one stays active).
    pub fn set_active_source(&mut self, id: i64) -> Result<bool, HistoryError> {
        let tx = self.conn_mut().transaction()?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM sources WHERE id = ?1)",
            [id],
            |r| r.get(0),
        )?;
        if exists {
            tx.execute("UPDATE sources SET active = (id = ?1)", [id])?;
        }
        tx.commit()?;
        Ok(exists)
    }

    /// Forgets a source (never deletes the file). If it was active, the oldest remaining one is.
    pub fn remove_source(&mut self, id: i64) -> Result<(), HistoryError> {
        let tx = self.conn_mut().transaction()?;
        tx.execute("DELETE FROM sources WHERE id = ?1", [id])?;
        tx.execute(
            "UPDATE sources SET active = 1 WHERE id = (SELECT min(id) FROM sources) AND NOT EXISTS(SELECT 1 FROM sources WHERE active)",
            [],
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// Opens a registered source. Database servers' addresses are stored without their password,
/// so it is passed here (otherwise `PGPASSWORD` or `MYSQL_PWD` is used).
pub fn open_source(
    source: &Source,
    password: Option<&str>,
) -> Result<Box<dyn DataSource>, ExecError> {
    match source.kind {
        SourceKind::Postgres => Ok(Box::new(PgSource::connect_with(
            &source.location,
            password,
        )?)),
        SourceKind::Mysql => Ok(Box::new(MySource::connect_with(
            &source.location,
            password,
        )?)),
        SourceKind::InPlace => Ok(Box::new(DuckSource::open(&source.location)?)),
        SourceKind::Sample | SourceKind::Workspace | SourceKind::Sqlite => {
            let sqlite = SqliteSource::new(&source.location);
            // Fail now, with the file's own message, rather than at the first question (the
            // schema itself is read by whoever needs it, through the profile cache).
            sqlite.check()?;
            Ok(Box::new(sqlite))
        }
    }
}

/// The first `limit` rows of `table`, read through the guard and the source's read-only walls.
pub fn preview(
    source: &dyn DataSource,
    table: &str,
    limit: usize,
) -> Result<QueryResult, ExecError> {
    let limits = Limits {
        max_rows: limit,
        ..Limits::default()
    };
    let sql = format!("SELECT * FROM {}", quote_ident(table));
    let checked =
        crate::guard::check_for(&sql, source.dialect()).map_err(|e| ExecError::Refused(e.0))?;
    source.run(&checked, &limits, None)
}

/// Whether `path` starts with SQLite's file header (an `.xlsx` renamed `.db` does not).
pub fn is_sqlite_file(path: &Path) -> bool {
    let mut header = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header))
        .is_ok()
        && &header == b"SQLite format 3\0"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_source_is_active_and_removing_it_keeps_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("shop.sqlite");
        rusqlite::Connection::open(&file)
            .unwrap()
            .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3);")
            .unwrap();
        let mut db = AppDb::open_in_memory().unwrap();
        let sample = db
            .add_source(
                "Sample",
                SourceKind::Sample,
                "/data/sample.sqlite",
                "2026-11-26 09:00",
            )
            .unwrap();
        assert!(sample.active, "the first source is active");
        let shop = db
            .add_source(
                "shop",
                SourceKind::Sqlite,
                &file.display().to_string(),
                "2026-11-26 09:01",
            )
            .unwrap();
        assert!(!shop.active);
        assert_eq!(
            db.add_source(
                "shop again",
                SourceKind::Sqlite,
                &file.display().to_string(),
                "x"
            )
            .unwrap()
            .id,
            shop.id,
            "same file, same source"
        );
        assert!(db.set_active_source(shop.id).unwrap());
        assert!(!db.set_active_source(999).unwrap());
        assert_eq!(db.active_source().unwrap().map(|s| s.id), Some(shop.id));
        db.remove_source(shop.id).unwrap();
        assert_eq!(
            db.active_source().unwrap().map(|s| s.id),
            Some(sample.id),
            "another source becomes active"
        );
        assert!(file.is_file(), "removing a source never deletes the file");
        let opened = open_source(&shop, None).unwrap();
        let rows = preview(opened.as_ref(), "t", 2).unwrap();
        assert_eq!((rows.rows.len(), rows.truncated), (2, true));
        assert!(is_sqlite_file(&file));
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_refused_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("orders.db");
        std::fs::write(&fake, "id,total\n1,2\n").unwrap();
        assert!(!is_sqlite_file(&fake));
        let source = Source {
            id: 1,
            name: "orders".into(),
            kind: SourceKind::Sqlite,
            location: fake.display().to_string(),
            added_at: String::new(),
            active: true,
        };
        let err = open_source(&source, None).err().unwrap().to_string();
        assert!(
            err.contains("orders.db") && err.contains("not a SQLite database"),
            "{err}"
        );
    }
}
