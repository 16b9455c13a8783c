//! PostgreSQL as a read-only data source, through `tokio-postgres`.
//!
//! Every query runs as `BEGIN READ ONLY; SET LOCAL statement_timeout = …; <one statement via the
//! extended protocol>; ROLLBACK`. The extended protocol (`prepare`/`query`, never `simple_query`
//! or `batch_execute` for generated SQL) carries exactly one statement, so `COMMIT; DELETE …`
//! cannot escape the read-only transaction. READ ONLY does not stop superuser-only escapes
//! (`lo_import`, `COPY … TO`, `dblink_exec`): connect with a SELECT-only role (README). The client
//! also cancels on its own timer, in case the server ignores the statement timeout.
//!
//! Rows come back as `row_to_json` text, so every PostgreSQL type (numeric, dates, arrays)
//! arrives as a JSON value without per-type decoding.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use tokio::runtime::Runtime;
use tokio_postgres::Client;
use tokio_postgres_rustls::MakeRustlsConnect;

pub(crate) mod tls;

use super::{DataSource, Dialect};
use crate::executor::{ExecError, Limits, QueryResult};
use crate::guard::CheckedSql;
use crate::schema::{Column, ColumnKind, ForeignKey, ProfileKey, Schema, Table, MAX_LISTED_VALUES};

/// The longest a PostgreSQL schema profile is used: its change signal comes from statistics
/// counters, which other sessions report with a delay and which some servers do not keep.
pub const PROFILE_MAX_AGE: Duration = Duration::from_secs(600);

/// One round trip for what a profile is keyed on: who and where (database, schema, user), whether
/// the server counts row changes, the row-change and live-row counters of the schema's tables
/// (`pg_stat_user_tables`), and hashes of its columns, view definitions and constraints.
const PROFILE_KEY_SQL: &str = "SELECT current_database() || '/' || coalesce(current_schema(), '') || '/' || current_user,
       current_setting('track_counts') = 'on',
       (SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::text || '/' || coalesce(sum(n_live_tup), 0)::text
          FROM pg_catalog.pg_stat_user_tables WHERE schemaname = current_schema()),
       (SELECT md5(coalesce(string_agg(table_name || '.' || column_name || ':' || data_type, ',' ORDER BY table_name, ordinal_position), ''))
          FROM information_schema.columns WHERE table_schema = current_schema()),
       (SELECT md5(coalesce(string_agg(viewname || ':' || coalesce(definition, ''), ',' ORDER BY viewname), ''))
          FROM pg_catalog.pg_views WHERE schemaname = current_schema()),
       (SELECT md5(coalesce(string_agg(conrelid::regclass::text || '.' || conname || ':' || pg_get_constraintdef(oid), ',' ORDER BY conrelid::regclass::text, conname), ''))
          FROM pg_catalog.pg_constraint WHERE connamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema()))";

pub struct PgSource {
    runtime: Runtime,
    client: Client,
    /// Also used for cancel requests, which open a connection of their own.
    tls: MakeRustlsConnect,
    shown: String,
    /// Set when a query would not stop even when cancelled (the server was still planning it):
    /// the connection is busy until the server finishes, and nothing else is sent until then.
    stuck: AtomicBool,
}

/// How long the end of a stopped query (its cancel and ROLLBACK) may take before the connection
/// is left to the server and the person is told.
const WIND_DOWN: Duration = Duration::from_secs(2);

/// The URL with any password replaced, for messages and logs. A password may sit anywhere a
/// person mistypes it, so only what is known to be harmless is shown as typed: the scheme, the
/// user name (up to `:`, `/` or `;`), the host and port, the first path segment (the database),
/// and the values of the TLS and connection options. Everything else — the rest of the user info,
/// further path segments, other parameters' values, parameters without a value, a `#…` part or
/// anything after a space — is shown as `•••`.
pub fn redact(url: &str) -> String {
    const SHOWN: [&str; 10] = [
        "sslmode",
        "ssl-mode",
        "ssl_mode",
        "sslrootcert",
        "ssl-ca",
        "ssl_ca",
        "application_name",
        "connect_timeout",
        "options",
        "target_session_attrs",
    ];
    let (scheme, rest) = match url.find("://") {
        Some(i) => (&url[..i + 3], &url[i + 3..]),
        None => ("", url),
    };
    let (user, rest) = match rest.rfind('@') {
        Some(at) => {
            let info = &rest[..at];
            let name_end = info.find([':', '/', ';', ' ']).unwrap_or(info.len());
            let shown = if name_end < info.len() {
                format!("{}:•••@", &info[..name_end])
            } else {
                format!("{info}@")
            };
            (shown, &rest[at + 1..])
        }
        None => (String::new(), rest),
    };
    let mut tail = String::new();
    let rest = match rest.find([' ', '\t', '#']) {
        Some(i) => {
            tail = if rest[i..].starts_with('#') {
                "#•••"
            } else {
                " •••"
            }
            .to_string();
            &rest[..i]
        }
        None => rest,
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = match path.split_once('/') {
        Some((host, db)) => match db.split_once('/') {
            Some((db, _)) => format!("{host}/{db}/•••"),
            None => format!("{host}/{db}"),
        },
        None => path.to_string(),
    };
    let query: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if SHOWN.contains(&k.to_ascii_lowercase().as_str()) => format!("{k}={v}"),
            Some((k, _)) if !k.contains(':') && k.len() <= 40 => format!("{k}=•••"),
            _ => "•••".to_string(),
        })
        .collect();
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{}", query.join("&"))
    };
    format!("{scheme}{user}{path}{query}{tail}")
}

