//! `plainsight-duckdb-worker FILE MEMORY_MB THREADS`: one large CSV or Parquet file, opened in
//! place through DuckDB and shown as one table named after the file.
//!
//! Locked down before it reads a request: an in-memory database with no temporary directory (it
//! spills nothing; files it could write are limited to 0 bytes, and its address space too),
//! `allowed_paths` = that one file, `enable_external_access = false` (no other file, no network,
//! no `ATTACH`, no `COPY … TO`), extensions neither installed nor loaded, a memory limit, and
//! `lock_configuration = true`, so no statement can change any of it. The host's guard checks
//! every statement first; these are the walls behind it.
//!
//! Requests, one JSON line each on stdin: `{"op": "schema"}` answers
//! `{"ok": {"table": …, "row_count": n, "columns": [{"name", "type", "values"}]}}`;
//! `{"op": "run", "sql": …, "max_rows": n, "max_bytes": n, "timeout_ms": n}` answers
//! `{"ok": {"columns": […], "rows": [[…]], "truncated": bool}}`. A failure answers
//! `{"err": {"kind": "timed_out" | "not_allowed" | "sql" | "open", "message": …}}`. The host
//! kills the process at its own deadline too, so a statement that ignores the interrupt cannot
//! hang it.

use std::io::{BufRead, Write};
use std::sync::mpsc;
use std::time::Duration;

use duckdb::types::ValueRef;
use duckdb::Connection;
use rustix::process::{setrlimit, Resource, Rlimit};
use serde_json::{json, Value};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(file), Some(memory_mb), Some(threads)) = (args.first(), args.get(1), args.get(2))
    else {
        eprintln!("usage: plainsight-duckdb-worker FILE MEMORY_MB THREADS");
        std::process::exit(2);
    };
    let stdout = std::io::stdout();
    let reply = |v: Value| {
        let mut out = stdout.lock();
        let _ = writeln!(out, "{v}");
        let _ = out.flush();
    };
    let opened = limit_process(memory_mb).and_then(|()| open(file, memory_mb, threads));
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let Ok(request) = serde_json::from_str::<Value>(&line) else {
            reply(error("sql", "the request could not be read"));
            continue;
        };
        let (conn, table) = match &opened {
            Ok(pair) => pair,
            Err(message) => {
                reply(error("open", message));
                continue;
            }
        };
        let answer = match request["op"].as_str() {
            Some("schema") => schema(
                conn,
                table,
                request["max_values"].as_u64().unwrap_or(50) as usize,
            ),
            Some("run") => run(conn, table, &request),
            _ => Err(("sql", "unknown request".to_string())),
        };
        reply(match answer {
            Ok(ok) => json!({ "ok": ok }),
            Err((kind, message)) => error(kind, &message),
        });
    }
}

fn error(kind: &str, message: &str) -> Value {
    json!({ "err": { "kind": kind, "message": message } })
}

