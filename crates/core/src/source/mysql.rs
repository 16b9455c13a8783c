//! MariaDB and MySQL as a read-only data source, through `mysql_async` (rustls with ring).
//!
//! Every query runs as `START TRANSACTION READ ONLY`, a session statement time limit
//! (`max_statement_time` in seconds on MariaDB, `max_execution_time` in milliseconds on MySQL)
//! and a row cap (`sql_select_limit`), then exactly one statement through the binary protocol
//! (a prepared statement, which the server parses as one statement whatever the text holds), then
//! `ROLLBACK`. The client also watches the clock and the Stop button: when either fires it sends
//! `KILL QUERY` for this connection from a second one, and if the server still does not answer,
//! drops the connection (a new one is opened for the next question).
//!
//! A read-only transaction does not stop everything: `LOAD_FILE`, `SELECT … INTO OUTFILE`, a
//! stored procedure's own writes and `GET_LOCK` need privileges a SELECT-only account lacks, and
//! the guard refuses them before they reach the server (README: connect with a SELECT-only
//! account). `LOAD DATA LOCAL` requests from the server are refused by the client: no local-file
//! handler is installed.
//!
//! Rows arrive as typed binary values and are turned into JSON here: integers and floats as
//! numbers, DECIMAL as a number (its exact text when it does not fit a double), dates as ISO text.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mysql_async::consts::ColumnType;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, SslOpts};
use serde_json::Value;
use tokio::runtime::Runtime;

use super::postgres::tls::{self, TlsMode};
use super::postgres::{redact, without_password, PROFILE_MAX_AGE};
use super::{DataSource, Dialect};
use crate::executor::{ExecError, Limits, QueryResult};
use crate::guard::CheckedSql;
use crate::schema::{Column, ColumnKind, ForeignKey, ProfileKey, Schema, Table, MAX_LISTED_VALUES};

/// How long a stopped query's KILL and ROLLBACK may take before the connection is dropped.
const WIND_DOWN: Duration = Duration::from_secs(2);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// True for the addresses this source opens: `mysql://` and `mariadb://`.
pub fn is_url(spec: &str) -> bool {
    spec.starts_with("mysql://") || spec.starts_with("mariadb://")
}

/// A `mysql://` URL for a connection form, without any password (that is passed separately and
/// kept in the keychain, so the URL can be stored and shown).
pub fn url(host: &str, port: u16, database: &str, user: &str) -> String {
    super::postgres::url(host, port, database, user).replacen("postgres://", "mysql://", 1)
}

pub struct MySource {
    runtime: Runtime,
    opts: Opts,
    /// None after a query that would not stop: the next query connects again.
    conn: Mutex<Option<Conn>>,
    mariadb: bool,
    shown: String,
}

fn my_err(e: &mysql_async::Error) -> ExecError {
    match e {
        mysql_async::Error::Server(s) => match s.code {
            // Statement time limit (MariaDB 1969, MySQL 3024) is mapped by the caller, which knows
            // the limit; read-only transaction (1792) and missing privileges (1142, 1044, 1227).
            1792 | 1142 | 1143 | 1044 | 1227 | 1370 => ExecError::NotAllowed(s.message.clone()),
            _ => ExecError::Mysql(s.message.clone()),
        },
        other => ExecError::Mysql(other.to_string()),
    }
}

/// The server's message for a statement stopped by its time limit or by `KILL QUERY`.
fn interrupted(e: &ExecError) -> bool {
    matches!(e, ExecError::Mysql(m) if m.contains("max_statement_time") || m.contains("maximum statement execution time") || m.contains("interrupted"))
}

fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

fn connect_error(shown: &str, e: &mysql_async::Error) -> ExecError {
    let why = match e {
        mysql_async::Error::Server(s) => s.message.clone(),
        other => {
            let raw = other.to_string();
            if raw.contains("invalid peer certificate") || raw.contains("UnknownIssuer") {
                "the server's certificate is not trusted; give its CA with ssl-ca=…, or use ssl-mode=REQUIRED to encrypt without checking it".to_string()
            } else if raw.contains("NotValidForName") || raw.contains("not valid for name") {
                "the server's certificate does not name this host; connect by the name it was issued for, or use ssl-mode=VERIFY_CA".to_string()
            } else if matches!(
                other,
                mysql_async::Error::Driver(mysql_async::DriverError::NoClientSslFlagFromServer)
            ) {
                "the server does not offer encryption (TLS), but this connection requires it"
                    .to_string()
            } else {
                raw
            }
        }
    };
    ExecError::Connect(format!("could not connect to {shown}: {why}"))
}

