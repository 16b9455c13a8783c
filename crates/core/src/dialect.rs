//! `Dialect`: which SQL a source speaks. A word of the bottom layer: the guard, the planner, the
//! prompt and the sources all follow it, and it depends on nothing.

/// The SQL dialect a source speaks; the guard and the planner follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    #[default]
    Sqlite,
    Postgres,
    /// MariaDB and MySQL: backtick quoting, `DATE_FORMAT`, `CONCAT` (`||` is OR there).
    Mysql,
    /// DuckDB over a large CSV or Parquet file opened in place.
    Duckdb,
}

impl Dialect {
    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
            Self::Mysql => "MariaDB/MySQL",
            Self::Duckdb => "DuckDB",
        }
    }
}