/// The table's name: the file's name without its extension, in lower case, letters, digits and
/// underscores only.
fn table_name(file: &str) -> String {
    let stem = std::path::Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let stem = stem.strip_suffix(".csv").unwrap_or(&stem).to_string();
    let mut name: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("t_{name}");
    }
    name
}

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The process's own walls, beyond DuckDB's settings: its address space (DuckDB's
/// `memory_limit` covers its buffers, not what one expression builds: `lpad('x', 2e9, 'y')` took
/// 4 GB against a 1 GB limit) and the size of any file it could write (none: 0 bytes).
fn limit_process(memory_mb: &str) -> Result<(), String> {
    let memory: u64 = memory_mb.parse().map_err(|_| "bad memory limit")?;
    // DuckDB's own limit, plus room for its code, threads' stacks and allocator reserves.
    let address_space = (memory * 3 + 1024) << 20;
    for (resource, bytes) in [(Resource::As, address_space), (Resource::Fsize, 0)] {
        setrlimit(
            resource,
            Rlimit {
                current: Some(bytes),
                maximum: Some(bytes),
            },
        )
        .map_err(|e| format!("cannot limit the worker's {resource:?}: {e}"))?;
    }
    Ok(())
}

fn open(file: &str, memory_mb: &str, threads: &str) -> Result<(Connection, String), String> {
    let memory: u64 = memory_mb.parse().map_err(|_| "bad memory limit")?;
    let threads: u64 = threads.parse().map_err(|_| "bad thread count")?;
    let lower = file.to_lowercase();
    let path = literal(file);
    let scan = if lower.ends_with(".parquet") || lower.ends_with(".pq") {
        format!("read_parquet({path})")
    } else {
        // The spellings of "no value" that Plainsight's importer reads as empty cells
        // (`NA`, `N/A`, `NULL`, `None`, `NaN`, `#N/A`, `-`), so a numeric column with gaps stays
        // numeric as it does when imported.
        let nulls = [
            "", "NA", "na", "Na", "N/A", "n/a", "NULL", "null", "Null", "None", "none", "NONE",
            "NaN", "nan", "NAN", "#N/A", "-",
        ]
        .map(literal)
        .join(", ");
        // No BOOLEAN among the guessed types: a Yes/No column stays text with its two values
        // listed, as an import keeps it, so "smokers" still finds `smoker = 'Yes'`.
        format!(
            "read_csv({path}, nullstr = [{nulls}], auto_type_candidates = ['BIGINT', 'DOUBLE', 'TIME', 'DATE', 'TIMESTAMP', 'VARCHAR'])"
        )
    };
    let table = table_name(file);
    let conn = Connection::open_in_memory().map_err(|e| e.to_string())?;
    conn.execute_batch(&format!(
        "SET temp_directory = '';
         SET max_temp_directory_size = '0B';
         SET autoinstall_known_extensions = false;
         SET autoload_known_extensions = false;
         SET memory_limit = '{memory}MB';
         SET threads = {threads};
         SET allowed_paths = [{path}];
         SET enable_external_access = false;
         CREATE VIEW \"{table}\" AS SELECT * FROM {scan};
         SET lock_configuration = true;"
    ))
    .map_err(|e| e.to_string())?;
    Ok((conn, table))
}

type Failure = (&'static str, String);

fn failure(e: &duckdb::Error) -> Failure {
    let message = e.to_string();
    let kind = if message.contains("INTERRUPT") || message.contains("Interrupted") {
        "timed_out"
    } else if message.contains("Out of Memory") {
        "out_of_memory"
    } else if message.contains("Permission Error")
        || message.contains("configuration has been locked")
        || message.contains("disabled by configuration")
        || message.contains("lock_configuration")
    {
        "not_allowed"
    } else {
        "sql"
    };
    (kind, message)
}

/// Runs `sql` with an interrupt at `timeout`: a watchdog thread waits for the query to end and
/// interrupts it if it has not.
fn with_timeout<T>(conn: &Connection, timeout: Duration, f: impl FnOnce() -> T) -> T {
    let handle = conn.interrupt_handle();
    let (done, finished) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if finished.recv_timeout(timeout) == Err(mpsc::RecvTimeoutError::Timeout) {
            handle.interrupt();
        }
    });
    let out = f();
    let _ = done.send(());
    let _ = watchdog.join();
    out
}