impl MySource {
    /// Connects (5 s limit). The password comes from the URL or `MYSQL_PWD`.
    pub fn connect(url: &str) -> Result<Self, ExecError> {
        Self::connect_with(url, None)
    }

    /// Connects with `password` (when given) instead of one in the URL or `MYSQL_PWD`.
    /// `ssl-mode` (`DISABLED`, `PREFERRED` by default, `REQUIRED`, `VERIFY_CA`,
    /// `VERIFY_IDENTITY`, or libpq's `sslmode` names) and `ssl-ca=<file>` are read from the URL.
    pub fn connect_with(url: &str, password: Option<&str>) -> Result<Self, ExecError> {
        let shown = redact(url);
        let url = url.replacen("mariadb://", "mysql://", 1);
        let (url, mode, root) = tls::split_options(&url)
            .map_err(|why| ExecError::Connect(format!("{shown}: {why}")))?;
        let parsed = Opts::from_url(&url).map_err(|e| {
            ExecError::Connect(format!(
                "{shown} is not a valid MariaDB/MySQL address ({e})"
            ))
        })?;
        if parsed.db_name().is_none() {
            return Err(ExecError::Connect(format!(
                "{shown} names no database; add it after the port, as in mysql://user@host:3306/shop"
            )));
        }
        let mut builder = OptsBuilder::from_opts(parsed.clone())
            .stmt_cache_size(Some(0))
            .prefer_socket(false);
        let password = password
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .or_else(|| parsed.pass().map(str::to_string))
            .or_else(|| std::env::var("MYSQL_PWD").ok());
        if let Some(pw) = &password {
            // Masked in everything logged, stored or shown from now on.
            crate::redact::remember(pw);
            builder = builder.pass(Some(pw.clone()));
        }
        let ssl = |verify: bool, names: bool| {
            let mut ssl = SslOpts::default()
                .with_danger_accept_invalid_certs(!verify)
                .with_danger_skip_domain_validation(!names);
            if let Some(root) = &root {
                ssl = ssl.with_root_certs(vec![root.clone().into()]);
            }
            ssl
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ExecError::Connect(e.to_string()))?;
        let open = |opts: Opts| {
            runtime.block_on(async {
                match tokio::time::timeout(CONNECT_TIMEOUT, Conn::new(opts)).await {
                    Ok(r) => r.map_err(|e| connect_error(&shown, &e)),
                    Err(_) => Err(ExecError::Connect(format!(
                        "could not connect to {shown}: no answer within {} s",
                        CONNECT_TIMEOUT.as_secs()
                    ))),
                }
            })
        };
        let (opts, conn) = match mode {
            TlsMode::Disable => {
                let opts: Opts = builder.ssl_opts(None).into();
                (opts.clone(), open(opts)?)
            }
            TlsMode::Prefer => {
                // Encrypt when the server offers TLS, without checking its certificate (as
                // libpq's and MySQL's own clients do); plain only when it offers none.
                let tls: Opts = builder.clone().ssl_opts(Some(ssl(false, false))).into();
                match open(tls.clone()) {
                    Ok(conn) => (tls, conn),
                    Err(ExecError::Connect(m)) if m.contains("does not offer encryption") => {
                        let plain: Opts = builder.ssl_opts(None).into();
                        (plain.clone(), open(plain)?)
                    }
                    Err(e) => return Err(e),
                }
            }
            TlsMode::Require => {
                let opts: Opts = builder.ssl_opts(Some(ssl(false, false))).into();
                (opts.clone(), open(opts)?)
            }
            TlsMode::VerifyCa => {
                let opts: Opts = builder.ssl_opts(Some(ssl(true, false))).into();
                (opts.clone(), open(opts)?)
            }
            TlsMode::VerifyFull => {
                let opts: Opts = builder.ssl_opts(Some(ssl(true, true))).into();
                (opts.clone(), open(opts)?)
            }
        };
        let mut source = Self {
            runtime,
            opts,
            conn: Mutex::new(Some(conn)),
            mariadb: false,
            shown,
        };
        let version = source.fixed_rows("SELECT VERSION()")?;
        source.mariadb = version
            .first()
            .and_then(|r| r.first())
            .is_some_and(|v| v.contains("MariaDB"));
        Ok(source)
    }