/// A `postgres://` URL for a connection form, without any password (that is passed separately,
/// so the URL can be stored and shown).
pub fn url(host: &str, port: u16, database: &str, user: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let host = host.trim();
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    format!(
        "postgres://{}@{host}:{port}/{}",
        enc(user.trim()),
        enc(database.trim())
    )
}

/// The URL without its password, for storing: the password never reaches the app database.
pub fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// An error and its causes, `outer: inner: innermost`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        next = cause.source();
    }
    out
}

/// Connection failures in words a person can act on.
fn plain_connect_error(raw: &str) -> String {
    if raw.contains("invalid peer certificate") {
        format!(
            "the server's certificate is not trusted ({}); give its CA with sslrootcert=…, or use sslmode=require to encrypt without checking it",
            raw.rsplit(": ").next().unwrap_or(raw)
        )
    } else if raw.contains("server does not support TLS") {
        "the server does not offer encryption (TLS), but this connection requires it".to_string()
    } else {
        raw.to_string()
    }
}

fn pg_err(e: &tokio_postgres::Error) -> ExecError {
    ExecError::Postgres(
        e.as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_string()),
    )
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl PgSource {
    /// Connects (5 s limit). The password comes from the URL or `PGPASSWORD`.
    pub fn connect(url: &str) -> Result<Self, ExecError> {
        Self::connect_with(url, None)
    }

    /// Connects with `password` (when given) instead of one in the URL or `PGPASSWORD`.
    pub fn connect_with(url: &str, password: Option<&str>) -> Result<Self, ExecError> {
        let shown = redact(url);
        let (url, mode, root) =
            tls::split_options(url).map_err(|why| ExecError::Connect(format!("{shown}: {why}")))?;
        let mut config: tokio_postgres::Config = url.parse().map_err(|_| {
            ExecError::Connect(format!("{shown} is not a valid PostgreSQL address"))
        })?;
        config.ssl_mode(mode.ssl_mode());
        let tls = MakeRustlsConnect::new(tls::client_config(mode, root)?);
        if let Some(pw) = password.filter(|p| !p.is_empty()) {
            config.password(pw);
        } else if config.get_password().is_none() {
            if let Ok(pw) = std::env::var("PGPASSWORD") {
                config.password(pw);
            }
        }
        // The password (from the URL, the form or PGPASSWORD) is masked in everything logged,
        // stored or shown from now on, wherever an error or a reply quotes it.
        if let Some(pw) = config.get_password() {
            crate::redact::remember(&String::from_utf8_lossy(pw));
        }
        config.connect_timeout(Duration::from_secs(5));
        config.application_name("plainsight");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ExecError::Connect(e.to_string()))?;
        let (client, connection) = runtime.block_on(config.connect(tls.clone())).map_err(|e| {
            let why = e.as_db_error().map_or_else(
                || plain_connect_error(&chain(&e)),
                |d| d.message().to_string(),
            );
            ExecError::Connect(format!("could not connect to {shown}: {why}"))
        })?;
        runtime.spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "PostgreSQL connection closed");
            }
        });
        Ok(Self {
            runtime,
            client,
            tls,
            shown,
            stuck: AtomicBool::new(false),
        })
    }

    async fn select(&self, sql: &str, limits: &Limits) -> Result<QueryResult, ExecError> {
        let c = &self.client;
        let inner = c.prepare(sql).await.map_err(|e| pg_err(&e))?;
        let columns: Vec<String> = inner
            .columns()
            .iter()
            .map(|col| col.name().to_string())
            .collect();
        // The closing parenthesis on its own line: a statement ending in a `--` comment must not
        // comment it out.
        let wrapped = format!(
            "SELECT row_to_json(q)::text FROM ({sql}\n) AS q LIMIT {}",
            limits.max_rows + 1
        );
        // Streamed, so the rows and bytes limits hold while reading: nothing past them is kept.
        let stream = c
            .query_raw(&wrapped, std::iter::empty::<&str>())
            .await
            .map_err(|e| pg_err(&e))?;
        let mut stream = std::pin::pin!(stream);
        let mut out = Vec::new();
        let (mut truncated, mut bytes) = (false, 0usize);
        while let Some(row) = stream.next().await {
            let row = row.map_err(|e| pg_err(&e))?;
            let text: String = row.try_get(0).map_err(|e| pg_err(&e))?;
            bytes += text.len() + 8;
            if out.len() == limits.max_rows || bytes > limits.max_bytes {
                if out.is_empty() {
                    return Err(ExecError::ResultTooBig(limits.max_bytes));
                }
                truncated = true;
                break;
            }
            let obj: serde_json::Map<String, Value> =
                serde_json::from_str(&text).map_err(|e| ExecError::Postgres(e.to_string()))?;
            out.push(
                columns
                    .iter()
                    .map(|n| obj.get(n).cloned().unwrap_or(Value::Null))
                    .collect(),
            );
        }
        Ok(QueryResult {
            truncated,
            columns,
            rows: out,
        })
    }

    /// Runs any text as one query behind the server-side walls only (read-only transaction,
    /// statement timeout, client-side cancel, row and byte caps), without the guard. The raw
    /// wall, for the tests that prove those walls hold on their own: the app never calls it; it
    /// runs SQL through [`DataSource::run`], which takes a [`CheckedSql`].
    pub fn run_raw(
        &self,
        sql: &str,
        limits: &Limits,
        cancel: Option<Arc<AtomicBool>>,
    ) -> Result<QueryResult, ExecError> {
        self.runtime.block_on(self.query_json(sql, limits, cancel))
    }

    async fn query_json(
        &self,
        sql: &str,
        limits: &Limits,
        cancel: Option<Arc<AtomicBool>>,
    ) -> Result<QueryResult, ExecError> {
        let c = &self.client;
        if self.stuck.load(Ordering::Relaxed) {
            // Has the server finished the query that would not stop? Its ROLLBACK answers then.
            match tokio::time::timeout(Duration::from_secs(1), c.batch_execute("ROLLBACK")).await {
                Ok(_) => self.stuck.store(false, Ordering::Relaxed),
                Err(_) => {
                    return Err(ExecError::Connect(format!(
                        "{} is still busy with an earlier query that did not stop when asked; try again in a few minutes, or open the database again",
                        self.shown
                    )))
                }
            }
        }
        // Our own fixed statements only: generated SQL never goes through the simple protocol.
        c.batch_execute(&format!(
            "BEGIN READ ONLY; SET LOCAL statement_timeout = {}",
            limits.timeout.as_millis()
        ))
        .await
        .map_err(|e| pg_err(&e))?;
        let watch = async {
            // Client-side guard: cancel on our own timer or when the user presses Stop.
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
        let outcome = tokio::select! {
            r = self.select(sql, limits) => r,
            e = watch => {
                let _ = tokio::time::timeout(WIND_DOWN, c.cancel_token().cancel_query(self.tls.clone())).await;
                Err(e)
            }
        };
        // Bounded: a server still planning a huge statement answers neither the cancel nor this
        // until it is done, and the person must not wait for it.
        if tokio::time::timeout(WIND_DOWN, c.batch_execute("ROLLBACK"))
            .await
            .is_err()
        {
            tracing::warn!(source = %self.shown, "PostgreSQL did not stop a cancelled query; the connection is left busy");
            self.stuck.store(true, Ordering::Relaxed);
        }
        outcome.map_err(|e| match e {
            ExecError::Postgres(m) if m.contains("statement timeout") => {
                ExecError::TimedOut(limits.timeout.as_millis())
            }
            ExecError::Postgres(m)
                if m.contains("read-only transaction") || m.contains("permission denied") =>
            {
                ExecError::NotAllowed(m)
            }
            other => other,
        })
    }

    async fn read_column(
        &self,
        table: &str,
        name: String,
        decl: String,
        primary_key: bool,
    ) -> Result<Column, ExecError> {
        let c = &self.client;
        let (tq, cq) = (quote(table), quote(&name));
        let mut kind = match decl.as_str() {
            "smallint" | "integer" | "bigint" => ColumnKind::Integer,
            "real" | "double precision" | "numeric" => ColumnKind::Real,
            d if d.starts_with("date") || d.starts_with("timestamp") => ColumnKind::Date,
            "text" | "character varying" | "character" => ColumnKind::Text,
            _ => ColumnKind::Other,
        };
        if kind == ColumnKind::Text {
            // Month strings ("2026-10") and ISO dates stored as text.
            let sample: Vec<String> = c
                .query(
                    &format!("SELECT {cq}::text FROM {tq} WHERE {cq} IS NOT NULL LIMIT 50"),
                    &[],
                )
                .await
                .map_err(|e| pg_err(&e))?
                .iter()
                .map(|r| r.get(0))
                .collect();
            kind = crate::schema::text_kind(&sample);
        }
        let values = if kind == ColumnKind::Text && !primary_key {
            let vals: Vec<String> = c
                .query(
                    &format!(
                        "SELECT DISTINCT {cq}::text FROM {tq} WHERE {cq} IS NOT NULL AND length({cq}::text) <= 60 ORDER BY 1 LIMIT {}",
                        MAX_LISTED_VALUES + 1
                    ),
                    &[],
                )
                .await
                .map_err(|e| pg_err(&e))?
                .iter()
                .map(|r| r.get(0))
                .collect();
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

    async fn read_schema(&self) -> Result<Schema, ExecError> {
        let c = &self.client;
        let tables = c
            .query(
                "SELECT table_name::text, table_type = 'VIEW' FROM information_schema.tables
                 WHERE table_schema = current_schema() ORDER BY table_name",
                &[],
            )
            .await
            .map_err(|e| pg_err(&e))?;
        let mut out = Vec::with_capacity(tables.len());
        for t in tables {
            let name: String = t.get(0);
            let is_view: bool = t.get(1);
            let cols = c
                .query(
                    "SELECT c.column_name::text, c.data_type::text,
                            EXISTS (SELECT 1 FROM information_schema.table_constraints tc
                                    JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name)
                                    WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_name = c.table_name
                                      AND tc.table_schema = c.table_schema AND k.column_name = c.column_name)
                     FROM information_schema.columns c
                     WHERE c.table_schema = current_schema() AND c.table_name = $1 ORDER BY c.ordinal_position",
                    &[&name],
                )
                .await
                .map_err(|e| pg_err(&e))?;
            let row_count: i64 = c
                .query_one(&format!("SELECT count(*) FROM {}", quote(&name)), &[])
                .await
                .map_err(|e| pg_err(&e))?
                .get(0);
            let mut columns = Vec::with_capacity(cols.len());
            for col in cols {
                columns.push(
                    self.read_column(&name, col.get(0), col.get(1), col.get(2))
                        .await?,
                );
            }
            let fks = c
                .query(
                    "SELECT kcu.column_name::text, ccu.table_name::text, ccu.column_name::text
                     FROM information_schema.table_constraints tc
                     JOIN information_schema.key_column_usage kcu USING (constraint_schema, constraint_name)
                     JOIN information_schema.constraint_column_usage ccu USING (constraint_schema, constraint_name)
                     WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema() AND tc.table_name = $1",
                    &[&name],
                )
                .await
                .map_err(|e| pg_err(&e))?;
            let foreign_keys = fks
                .iter()
                .map(|r| ForeignKey {
                    column: r.get(0),
                    table: r.get(1),
                    to_column: r.get(2),
                })
                .collect();
            out.push(Table {
                name,
                is_view,
                columns,
                foreign_keys,
                row_count,
                fixed_period: false,
                latest: None,
            });
        }
        Ok(Schema { tables: out })
    }
}

impl DataSource for PgSource {
    fn describe(&self) -> String {
        self.shown.clone()
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn schema(&self) -> Result<Schema, ExecError> {
        self.runtime.block_on(self.read_schema())
    }

    fn data_version(&self) -> Result<String, ExecError> {
        // Commit and row-change counters move with every write to this database.
        self.runtime
            .block_on(self.client.query_one(
                "SELECT (xact_commit + tup_inserted + tup_updated + tup_deleted)::text FROM pg_stat_database WHERE datname = current_database()",
                &[],
            ))
            .map(|r| r.get(0))
            .map_err(|e| pg_err(&e))
    }

    /// Kept simple, and bounded in time: the sum of `n_tup_ins + n_tup_upd + n_tup_del` (and
    /// of `n_live_tup`, which TRUNCATE resets) over the schema's tables, plus hashes of its
    /// columns, views and constraints, and at most [`PROFILE_MAX_AGE`] old. The counters are
    /// statistics: another session's write shows in them once that session reports its
    /// statistics (PostgreSQL 15+: at commit, at most about once a second, within seconds when
    /// idle), so for those seconds an older profile may still be used; a statistics reset only
    /// costs a fresh read. Without `track_counts` nothing is cached.
    fn profile_key(&self) -> Option<ProfileKey> {
        let row = self
            .runtime
            .block_on(self.client.query_one(PROFILE_KEY_SQL, &[]))
            .inspect_err(|e| tracing::info!(error = %e, "no profile key for this PostgreSQL source; its schema is read every time"))
            .ok()?;
        let counted: bool = row.try_get(1).ok()?;
        if !counted {
            return None;
        }
        let part = |i: usize| {
            row.try_get::<_, Option<String>>(i)
                .ok()
                .flatten()
                .unwrap_or_default()
        };
        Some(ProfileKey {
            identity: format!("{}#{}", without_password(&self.shown), part(0)),
            signal: format!(
                "rows {}; columns {}; views {}; constraints {}",
                part(2),
                part(3),
                part(4),
                part(5)
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
        self.run_raw(super::checked_for(sql, Dialect::Postgres)?, limits, cancel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_appear_in_messages() {
        assert_eq!(
            redact("postgres://shop:s3cret@127.0.0.1:5433/shop"),
            "postgres://shop:•••@127.0.0.1:5433/shop"
        );
        assert_eq!(
            redact("postgres://127.0.0.1/shop"),
            "postgres://127.0.0.1/shop"
        );
        assert_eq!(
            redact("postgres://shop@127.0.0.1/shop?password=s3cret&sslmode=require"),
            "postgres://shop@127.0.0.1/shop?password=•••&sslmode=require"
        );
        assert_eq!(
            redact("postgres://127.0.0.1/shop?sslpassword=x"),
            "postgres://127.0.0.1/shop?sslpassword=•••"
        );
        assert_eq!(
            redact("mysql://reader@127.0.0.1/shop?pass=s3cret&pwd=s3cret"),
            "mysql://reader@127.0.0.1/shop?pass=•••&pwd=•••"
        );
        assert_eq!(
            redact("mysql://reader@127.0.0.1/shop#s3cret"),
            "mysql://reader@127.0.0.1/shop#•••"
        );
        assert_eq!(
            redact("mysql://reader:s3#cret@127.0.0.1/shop"),
            "mysql://reader:•••@127.0.0.1/shop"
        );
        // Wherever a password is mistyped into an address, it is not shown.
        for typo in [
            "mysql://reader@127.0.0.1/shop?s3cret",
            "mysql://reader@127.0.0.1/shop/s3cret",
            "mysql://reader@127.0.0.1/shop s3cret",
            "mysql://reader@127.0.0.1/shop?pw=s3cret",
            "mysql://reader@127.0.0.1/shop?password:s3cret",
            "mysql://reader/s3cret@127.0.0.1/shop",
            "mysql://reader;s3cret@127.0.0.1/shop",
        ] {
            let shown = redact(typo);
            assert!(
                !shown.contains("s3cret") && shown.contains("127.0.0.1"),
                "{shown}"
            );
        }
        assert_eq!(
            redact("postgres://r@db:5433/shop?sslmode=verify-full&sslrootcert=/ca.crt"),
            "postgres://r@db:5433/shop?sslmode=verify-full&sslrootcert=/ca.crt"
        );
        let err = PgSource::connect("postgres://shop:s3cret@127.0.0.1:1/shop")
            .err()
            .unwrap()
            .to_string();
        assert!(
            !err.contains("s3cret") && err.contains("could not connect"),
            "{err}"
        );
    }

    #[test]
    fn form_urls_are_escaped_and_stored_without_passwords() {
        assert_eq!(
            url(" db.example.com ", 5432, "my shop", "ana@work"),
            "postgres://ana%40work@db.example.com:5432/my%20shop"
        );
        assert_eq!(
            url("::1", 5433, "shop", "reader"),
            "postgres://reader@[::1]:5433/shop"
        );
        let parsed: tokio_postgres::Config = url("127.0.0.1", 5433, "my shop", "ana@work")
            .parse()
            .unwrap();
        assert_eq!(
            (parsed.get_user(), parsed.get_dbname()),
            (Some("ana@work"), Some("my shop"))
        );
        assert_eq!(
            without_password("postgres://shop:s3cret@127.0.0.1:5433/shop"),
            "postgres://shop@127.0.0.1:5433/shop"
        );
        assert_eq!(
            without_password("postgres://shop@127.0.0.1/shop"),
            "postgres://shop@127.0.0.1/shop"
        );
    }
}