fn run(conn: &Connection, table: &str, request: &Value) -> Result<Value, Failure> {
    let sql = request["sql"]
        .as_str()
        .ok_or(("sql", "no SQL".to_string()))?;
    let max_rows = request["max_rows"].as_u64().unwrap_or(10_000) as usize;
    let max_bytes = request["max_bytes"].as_u64().unwrap_or(32 << 20) as usize;
    let timeout = Duration::from_millis(request["timeout_ms"].as_u64().unwrap_or(30_000));
    let functions: Option<Vec<String>> = request["functions"].as_array().map(|names| {
        names
            .iter()
            .filter_map(|n| n.as_str().map(str::to_ascii_lowercase))
            .collect()
    });
    only_one_select(conn, sql, table, functions.as_deref())?;
    with_timeout(conn, timeout, || {
        let mut stmt = conn.prepare(sql).map_err(|e| failure(&e))?;
        let mut rows = stmt.query([]).map_err(|e| failure(&e))?;
        let mut out: Vec<Value> = Vec::new();
        let (mut truncated, mut bytes) = (false, 0usize);
        while let Some(row) = rows.next().map_err(|e| failure(&e))? {
            let width = row.as_ref().column_count();
            let values: Vec<Value> = (0..width)
                .map(|i| row.get_ref(i).map_or(Value::Null, to_json))
                .collect();
            bytes += values
                .iter()
                .map(|v| v.to_string().len() + 1)
                .sum::<usize>()
                + 8;
            if out.len() == max_rows || bytes > max_bytes {
                if out.is_empty() {
                    return Err(("result_too_big", format!("{max_bytes}")));
                }
                truncated = true;
                break;
            }
            out.push(Value::Array(values));
        }
        let columns = rows
            .as_ref()
            .map(duckdb::Statement::column_names)
            .unwrap_or_default();
        Ok(json!({ "columns": columns, "rows": out, "truncated": truncated }))
    })
}

/// DuckDB's own parser must read `sql` as exactly one SELECT, over the file's table (or the
/// query's own WITH parts) only, calling only `functions` (when given) besides operators: the
/// host's guard parses with another parser, and what the two read differently (a carriage return
/// ending a `--` comment, Unicode spaces, backticks) must not reach DuckDB. Checked before
/// `prepare`, which would run every statement but the last.
fn only_one_select(
    conn: &Connection,
    sql: &str,
    table: &str,
    functions: Option<&[String]>,
) -> Result<(), Failure> {
    let refused = |why: String| Err(("not_allowed", why));
    let tree: String = conn
        .query_row(
            "SELECT json_serialize_sql(CAST(? AS VARCHAR))",
            [sql],
            |r| r.get(0),
        )
        .map_err(|e| failure(&e))?;
    let tree: Value = serde_json::from_str(&tree).map_err(|e| ("sql", e.to_string()))?;
    if tree["error"].as_bool() != Some(false) {
        let message = tree["error_message"]
            .as_str()
            .unwrap_or("it could not be read");
        return if message.contains("Only SELECT") {
            refused("only a read-only SELECT can run".into())
        } else {
            Err(("sql", message.to_string()))
        };
    }
    let count = tree["statements"].as_array().map_or(0, Vec::len);
    if count != 1 {
        return refused(format!(
            "DuckDB reads {count} statements in it; one can run"
        ));
    }
    let mut problem = None;
    // Each node with the names in scope there: the file's table, and the WITH parts of every
    // query around it (a WITH name in an unrelated subquery does not make a catalog view a CTE).
    let mut stack: Vec<(&Value, std::rc::Rc<Vec<String>>)> =
        vec![(&tree, std::rc::Rc::new(vec![table.to_ascii_lowercase()]))];
    while let Some((node, scope)) = stack.pop() {
        match node {
            Value::Object(map) => {
                let scope = match map.get("cte_map").and_then(|c| c["map"].as_array()) {
                    Some(ctes) if !ctes.is_empty() => {
                        let mut names = (*scope).clone();
                        names.extend(
                            ctes.iter()
                                .filter_map(|e| e["key"].as_str().map(str::to_ascii_lowercase)),
                        );
                        std::rc::Rc::new(names)
                    }
                    _ => scope,
                };
                if problem.is_none() {
                    problem = node_problem(node, &scope, functions);
                }
                stack.extend(map.values().map(|v| (v, scope.clone())));
            }
            Value::Array(items) => stack.extend(items.iter().map(|v| (v, scope.clone()))),
            _ => {}
        }
    }
    match problem {
        Some(why) => refused(why),
        None => Ok(()),
    }
}