    /// The open connection, or a new one when the last query left none.
    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Option<Conn>>, ExecError> {
        // Timers are made, and a connection may be dropped, outside `block_on`: in its context.
        let _context = self.runtime.enter();
        let mut guard = self
            .conn
            .lock()
            .map_err(|_| ExecError::Mysql("the connection was lost".into()))?;
        if guard.is_none() {
            let conn = self
                .runtime
                .block_on(tokio::time::timeout(
                    CONNECT_TIMEOUT,
                    Conn::new(self.opts.clone()),
                ))
                .map_err(|_| {
                    ExecError::Connect(format!("could not connect to {}: no answer", self.shown))
                })?
                .map_err(|e| connect_error(&self.shown, &e))?;
            *guard = Some(conn);
        }
        Ok(guard)
    }

    /// Our own fixed statements (schema reads), as text rows; NULL as "".
    fn fixed_rows(&self, sql: &str) -> Result<Vec<Vec<String>>, ExecError> {
        let mut guard = self.conn()?;
        let conn = guard.as_mut().expect("connected above");
        let rows: Vec<mysql_async::Row> = self
            .runtime
            .block_on(conn.query(sql))
            .map_err(|e| my_err(&e))?;
        Ok(rows
            .into_iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| match row.as_ref(i) {
                        Some(mysql_async::Value::Bytes(b)) => {
                            String::from_utf8_lossy(b).into_owned()
                        }
                        Some(mysql_async::Value::NULL) | None => String::new(),
                        Some(v) => v.as_sql(true).trim_matches('\'').to_string(),
                    })
                    .collect()
            })
            .collect())
    }

    /// Runs any text as one query behind the server-side walls only (read-only transaction,
    /// statement time limit, row cap, client-side `KILL QUERY`, byte cap), without the guard.
    /// The raw wall, for the tests that prove those walls hold on their own: the app never
    /// calls it; it runs SQL through [`DataSource::run`], which takes a [`CheckedSql`].
    pub fn run_raw(
        &self,
        sql: &str,
        limits: &Limits,
        cancel: Option<Arc<AtomicBool>>,
    ) -> Result<QueryResult, ExecError> {
        let _context = self.runtime.enter();
        let mut guard = self.conn()?;
        let conn = guard.as_mut().expect("connected above");
        let id = conn.id();
        let limit = if self.mariadb {
            // Seconds, with fractions.
            format!(
                "SET SESSION max_statement_time = {:.3}",
                limits.timeout.as_secs_f64()
            )
        } else {
            format!(
                "SET SESSION max_execution_time = {}",
                limits.timeout.as_millis()
            )
        };
        let setup = format!(
            "{limit}; SET SESSION sql_select_limit = {}; START TRANSACTION READ ONLY",
            limits.max_rows + 1
        );
        let outcome = self.runtime.block_on(async {
            conn.query_drop(setup).await.map_err(|e| my_err(&e))?;
            let watch = async move {
                let deadline =
                    tokio::time::Instant::now() + limits.timeout + Duration::from_millis(500);
                loop {
                    if cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)) {
                        return ExecError::Cancelled;
                    }
                    if tokio::time::Instant::now() >= deadline {
                        return ExecError::TimedOut(limits.timeout.as_millis());
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            };
            tokio::select! {
                r = select(conn, sql, limits) => r,
                e = watch => Err(e),
            }
        });
        let stopped_by_us = matches!(&outcome, Err(ExecError::TimedOut(_) | ExecError::Cancelled));
        if stopped_by_us {
            // Stop it on the server from a second connection; this one is mid-result, so it is
            // dropped either way and the next question connects again.
            let opts = self.opts.clone();
            let _ = self
                .runtime
                .block_on(tokio::time::timeout(WIND_DOWN, async move {
                    let mut killer = Conn::new(opts).await?;
                    killer.query_drop(format!("KILL QUERY {id}")).await?;
                    killer.disconnect().await
                }));
            *guard = None;
        } else if let Some(conn) = guard.as_mut() {
            let ended = self
                .runtime
                // A named lock (GET_LOCK) outlives the transaction: released too, whatever ran.
                .block_on(tokio::time::timeout(
                    WIND_DOWN,
                    conn.query_drop("ROLLBACK; DO RELEASE_ALL_LOCKS()"),
                ));
            if !matches!(ended, Ok(Ok(()))) {
                *guard = None;
            }
        }
        outcome.map_err(|e| {
            if interrupted(&e) {
                ExecError::TimedOut(limits.timeout.as_millis())
            } else {
                e
            }
        })
    }

    async fn read_schema(&self, conn: &mut Conn) -> Result<Schema, mysql_async::Error> {
        let tables: Vec<(String, String)> = conn
            .query(
                "SELECT CAST(table_name AS CHAR), CAST(table_type AS CHAR) FROM information_schema.tables
                 WHERE table_schema = DATABASE() AND table_type IN ('BASE TABLE', 'VIEW') ORDER BY table_name",
            )
            .await?;
        let mut out = Vec::with_capacity(tables.len());
        for (name, kind) in tables {
            let cols: Vec<(String, String, String)> = conn
                .exec(
                    "SELECT CAST(column_name AS CHAR), CAST(data_type AS CHAR), CAST(column_key AS CHAR)
                     FROM information_schema.columns
                     WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position",
                    (name.clone(),),
                )
                .await?;
            let row_count: Option<i64> = conn
                .query_first(format!("SELECT COUNT(*) FROM {}", quote(&name)))
                .await?;
            let mut columns = Vec::with_capacity(cols.len());
            for (col, decl, key) in cols {
                columns.push(read_column(conn, &name, col, decl, key == "PRI").await?);
            }
            let fks: Vec<(String, String, String)> = conn
                .exec(
                    "SELECT CAST(column_name AS CHAR), CAST(referenced_table_name AS CHAR), CAST(referenced_column_name AS CHAR)
                     FROM information_schema.key_column_usage
                     WHERE table_schema = DATABASE() AND table_name = ? AND referenced_table_name IS NOT NULL
                     ORDER BY ordinal_position",
                    (name.clone(),),
                )
                .await?;
            out.push(Table {
                name,
                is_view: kind == "VIEW",
                columns,
                foreign_keys: fks
                    .into_iter()
                    .map(|(column, table, to_column)| ForeignKey {
                        column,
                        table,
                        to_column,
                    })
                    .collect(),
                row_count: row_count.unwrap_or(0),
                fixed_period: false,
                latest: None,
            });
        }
        Ok(Schema { tables: out })
    }
}

