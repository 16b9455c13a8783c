//! What a database contains, read once: tables and views, columns with a usable kind, foreign
//! keys, row counts and the values of low-cardinality text columns (so "West" or "Online" can
//! become filters). The planner builds its linguistic model from this; later the LLM prompt too.
//!
//! Reading it costs a pass over the data (values, row counts, latest dates), so callers that can
//! go through [`cached`]: a profile kept in the data directory, keyed on the data's change signal.

mod cache;

use std::collections::BTreeSet;

use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

pub use cache::{cached, profile, ProfileKey, Profiled, MAX_PROFILES, PROFILE_VERSION};

/// Text columns with at most this many distinct values have them listed.
pub const MAX_LISTED_VALUES: usize = 30;
/// The value index keeps at most this many distinct values of a column (bounded memory; a
/// column with more, such as names or e-mails, is searched only as far as this).
pub const MAX_INDEXED_VALUES: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColumnKind {
    Integer,
    Real,
    Text,
    /// ISO `YYYY-MM-DD` (optionally with a time) stored as text, or a DATE/DATETIME column.
    Date,
    /// ISO `YYYY-MM` text.
    Month,
    Other,
}

impl ColumnKind {
    pub fn is_numeric(self) -> bool {
        matches!(self, Self::Integer | Self::Real)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub decl_type: String,
    pub kind: ColumnKind,
    pub primary_key: bool,
    /// Distinct values, when the column is text with few of them.
    pub values: Vec<String>,
    /// Distinct values of a text column with more than [`MAX_LISTED_VALUES`], up to
    /// [`MAX_INDEXED_VALUES`]: the offline planner's value index ("flights to BOS", "Japan").
    /// Never put in an AI prompt (that carries `values` only, under the privacy rules).
    #[serde(default)]
    pub index: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub column: String,
    pub table: String,
    pub to_column: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    pub is_view: bool,
    pub columns: Vec<Column>,
    pub foreign_keys: Vec<ForeignKey>,
    pub row_count: i64,
    /// A view whose definition filters on a literal date ("Sales by Category" = 1997 only):
    /// a snapshot, not the business's data.
    pub fixed_period: bool,
    /// The latest ISO date stored in the table's date columns (base tables only): where the
    /// data ends, so "in March" on last year's export means the March in the data.
    pub latest: Option<String>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    pub tables: Vec<Table>,
}

impl Schema {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }
}

/// SQLite's keywords (`sqlite3_keyword_name`, SQLite 3.40 to 3.50: 147 of them), sorted. Some are
/// accepted as bare names in some places, but a quoted one is a name everywhere.
#[rustfmt::skip]
const SQLITE_KEYWORDS: [&str; 147] = [
    "ABORT", "ACTION", "ADD", "AFTER", "ALL", "ALTER", "ALWAYS", "ANALYZE", "AND", "AS", "ASC", "ATTACH", "AUTOINCREMENT",
    "BEFORE", "BEGIN", "BETWEEN", "BY", "CASCADE", "CASE", "CAST", "CHECK", "COLLATE", "COLUMN", "COMMIT", "CONFLICT",
    "CONSTRAINT", "CREATE", "CROSS", "CURRENT", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "DATABASE", "DEFAULT",
    "DEFERRABLE", "DEFERRED", "DELETE", "DESC", "DETACH", "DISTINCT", "DO", "DROP", "EACH", "ELSE", "END", "ESCAPE", "EXCEPT",
    "EXCLUDE", "EXCLUSIVE", "EXISTS", "EXPLAIN", "FAIL", "FILTER", "FIRST", "FOLLOWING", "FOR", "FOREIGN", "FROM", "FULL",
    "GENERATED", "GLOB", "GROUP", "GROUPS", "HAVING", "IF", "IGNORE", "IMMEDIATE", "IN", "INDEX", "INDEXED", "INITIALLY",
    "INNER", "INSERT", "INSTEAD", "INTERSECT", "INTO", "IS", "ISNULL", "JOIN", "KEY", "LAST", "LEFT", "LIKE", "LIMIT", "MATCH",
    "MATERIALIZED", "NATURAL", "NO", "NOT", "NOTHING", "NOTNULL", "NULL", "NULLS", "OF", "OFFSET", "ON", "OR", "ORDER", "OTHERS",
    "OUTER", "OVER", "PARTITION", "PLAN", "PRAGMA", "PRECEDING", "PRIMARY", "QUERY", "RAISE", "RANGE", "RECURSIVE", "REFERENCES",
    "REGEXP", "REINDEX", "RELEASE", "RENAME", "REPLACE", "RESTRICT", "RETURNING", "RIGHT", "ROLLBACK", "ROW", "ROWS",
    "SAVEPOINT", "SELECT", "SET", "TABLE", "TEMP", "TEMPORARY", "THEN", "TIES", "TO", "TRANSACTION", "TRIGGER", "UNBOUNDED",
    "UNION", "UNIQUE", "UPDATE", "USING", "VACUUM", "VALUES", "VIEW", "VIRTUAL", "WHEN", "WHERE", "WINDOW", "WITH", "WITHOUT",
];