/// What is wrong with one node of the parsed query, if anything: a table function, a table that
/// is neither the file's nor a WITH part in `scope`, or a function off the list. Operators are
/// functions too (`+`, `~~`); one named with letters (`OPERATOR(md5.+)` calls `md5`) is checked
/// like any function.
fn node_problem(node: &Value, scope: &[String], functions: Option<&[String]>) -> Option<String> {
    let kind = node["type"].as_str().unwrap_or_default();
    let class = node["class"].as_str().unwrap_or_default();
    if kind == "TABLE_FUNCTION" {
        return Some("table functions cannot run".to_string());
    }
    if kind == "BASE_TABLE" {
        let name = node["table_name"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let qualified = ["schema_name", "catalog_name"]
            .iter()
            .any(|k| node[*k].as_str().is_some_and(|s| !s.is_empty()));
        return (qualified || !scope.contains(&name))
            .then(|| format!("{name} is not the opened file's table"));
    }
    if matches!(class, "FUNCTION" | "WINDOW" | "AGGREGATE") {
        let name = node["function_name"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let operator = node["is_operator"].as_bool() == Some(true)
            && !name.contains(|c: char| c.is_ascii_alphabetic());
        if !operator && functions.is_some_and(|allowed| !allowed.contains(&name)) {
            return Some(format!("the function {name}() is not allowed"));
        }
    }
    None
}

fn to_json(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Boolean(b) => Value::from(b),
        ValueRef::TinyInt(i) => Value::from(i),
        ValueRef::SmallInt(i) => Value::from(i),
        ValueRef::Int(i) => Value::from(i),
        ValueRef::BigInt(i) => Value::from(i),
        ValueRef::UTinyInt(i) => Value::from(i),
        ValueRef::USmallInt(i) => Value::from(i),
        ValueRef::UInt(i) => Value::from(i),
        ValueRef::UBigInt(i) => Value::from(i),
        ValueRef::HugeInt(i) => {
            i64::try_from(i).map_or_else(|_| Value::from(i.to_string()), Value::from)
        }
        ValueRef::UHugeInt(i) => {
            u64::try_from(i).map_or_else(|_| Value::from(i.to_string()), Value::from)
        }
        ValueRef::Float(f) => Value::from(f64::from(f)),
        ValueRef::Double(f) => Value::from(f),
        ValueRef::Decimal(d) => {
            let text = d.to_string();
            text.parse::<f64>().map_or(Value::from(text), Value::from)
        }
        ValueRef::Text(t) => Value::from(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::from(format!("({} bytes of binary data)", b.len())),
        other => {
            // Dates, times, intervals and nested values: DuckDB's own text form.
            let owned: duckdb::types::Value = other.to_owned();
            match owned {
                duckdb::types::Value::Date32(days) => Value::from(date(days)),
                duckdb::types::Value::Timestamp(unit, n) => {
                    // ±infinity is stored as the type's extreme value: checked, never overflowed.
                    let micros = match unit {
                        duckdb::types::TimeUnit::Second => n.checked_mul(1_000_000),
                        duckdb::types::TimeUnit::Millisecond => n.checked_mul(1_000),
                        duckdb::types::TimeUnit::Microsecond => Some(n),
                        duckdb::types::TimeUnit::Nanosecond => Some(n / 1_000),
                    };
                    let Some(micros) = micros.filter(|m| m.abs() < i64::MAX / 2) else {
                        return Value::from(if n < 0 { "-infinity" } else { "infinity" });
                    };
                    let (days, rest) = (
                        micros.div_euclid(86_400_000_000),
                        micros.rem_euclid(86_400_000_000),
                    );
                    let secs = rest / 1_000_000;
                    let day = date(i32::try_from(days).unwrap_or(0));
                    if secs == 0 {
                        Value::from(day)
                    } else {
                        Value::from(format!(
                            "{day} {:02}:{:02}:{:02}",
                            secs / 3600,
                            secs / 60 % 60,
                            secs % 60
                        ))
                    }
                }
                other => Value::from(format!("{other:?}")),
            }
        }
    }
}

/// Days since 1970-01-01 as an ISO date (proleptic Gregorian; Howard Hinnant's algorithm).
fn date(days: i32) -> String {
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The table's columns and types, its row count, its latest date, and the values of its text
/// columns with at most `max_values` distinct ones: two passes over the file (counts and dates,
/// then the values).
fn schema(conn: &Connection, table: &str, max_values: usize) -> Result<Value, Failure> {
    let mut stmt = conn
        .prepare(&format!("DESCRIBE {}", quote(table)))
        .map_err(|e| failure(&e))?;
    let columns: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(|e| failure(&e))?
        .collect::<Result<_, _>>()
        .map_err(|e| failure(&e))?;
    let text: Vec<&String> = columns
        .iter()
        .filter(|(_, ty)| ty == "VARCHAR")
        .map(|(n, _)| n)
        .collect();
    let dates: Vec<String> = columns
        .iter()
        .filter(|(_, ty)| ty == "DATE" || ty.starts_with("TIMESTAMP"))
        .map(|(n, _)| format!("max(CAST({} AS DATE))", quote(n)))
        .collect();
    let latest = if dates.is_empty() {
        "NULL".to_string()
    } else {
        format!("CAST(greatest({}) AS VARCHAR)", dates.join(", "))
    };
    let mut counts = vec!["count(*)".to_string()];
    counts.extend(
        text.iter()
            .map(|n| format!("approx_count_distinct({})", quote(n))),
    );
    let (approx, latest): (Vec<i64>, Option<String>) = conn
        .query_row(
            &format!(
                "SELECT {latest}, {} FROM {}",
                counts.join(", "),
                quote(table)
            ),
            [],
            |r| {
                let counts = (1..=counts.len())
                    .map(|i| r.get::<_, i64>(i))
                    .collect::<Result<_, _>>()?;
                Ok((counts, r.get::<_, Option<String>>(0)?))
            },
        )
        .map_err(|e| failure(&e))?;
    // The estimate errs by a few percent either way.
    let few: Vec<&String> = text
        .iter()
        .zip(&approx[1..])
        .filter(|(_, n)| **n as usize <= max_values + max_values / 10)
        .map(|(n, _)| *n)
        .collect();
    let mut listed: std::collections::HashMap<&str, Vec<String>> = Default::default();
    if !few.is_empty() {
        let lists: Vec<String> = few
            .iter()
            .map(|n| {
                let q = quote(n);
                format!("string_agg(DISTINCT {q}, chr(30) ORDER BY {q}) FILTER (WHERE {q} IS NOT NULL AND length({q}) <= 60)")
            })
            .collect();
        let values: Vec<Option<String>> = conn
            .query_row(
                &format!("SELECT {} FROM {}", lists.join(", "), quote(table)),
                [],
                |r| {
                    (0..few.len())
                        .map(|i| r.get::<_, Option<String>>(i))
                        .collect()
                },
            )
            .map_err(|e| failure(&e))?;
        for (name, v) in few.iter().zip(values) {
            let list: Vec<String> = v
                .map(|v| v.split('\u{1e}').map(str::to_string).collect())
                .unwrap_or_default();
            if list.len() <= max_values {
                listed.insert(name.as_str(), list);
            }
        }
    }
    Ok(json!({
        "table": table,
        "row_count": approx[0],
        "latest": latest,
        "columns": columns.iter().map(|(name, ty)| json!({
            "name": name,
            "type": ty,
            "values": listed.get(name.as_str()).cloned().unwrap_or_default(),
        })).collect::<Vec<_>>(),
    }))
}