async fn read_column(
    conn: &mut Conn,
    table: &str,
    name: String,
    decl: String,
    primary_key: bool,
) -> Result<Column, mysql_async::Error> {
    let (tq, cq) = (quote(table), quote(&name));
    let mut kind = match decl.to_ascii_lowercase().as_str() {
        "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" | "year" => {
            ColumnKind::Integer
        }
        "decimal" | "numeric" | "float" | "double" | "real" => ColumnKind::Real,
        "date" | "datetime" | "timestamp" => ColumnKind::Date,
        "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" | "enum" => {
            ColumnKind::Text
        }
        _ => ColumnKind::Other,
    };
    if kind == ColumnKind::Text {
        // Month strings ("2026-10") and ISO dates stored as text.
        let sample: Vec<String> = conn
            .query(format!(
                "SELECT CAST({cq} AS CHAR) FROM {tq} WHERE {cq} IS NOT NULL LIMIT 50"
            ))
            .await?;
        kind = crate::schema::text_kind(&sample);
    }
    let values = if kind == ColumnKind::Text && !primary_key {
        let vals: Vec<String> = conn
            .query(format!(
                "SELECT DISTINCT CAST({cq} AS CHAR) FROM {tq} WHERE {cq} IS NOT NULL AND CHAR_LENGTH({cq}) <= 60 ORDER BY 1 LIMIT {}",
                MAX_LISTED_VALUES + 1
            ))
            .await?;
        if vals.len() > MAX_LISTED_VALUES {
            Vec::new()
        } else {
            vals
        }
    } else {
        Vec::new()
    };
    Ok(Column {
        name,
        decl_type: decl,
        kind,
        primary_key,
        values,
        index: Vec::new(),
    })
}