/// True when `name` is an SQLite keyword, in any case (`order`, `Table`).
pub fn is_keyword(name: &str) -> bool {
    name.len() <= 17
        && SQLITE_KEYWORDS
            .binary_search_by(|k| k.bytes().cmp(name.bytes().map(|b| b.to_ascii_uppercase())))
            .is_ok()
}

/// Quotes an identifier for SQLite: plain ASCII names (letters, digits, `_`, not starting with
/// a digit) that are not keywords stay bare; anything else (`Unit Price`, `order`, `it's`) is
/// double-quoted, with `"` doubled. Bare names keep their case (SQLite's names ignore ASCII case).
pub fn quote_ident(name: &str) -> String {
    let plain = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && !is_keyword(name);
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// What a text column's sample of values says it holds: months ("2026-10") or ISO dates stored
/// as text, else text. For the database servers' and DuckDB's readers.
pub fn text_kind(sample: &[String]) -> ColumnKind {
    let all =
        |f: &dyn Fn(&[u8]) -> bool| !sample.is_empty() && sample.iter().all(|v| f(v.as_bytes()));
    if all(&|v| v.len() == 7 && v[4] == b'-') {
        ColumnKind::Month
    } else if all(&|v| v.len() >= 10 && v[4] == b'-' && v[7] == b'-') {
        ColumnKind::Date
    } else {
        ColumnKind::Text
    }
}

/// Reads the schema through a trusted (our own) connection.
pub fn introspect(conn: &Connection) -> rusqlite::Result<Schema> {
    let mut stmt = conn.prepare(
        "SELECT name, type = 'view', coalesce(sql, '') FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )?;
    let names: Vec<(String, bool, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut tables = Vec::with_capacity(names.len());
    // The definitions of the tables kept, in step with `tables`.
    let mut kept = Vec::with_capacity(names.len());
    for (name, is_view, sql) in &names {
        let mut table = if *is_view {
            match read_view(conn, name) {
                Ok(view) => view,
                // A view that cannot run here (a function the authorizer denies, a missing table)
                // could not be asked about either: it is left out and the rest of the file opens.
                Err(e) => {
                    tracing::warn!(view = %name, error = %e, "a view that cannot be read is left out");
                    continue;
                }
            }
        } else {
            read_table(conn, name, false)?
        };
        table.fixed_period = *is_view && has_date_literal(sql);
        tables.push(table);
        kept.push((*is_view, sql.to_lowercase()));
    }
    // A view over a fixed-period view is fixed too ("Category Sales for 1997").
    for _ in 0..3 {
        let fixed: Vec<String> = tables
            .iter()
            .filter(|t| t.fixed_period)
            .map(|t| t.name.to_lowercase())
            .collect();
        for (table, (is_view, sql)) in tables.iter_mut().zip(&kept) {
            if *is_view && !table.fixed_period && fixed.iter().any(|f| sql.contains(f.as_str())) {
                table.fixed_period = true;
            }
        }
    }
    Ok(Schema { tables })
}

/// How long reading one view may take. A view is a query someone else wrote: an endless
/// recursive CTE, or a join that builds huge values, must not hang opening the file.
pub const VIEW_READ_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// When a view is too slow to read whole, this many of its first rows give its columns' types
/// and values instead (a prefix is streamed: SQLite stops computing the view once it has them).
pub const VIEW_SAMPLE_ROWS: u32 = 200_000;
/// How long reading that prefix may take.
pub const VIEW_SAMPLE_LIMIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Runs `read` on `conn`, interrupting it after `limit`.
fn within<T>(
    conn: &Connection,
    limit: std::time::Duration,
    read: impl FnOnce() -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    // A watchdog interrupts the connection when the limit passes; finishing first stops it.
    let handle = conn.get_interrupt_handle();
    let (done, stop) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if stop.recv_timeout(limit) == Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
            handle.interrupt();
        }
    });
    let read = read();
    let _ = done.send(());
    let _ = watchdog.join();
    read
}