/// The statement through the binary protocol, its rows as JSON, streamed so the byte cap holds
/// while reading (the row cap is the session's `sql_select_limit`, plus this count).
async fn select(conn: &mut Conn, sql: &str, limits: &Limits) -> Result<QueryResult, ExecError> {
    let mut result = conn.exec_iter(sql, ()).await.map_err(|e| my_err(&e))?;
    let columns_meta = result.columns();
    let columns: Vec<String> = columns_meta
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|c| c.name_str().into_owned())
        .collect();
    let types: Vec<(ColumnType, bool)> = columns_meta
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|c| (c.column_type(), c.character_set() == 63))
        .collect();
    let mut rows = Vec::new();
    let (mut truncated, mut bytes) = (false, 0usize);
    while let Some(row) = result.next().await.map_err(|e| my_err(&e))? {
        let values: Vec<Value> = (0..row.len())
            .map(|i| to_json(row.as_ref(i), types.get(i).copied()))
            .collect();
        bytes += values
            .iter()
            .map(|v| v.to_string().len() + 1)
            .sum::<usize>()
            + 8;
        if rows.len() == limits.max_rows || bytes > limits.max_bytes {
            if rows.is_empty() {
                return Err(ExecError::ResultTooBig(limits.max_bytes));
            }
            truncated = true;
            break;
        }
        rows.push(values);
    }
    if truncated {
        // The rest is not read: the caller's ROLLBACK fails on the unread result and the
        // connection is dropped, which ends the statement on the server.
        drop(result);
    }
    Ok(QueryResult {
        truncated,
        columns,
        rows,
    })
}

fn to_json(v: Option<&mysql_async::Value>, ty: Option<(ColumnType, bool)>) -> Value {
    use mysql_async::Value as V;
    let Some(v) = v else { return Value::Null };
    match v {
        V::NULL => Value::Null,
        V::Int(i) => Value::from(*i),
        V::UInt(u) => Value::from(*u),
        V::Float(f) => Value::from(f64::from(*f)),
        V::Double(f) => Value::from(*f),
        V::Bytes(b) => {
            let text = String::from_utf8_lossy(b);
            match ty {
                Some((ColumnType::MYSQL_TYPE_NEWDECIMAL | ColumnType::MYSQL_TYPE_DECIMAL, _)) => {
                    text.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .map_or_else(|| Value::from(text.into_owned()), Value::from)
                }
                Some((_, true)) if std::str::from_utf8(b).is_err() => {
                    Value::from(format!("({} bytes of binary data)", b.len()))
                }
                _ => Value::from(text.into_owned()),
            }
        }
        V::Date(y, mo, d, h, mi, s, us) => {
            let date_only = matches!(ty, Some((ColumnType::MYSQL_TYPE_DATE, _)))
                || (*h, *mi, *s, *us) == (0, 0, 0, 0);
            if date_only {
                Value::from(format!("{y:04}-{mo:02}-{d:02}"))
            } else if *us == 0 {
                Value::from(format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"))
            } else {
                Value::from(format!(
                    "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{us:06}"
                ))
            }
        }
        V::Time(neg, d, h, mi, s, _) => {
            let hours = u32::from(*h) + d * 24;
            Value::from(format!(
                "{}{hours:02}:{mi:02}:{s:02}",
                if *neg { "-" } else { "" }
            ))
        }
    }
}

impl DataSource for MySource {
    fn describe(&self) -> String {
        self.shown.clone()
    }

    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }

    fn schema(&self) -> Result<Schema, ExecError> {
        let mut guard = self.conn()?;
        let conn = guard.as_mut().expect("connected above");
        self.runtime
            .block_on(self.read_schema(conn))
            .map_err(|e| my_err(&e))
    }

    fn data_version(&self) -> Result<String, ExecError> {
        Ok(self.change_signal()?.join("/"))
    }

    /// The tables' last-change times and estimated row counts (InnoDB keeps both in memory, so
    /// a write shows at once, but a restart forgets the times) and a hash of the columns, at
    /// most [`PROFILE_MAX_AGE`] old.
    fn profile_key(&self) -> Option<ProfileKey> {
        let parts = self
            .change_signal()
            .inspect_err(|e| tracing::info!(error = %e, "no profile key for this MariaDB/MySQL source; its schema is read every time"))
            .ok()?;
        Some(ProfileKey {
            identity: without_password(&self.shown),
            signal: format!(
                "changed {}; rows {}; tables {}; columns {}",
                parts[0], parts[1], parts[2], parts[3]
            ),
            max_age: Some(PROFILE_MAX_AGE),
        })
    }

    fn run(
        &self,
        sql: &CheckedSql,
        limits: &Limits,
        cancel: Option<Arc<AtomicBool>>,
    ) -> Result<QueryResult, ExecError> {
        self.run_raw(super::checked_for(sql, Dialect::Mysql)?, limits, cancel)
    }
}