fn interrupted<T>(read: &rusqlite::Result<T>) -> bool {
    matches!(read, Err(rusqlite::Error::SqliteFailure(e, _))
        if e.code == rusqlite::ErrorCode::OperationInterrupted)
}

/// Reads a view under [`VIEW_READ_LIMIT`]. A view that takes longer (a join over millions of
/// rows) is read from its first [`VIEW_SAMPLE_ROWS`] rows under [`VIEW_SAMPLE_LIMIT`]: its
/// columns' types and values from that prefix, its row count unknown. One that is still too
/// slow (an endless recursive CTE, a join that builds huge values) is kept with its columns'
/// declared types only, so the rest of the file still opens.
fn read_view(conn: &Connection, name: &str) -> rusqlite::Result<Table> {
    let read = within(conn, VIEW_READ_LIMIT, || read_table(conn, name, true));
    if !interrupted(&read) {
        return read;
    }
    let prefix = within(conn, VIEW_SAMPLE_LIMIT, || read_view_prefix(conn, name));
    if !interrupted(&prefix) {
        tracing::info!(
            view = name,
            rows = VIEW_SAMPLE_ROWS,
            "reading the whole view took too long; its first rows were read instead"
        );
        return prefix;
    }
    tracing::warn!(
        view = name,
        error = ?prefix.err(),
        "reading the view took too long; it is kept without values"
    );
    let mut stmt = conn.prepare("SELECT name, type FROM pragma_table_info(?1)")?;
    let columns = stmt
        .query_map([name], |r| {
            let (col, decl): (String, String) = (r.get(0)?, r.get(1)?);
            let d = decl.to_ascii_uppercase();
            let kind = if d.contains("DATE") || d.contains("TIME") {
                ColumnKind::Date
            } else if d.contains("INT") {
                ColumnKind::Integer
            } else if ["REAL", "FLOA", "DOUB", "NUMERIC", "DECIMAL"]
                .iter()
                .any(|k| d.contains(k))
            {
                ColumnKind::Real
            } else {
                ColumnKind::Text
            };
            Ok(Column {
                name: col,
                decl_type: decl,
                kind,
                primary_key: false,
                values: Vec::new(),
                index: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Table {
        name: name.to_string(),
        is_view: true,
        columns,
        foreign_keys: Vec::new(),
        row_count: -1,
        fixed_period: false,
        latest: None,
    })
}

/// A view read from its first [`VIEW_SAMPLE_ROWS`] rows: types from a sample, values from the
/// prefix; the row count when the prefix held every row, else unknown (-1).
fn read_view_prefix(conn: &Connection, name: &str) -> rusqlite::Result<Table> {
    let prefix = format!(
        "(SELECT * FROM {} LIMIT {VIEW_SAMPLE_ROWS})",
        quote_ident(name)
    );
    let mut columns = read_columns(conn, name, &prefix)?;
    let row_count = match list_values(conn, &prefix, &mut columns)? {
        Some(rows) if rows < i64::from(VIEW_SAMPLE_ROWS) => rows,
        _ => -1,
    };
    Ok(Table {
        name: name.to_string(),
        is_view: true,
        columns,
        foreign_keys: Vec::new(),
        row_count,
        fixed_period: false,
        latest: None,
    })
}

/// True when `sql` contains a quoted ISO date (`'1997-01-01'`).
pub fn has_date_literal(sql: &str) -> bool {
    sql.split('\'').skip(1).step_by(2).any(|lit| {
        let b = lit.as_bytes();
        b.len() >= 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b[..10]
                .iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    })
}

/// The columns of table or view `name`, each kind from its declared type or from a sample of
/// the rows `from` gives (the table itself, or a prefix of a view's rows).
fn read_columns(conn: &Connection, name: &str, from: &str) -> rusqlite::Result<Vec<Column>> {
    let mut stmt = conn.prepare("SELECT name, type, pk FROM pragma_table_info(?1)")?;
    let raw: Vec<(String, String, i64)> = stmt
        .query_map([name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut columns = Vec::with_capacity(raw.len());
    for (col, decl_type, pk) in raw {
        let kind = infer_kind(conn, from, &col, &decl_type)?;
        columns.push(Column {
            name: col,
            decl_type,
            kind,
            primary_key: pk > 0,
            values: Vec::new(),
            index: Vec::new(),
        });
    }
    Ok(columns)
}

fn read_table(conn: &Connection, name: &str, is_view: bool) -> rusqlite::Result<Table> {
    let q = quote_ident(name);
    let mut columns = read_columns(conn, name, &q)?;
    // The values pass counts the rows when it reads them all; otherwise count(*) does (for a
    // table, SQLite counts the smallest index's pages).
    let row_count = match list_values(conn, &q, &mut columns)? {
        Some(rows) => rows,
        None => conn.query_row(&format!("SELECT count(*) FROM {q}"), [], |r| r.get(0))?,
    };
    let mut stmt = conn.prepare(
        "SELECT \"from\", \"table\", coalesce(\"to\", '') FROM pragma_foreign_key_list(?1)",
    )?;
    let foreign_keys = stmt
        .query_map([name], |r| {
            Ok(ForeignKey {
                column: r.get(0)?,
                table: r.get(1)?,
                to_column: r.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let latest = if is_view {
        None
    } else {
        latest_date(conn, &q, &columns)?
    };
    Ok(Table {
        name: name.to_string(),
        is_view,
        columns,
        foreign_keys,
        row_count,
        fixed_period: false,
        latest,
    })
}

/// The latest date in a table: the largest ISO date of its date columns, or of its year,
/// month and day columns. One aggregate per column, only where such columns exist.
fn latest_date(
    conn: &Connection,
    table: &str,
    columns: &[Column],
) -> rusqlite::Result<Option<String>> {
    let mut latest: Option<String> = None;
    let named = |w: &str| {
        columns
            .iter()
            .find(|c| c.kind.is_numeric() && c.name.eq_ignore_ascii_case(w))
            .map(|c| quote_ident(&c.name))
    };
    let mut exprs: Vec<String> = columns
        .iter()
        .filter(|c| c.kind == ColumnKind::Date)
        .map(|c| format!("substr(MAX({}), 1, 10)", quote_ident(&c.name)))
        .collect();
    if let (Some(y), Some(m), Some(d)) = (named("year"), named("month"), named("day")) {
        exprs.push(format!("printf('%04d-%02d-%02d', MAX({y} * 10000 + {m} * 100 + {d}) / 10000, MAX({y} * 10000 + {m} * 100 + {d}) / 100 % 100, MAX({y} * 10000 + {m} * 100 + {d}) % 100)"));
    }
    for e in exprs {
        let v: Option<String> =
            conn.query_row(&format!("SELECT {e} FROM {table}"), [], |r| r.get(0))?;
        if let Some(v) = v.filter(|v| looks_like_date(v)) {
            if latest.as_ref().is_none_or(|l| v > *l) {
                latest = Some(v);
            }
        }
    }
    Ok(latest)
}

/// The declared type decides when it is clear; otherwise (views, untyped columns, dates kept
/// as text) a sample of stored values does.
fn infer_kind(
    conn: &Connection,
    table: &str,
    col: &str,
    decl: &str,
) -> rusqlite::Result<ColumnKind> {
    let d = decl.to_ascii_uppercase();
    if d.contains("DATE") || d.contains("TIME") {
        return Ok(ColumnKind::Date);
    }
    let c = quote_ident(col);
    let sample: Vec<Option<String>> = conn
        .prepare(&format!("SELECT CASE typeof({c}) WHEN 'text' THEN {c} ELSE typeof({c}) END FROM {table} WHERE {c} IS NOT NULL LIMIT 50"))?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let all = |pred: &dyn Fn(&str) -> bool| {
        !sample.is_empty() && sample.iter().flatten().all(|v| pred(v))
    };
    Ok(if d.contains("INT") || all(&|v| v == "integer") {
        ColumnKind::Integer
    } else if ["REAL", "FLOA", "DOUB", "NUMERIC", "DECIMAL"]
        .iter()
        .any(|k| d.contains(k))
        || all(&|v| v == "real" || v == "integer")
    {
        ColumnKind::Real
    } else if all(&looks_like_date) {
        ColumnKind::Date
    } else if all(&looks_like_month) {
        ColumnKind::Month
    } else if d.contains("CHAR")
        || d.contains("TEXT")
        || d.contains("CLOB")
        || all(&|v| v != "blob")
    {
        ColumnKind::Text
    } else {
        ColumnKind::Other
    })
}

fn looks_like_date(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b[..4]
            .iter()
            .chain(&b[5..7])
            .chain(&b[8..10])
            .all(u8::is_ascii_digit)
}

fn looks_like_month(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 7 && b[4] == b'-' && b[..4].iter().chain(&b[5..7]).all(u8::is_ascii_digit)
}

/// Fills in the values of the low-cardinality text columns (not keys): every distinct value
/// that is not NULL and at most 60 characters long, sorted, when there are at most
/// [`MAX_LISTED_VALUES`] of them. One pass reads every such column at once (a view over joins is
/// computed once, not once per column, and nothing is sorted or grouped), and it stops as soon
/// as every column has shown too many values. Returns the number of rows when it read them all.
fn list_values(
    conn: &Connection,
    table: &str,
    columns: &mut [Column],
) -> rusqlite::Result<Option<i64>> {
    let listed: Vec<usize> = (0..columns.len())
        .filter(|&i| columns[i].kind == ColumnKind::Text && !columns[i].primary_key)
        .collect();
    if listed.is_empty() {
        return Ok(None);
    }
    let select: Vec<String> = listed
        .iter()
        .map(|&i| quote_ident(&columns[i].name))
        .collect();
    let mut stmt = conn.prepare(&format!("SELECT {} FROM {table}", select.join(", ")))?;
    let mut rows = stmt.query([])?;
    // Every distinct value up to MAX_INDEXED_VALUES (`None` once a column has more); those with at
    // most MAX_LISTED_VALUES are also listed.
    let mut sets: Vec<Option<BTreeSet<String>>> = vec![Some(BTreeSet::new()); listed.len()];
    let mut open = listed.len();
    let mut count = 0i64;
    while let Some(row) = rows.next()? {
        count += 1;
        for (j, slot) in sets.iter_mut().enumerate() {
            let Some(set) = slot else { continue };
            let text;
            let value = match row.get_ref(j)? {
                ValueRef::Text(t) => match std::str::from_utf8(t) {
                    Ok(v) => v,
                    Err(_) => continue,
                },
                ValueRef::Integer(i) => {
                    text = i.to_string();
                    text.as_str()
                }
                ValueRef::Null | ValueRef::Real(_) | ValueRef::Blob(_) => continue,
            };
            if set.contains(value) || (value.len() > 60 && value.chars().count() > 60) {
                continue;
            }
            if set.len() == MAX_INDEXED_VALUES {
                *slot = None;
                open -= 1;
            } else {
                set.insert(value.to_string());
            }
        }
        if open == 0 {
            return Ok(None);
        }
    }
    for (&i, set) in listed.iter().zip(sets) {
        let all: Vec<String> = set.map(Vec::from_iter).unwrap_or_default();
        if all.len() <= MAX_LISTED_VALUES {
            columns[i].values = all;
        } else {
            columns[i].index = all;
        }
    }
    Ok(Some(count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_schema_is_read_with_kinds_values_and_keys() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::sample::generate(&mut conn, "2026-11-26".parse().unwrap(), 1500).unwrap();
        let s = introspect(&conn).unwrap();
        let sales = s.table("sales").unwrap();
        assert!(sales.is_view);
        assert_eq!(sales.column("order_date").unwrap().kind, ColumnKind::Date);
        assert_eq!(sales.column("month").unwrap().kind, ColumnKind::Month);
        assert_eq!(sales.column("revenue").unwrap().kind, ColumnKind::Real);
        assert_eq!(sales.column("quantity").unwrap().kind, ColumnKind::Integer);
        assert_eq!(
            sales.column("region").unwrap().values,
            ["Central", "East", "North", "South", "West"]
        );
        assert!(
            sales.column("customer").unwrap().values.is_empty(),
            "500 customers is not low-cardinality"
        );
        let orders = s.table("orders").unwrap();
        assert_eq!(orders.foreign_keys[0].table, "customers");
        assert_eq!(
            orders.column("status").unwrap().values,
            ["cancelled", "completed", "refunded"]
        );
    }

    /// What `list_values` replaced: one GROUP BY per column.
    fn grouped(conn: &Connection, table: &str, col: &str) -> Vec<String> {
        let c = quote_ident(col);
        let sql = format!("SELECT {c} FROM {table} WHERE {c} IS NOT NULL AND length({c}) <= 60 GROUP BY {c} LIMIT 31");
        let v: Vec<String> = conn
            .prepare(&sql)
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        if v.len() > MAX_LISTED_VALUES {
            Vec::new()
        } else {
            v
        }
    }

    #[test]
    fn listed_values_and_row_counts_come_from_one_pass() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, few TEXT, thirty TEXT, many TEXT, long TEXT, mixed);
             CREATE TABLE u (id INTEGER PRIMARY KEY, label TEXT);
             INSERT INTO u VALUES (0, 'zero'), (1, 'one'), (2, 'two');
             CREATE VIEW v AS SELECT t.id, t.few, t.thirty, u.label FROM t JOIN u ON u.id = t.id % 3 WHERE t.id > 10;
             CREATE TABLE wide (a TEXT, b TEXT);",
        )
        .unwrap();
        let sixty = "é".repeat(60);
        for i in 1..=100i64 {
            let few = [None, Some("b"), Some("a"), Some("c")][(i % 4) as usize];
            let long = if i % 2 == 0 {
                "short".to_string()
            } else if i % 3 == 0 {
                sixty.clone()
            } else {
                "x".repeat(61)
            };
            let mixed: rusqlite::types::Value = if i % 2 == 0 {
                7.into()
            } else {
                "seven".to_string().into()
            };
            conn.execute(
                "INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![
                    i,
                    few,
                    format!("v{}", i % 30),
                    format!("m{}", i % 31),
                    long,
                    mixed
                ],
            )
            .unwrap();
        }
        for i in 0..1000 {
            conn.execute(
                "INSERT INTO wide VALUES (?1, ?2)",
                [format!("a{i}"), format!("b{i}")],
            )
            .unwrap();
        }
        let s = introspect(&conn).unwrap();
        let thirty: Vec<String> = (0..30)
            .map(|i| format!("v{i}"))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for (table, col, expected) in [
            ("t", "few", vec!["a".to_string(), "b".into(), "c".into()]),
            ("t", "thirty", thirty.clone()),
            ("t", "many", vec![]),
            ("t", "long", vec!["short".to_string(), sixty.clone()]),
            ("t", "mixed", vec!["7".into(), "seven".into()]),
            ("v", "few", vec!["a".into(), "b".into(), "c".into()]),
            ("v", "thirty", thirty),
            (
                "v",
                "label",
                vec!["one".into(), "two".into(), "zero".into()],
            ),
            ("wide", "a", vec![]),
            ("wide", "b", vec![]),
            (
                "u",
                "label",
                vec!["one".into(), "two".into(), "zero".into()],
            ),
        ] {
            let got = &s.table(table).unwrap().column(col).unwrap().values;
            assert_eq!(got, &expected, "{table}.{col}");
            if col != "mixed" {
                assert_eq!(
                    got,
                    &grouped(&conn, table, col),
                    "{table}.{col}: as GROUP BY listed them"
                );
            }
        }
        for (table, rows) in [("t", 100), ("v", 90), ("u", 3), ("wide", 1000)] {
            assert_eq!(s.table(table).unwrap().row_count, rows, "{table}");
        }
    }

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        assert_eq!(quote_ident("order_date"), "order_date");
        assert_eq!(quote_ident("Unit Price"), "\"Unit Price\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn keywords_and_odd_names_are_quoted_and_usable() {
        for (name, quoted) in [
            ("InvoiceDate", "InvoiceDate"),
            ("_id", "_id"),
            ("order_date", "order_date"),
            ("order", "\"order\""),
            ("Order", "\"Order\""),
            ("table", "\"table\""),
            ("GROUP", "\"GROUP\""),
            ("select", "\"select\""),
            ("current_timestamp", "\"current_timestamp\""),
            ("Unit Price", "\"Unit Price\""),
            ("it's", "\"it's\""),
            ("\"q\"", "\"\"\"q\"\"\""),
            ("2024", "\"2024\""),
            ("", "\"\""),
            ("café", "\"café\""),
        ] {
            assert_eq!(quote_ident(name), quoted, "{name}");
        }
        assert!(
            SQLITE_KEYWORDS.windows(2).all(|w| w[0] < w[1]),
            "sorted, for the binary search"
        );
        // Every keyword works as a table and column name once quoted.
        let conn = Connection::open_in_memory().unwrap();
        for kw in SQLITE_KEYWORDS {
            let q = quote_ident(&kw.to_ascii_lowercase());
            conn.execute_batch(&format!(
                "CREATE TABLE {q} ({q} INTEGER); INSERT INTO {q} ({q}) VALUES (1);"
            ))
            .unwrap();
            let v: i64 = conn
                .query_row(&format!("SELECT {q} FROM {q} WHERE {q} = 1"), [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(v, 1, "{kw}");
        }
    }

    #[test]
    fn a_view_that_never_ends_does_not_hang_opening_the_file() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (region TEXT, amount REAL); INSERT INTO t VALUES ('North', 1.0);
             CREATE VIEW forever AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i, 'x' || i AS label FROM n;",
        )
        .unwrap();
        let started = std::time::Instant::now();
        let s = introspect(&conn).unwrap();
        assert!(
            started.elapsed() < VIEW_READ_LIMIT * 3,
            "took {:?}",
            started.elapsed()
        );
        let forever = s.table("forever").unwrap();
        assert_eq!(forever.columns.len(), 2);
        // Too slow to read whole, it was read from its first rows: its types are known (a
        // computed column has no declared type), its row count is not.
        assert_eq!(forever.column("i").unwrap().kind, ColumnKind::Integer);
        assert_eq!(forever.row_count, -1);
        assert!(forever
            .columns
            .iter()
            .all(|c| c.values.is_empty() && c.index.is_empty()));
        assert_eq!(
            s.table("t").unwrap().column("region").unwrap().values,
            ["North"]
        );
    }
}