impl MySource {
    fn change_signal(&self) -> Result<Vec<String>, ExecError> {
        let rows = self.fixed_rows(
            "SELECT COALESCE(CAST(MAX(t.update_time) AS CHAR), ''), COALESCE(CAST(SUM(t.table_rows) AS CHAR), ''), CAST(COUNT(*) AS CHAR),
                    (SELECT MD5(COALESCE(GROUP_CONCAT(CONCAT(c.table_name, '.', c.column_name, ':', c.column_type) ORDER BY c.table_name, c.ordinal_position SEPARATOR ','), ''))
                       FROM information_schema.columns c WHERE c.table_schema = DATABASE())
             FROM information_schema.tables t WHERE t.table_schema = DATABASE()",
        )?;
        rows.into_iter()
            .next()
            .filter(|r| r.len() == 4)
            .ok_or_else(|| ExecError::Mysql("no change signal".into()))
    }

    /// True when the server is MariaDB (else MySQL).
    pub fn is_mariadb(&self) -> bool {
        self.mariadb
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_urls_and_messages_never_carry_the_password() {
        assert_eq!(
            url("db.example.com", 3306, "my shop", "ana@work"),
            "mysql://ana%40work@db.example.com:3306/my%20shop"
        );
        assert!(is_url("mariadb://reader@127.0.0.1/shop") && !is_url("postgres://x/y"));
        let err = MySource::connect("mysql://shop:s3cret@127.0.0.1:1/shop")
            .err()
            .expect("nothing listens on port 1")
            .to_string();
        assert!(
            !err.contains("s3cret") && err.contains("could not connect"),
            "{err}"
        );
        let err = MySource::connect("mysql://shop@127.0.0.1:1")
            .err()
            .expect("no database")
            .to_string();
        assert!(err.contains("names no database"), "{err}");
    }

    #[test]
    fn values_become_json_as_people_read_them() {
        use mysql_async::Value as V;
        let dec = Some((ColumnType::MYSQL_TYPE_NEWDECIMAL, false));
        assert_eq!(to_json(Some(&V::Bytes(b"12.50".to_vec())), dec), 12.5);
        assert_eq!(
            to_json(Some(&V::Date(2026, 11, 26, 0, 0, 0, 0)), None),
            "2026-11-26"
        );
        assert_eq!(
            to_json(Some(&V::Date(2026, 11, 26, 9, 5, 0, 0)), None),
            "2026-11-26 09:05:00"
        );
        assert_eq!(to_json(Some(&V::Int(-3)), None), -3);
        assert_eq!(
            to_json(
                Some(&V::Bytes(vec![0xff, 0x00])),
                Some((ColumnType::MYSQL_TYPE_BLOB, true))
            ),
            "(2 bytes of binary data)"
        );
        assert_eq!(to_json(Some(&V::NULL), None), Value::Null);
    }
}
