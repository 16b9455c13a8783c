//! `plainsight-python-worker`: one Monty interpreter per request, requests as JSON lines on stdin,
//! answers as JSON lines on stdout. The host ([`plainsight_core::python`]) keeps one worker warm
//! and starts another after a crash or a memory breach (which aborts this process by design).
//!
//! Request: `{"script": "...", "columns": ["date", "amount"], "rows": [["2026-11-01", 9.5], …],
//! "time_ms": 5000, "memory_bytes": 268435456, "max_output": 65536, "max_depth": 200,
//! "query_sql": true}`. The script receives `rows` (a list of dicts) and leaves its answer in
//! `result`. Rows come as a table (`columns` once, each row a list), so a column's name is not
//! read 10,000 times, and are decoded straight into Python values (no JSON tree in between);
//! `rows` as a list of dicts without `columns` is read too. Answer: `{"ok": {"result": <JSON>, "printed":
//! "..."}}` or `{"error": {"kind": "timeout|memory|syntax|no_result|recursion|runtime|output",
//! "message": "..."}}`; an exception's message is one line, its type first and the script's line
//! last: `"ValueError: bad value (line 3)"`.
//!
//! With `"query_sql": true` the script may call `query_sql("SELECT …")`: the worker writes
//! `{"call": "query_sql", "sql": "..."}` and reads the host's `{"columns": [...], "rows": [[...]]}`
//! (or `{"rows": [{...}]}`) or `{"error": "..."}` (the host runs it through its SQL guard and read-only connection). At most
//! [`MAX_QUERIES`] calls per script.
//!
//! The sandbox is Monty's: no filesystem, network, environment or imports; no host functions
//! are offered, so any call out of the sandbox is refused.

use std::io::{BufRead, Write};
use std::time::Duration;

use monty::{MontyRun, RunProgress};
use monty_types::{
    CompileOptions, ExcType, ExtFunctionResult, MontyException, MontyObject, PrintWriter,
    ResourceLimits, ResourceTracker,
};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{json, Map, Value};

#[global_allocator]
static ALLOCATOR: monty_alloc::LimitedAllocator = monty_alloc::LimitedAllocator;

/// Host callbacks allowed per script.
const MAX_QUERIES: usize = 20;

fn main() {
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    let mut lines = stdin.lock().lines();
    while let Some(Ok(line)) = lines.next() {
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<Request>(&line) {
            Ok(request) => run(request, &mut |sql| {
                ask_host(sql, &mut lines, &mut std::io::stdout())
            }),
            Err(e) => error("request", &format!("the request was not JSON ({e})")),
        };
        if writeln!(stdout, "{answer}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break;
        }
    }
}

/// The name the script runs under in tracebacks.
const SCRIPT_FILE: &str = "analysis.py";

/// What went wrong and where, in one line: "ValueError: bad value (line 3)". The exception's type
/// comes first and the script's line last, so a long message (it can hold rows) is shortened in
/// between and never pushes them out.
fn described(e: &MontyException, script_lines: usize) -> String {
    let message: String = e
        .message()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let message = match message.char_indices().nth(300) {
        Some((at, _)) => format!("{}…", &message[..at]),
        None => message,
    };
    let mut said = if message.is_empty() {
        e.exc_type().to_string()
    } else {
        format!("{}: {message}", e.exc_type())
    };
    let line = e
        .traceback()
        .iter()
        .rev()
        .find(|f| f.filename == SCRIPT_FILE)
        .map(|f| f.start.line as usize);
    if let Some(line) = line.filter(|l| (1..=script_lines).contains(l)) {
        said.push_str(&format!(" (line {line})"));
    }
    said
}

fn error(kind: &str, message: &str) -> Value {
    // The end of a traceback says what went wrong: keep the last 2,000 characters.
    let chars: Vec<char> = message.chars().collect();
    let message: String = chars[chars.len().saturating_sub(2_000)..].iter().collect();
    json!({"error": {"kind": kind, "message": message}})
}

/// One request, decoded in one pass: the rows straight into Python values.
#[derive(serde::Deserialize)]
struct Request {
    script: Option<String>,
    columns: Option<Vec<String>>,
    rows: Option<Py>,
    time_ms: Option<u64>,
    memory_bytes: Option<u64>,
    max_output: Option<u64>,
    max_depth: Option<u64>,
    query_sql: Option<bool>,
}

/// The host's answer to a `query_sql` call.
#[derive(serde::Deserialize)]
struct HostAnswer {
    error: Option<String>,
    columns: Option<Vec<String>>,
    rows: Option<Py>,
}

/// Rows as the script sees them: with `columns`, each row (a list) becomes a dict of those
/// names; without, the rows are taken as they are (a list of dicts).
fn rows_of(columns: Option<Vec<String>>, rows: Option<Py>) -> MontyObject {
    let rows = rows.map_or(MontyObject::List(Vec::new()), |r| r.0);
    match (columns, rows) {
        (Some(columns), MontyObject::List(rows)) => MontyObject::List(
            rows.into_iter()
                .map(|row| match row {
                    MontyObject::List(values) => MontyObject::dict(
                        columns
                            .iter()
                            .map(|c| MontyObject::String(c.clone()))
                            .zip(values)
                            .collect::<Vec<_>>(),
                    ),
                    other => other,
                })
                .collect(),
        ),
        (_, rows) => rows,
    }
}

/// A JSON value decoded directly as a Python value: objects become dicts, arrays lists, numbers
/// int (when whole and in range) or float.
struct Py(MontyObject);

impl<'de> Deserialize<'de> for Py {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Py;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Py, E> {
                Ok(Py(MontyObject::None))
            }
            fn visit_none<E>(self) -> Result<Py, E> {
                Ok(Py(MontyObject::None))
            }
            fn visit_bool<E>(self, b: bool) -> Result<Py, E> {
                Ok(Py(MontyObject::Bool(b)))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Py, E> {
                Ok(Py(MontyObject::Int(i)))
            }
            fn visit_u64<E>(self, u: u64) -> Result<Py, E> {
                #[allow(clippy::cast_precision_loss)]
                Ok(Py(
                    i64::try_from(u).map_or(MontyObject::Float(u as f64), MontyObject::Int)
                ))
            }
            fn visit_f64<E>(self, f: f64) -> Result<Py, E> {
                Ok(Py(MontyObject::Float(f)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Py, E> {
                Ok(Py(MontyObject::String(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Py, E> {
                Ok(Py(MontyObject::String(s)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Py, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(Py(item)) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Py(MontyObject::List(items)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Py, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some((k, Py(v))) = map.next_entry::<String, Py>()? {
                    pairs.push((MontyObject::String(k), v));
                }
                Ok(Py(MontyObject::dict(pairs)))
            }
        }
        d.deserialize_any(V)
    }
}

/// Sends a `query_sql` call to the host and reads its answer.
fn ask_host(
    sql: &str,
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
    out: &mut impl Write,
) -> Result<MontyObject, String> {
    writeln!(out, "{}", json!({"call": "query_sql", "sql": sql}))
        .and_then(|()| out.flush())
        .map_err(|e| e.to_string())?;
    let line = lines
        .next()
        .and_then(Result::ok)
        .ok_or("the host did not answer")?;
    let v: HostAnswer =
        serde_json::from_str(&line).map_err(|_| "the host's answer was not JSON".to_string())?;
    match v.error {
        Some(e) => Err(e),
        None => Ok(rows_of(v.columns, v.rows)),
    }
}

fn run(request: Request, host: &mut dyn FnMut(&str) -> Result<MontyObject, String>) -> Value {
    let Some(script) = request.script.as_deref() else {
        return error("request", "no script");
    };
    let time = Duration::from_millis(request.time_ms.unwrap_or(5_000));
    let memory = usize::try_from(request.memory_bytes.unwrap_or(256 << 20)).unwrap_or(usize::MAX);
    let max_output = usize::try_from(request.max_output.unwrap_or(64 << 10)).unwrap_or(64 << 10);
    let depth = usize::try_from(request.max_depth.unwrap_or(200)).unwrap_or(200);
    let rows = rows_of(request.columns, request.rows);
    // The allocator's hard ceiling (the process aborts beyond it); Monty's own soft limit below.
    if let Err(why) = monty_alloc::set_limit(Some(memory), false) {
        return error("setup", why);
    }
    // The answer is the value of `result` after the script: the last expression returns it.
    let code = format!("{script}\n\nresult\n");
    let with_sql = request.query_sql.unwrap_or(false);
    let mut inputs = vec!["rows".to_owned()];
    if with_sql {
        inputs.push("query_sql".to_owned());
    }
    let lines = script.lines().count();
    let runner = match MontyRun::new(code, SCRIPT_FILE, inputs, CompileOptions::default()) {
        Ok(r) => r,
        Err(e) => return error("syntax", &described(&e, lines)),
    };
    let limits = ResourceLimits {
        max_duration: Some(time),
        max_memory: Some(memory),
        max_recursion_depth: depth,
        max_suspensions: MAX_QUERIES,
        ..ResourceLimits::default()
    };
    let mut printed = String::new();
    let outcome = if with_sql {
        let values = vec![
            rows,
            MontyObject::Function {
                name: "query_sql".to_owned(),
                docstring: None,
            },
        ];
        drive(
            runner,
            values,
            ResourceTracker::new(limits),
            &mut printed,
            max_output,
            host,
        )
    } else {
        runner.run(
            vec![rows],
            ResourceTracker::new(limits),
            PrintWriter::CollectString(&mut printed, Some(max_output)),
        )
    };
    match outcome {
        Ok(value) => {
            // Measured before converting: a huge result must not become a huge JSON string.
            if value.deep_host_size() > max_output.saturating_mul(16) {
                return error(
                    "output",
                    "its result is too large to show (more than a few thousand rows)",
                );
            }
            json!({"ok": {"result": to_json(&value), "printed": printed}})
        }
        Err(e) => {
            let message = e.to_string();
            // By the exception's type, never by its text (a script can raise any message).
            let kind = match e.exc_type() {
                ExcType::TimeoutError if message.contains("time limit exceeded") => "timeout",
                // The output collector stops just short of its cap.
                ExcType::MemoryError if printed.len() + 1_024 >= max_output => {
                    return error(
                        "output",
                        &format!("it printed more than {} KB", max_output >> 10),
                    );
                }
                ExcType::MemoryError => "memory",
                ExcType::NameError if e.message().is_some_and(|m| m.contains("'result'")) => {
                    "no_result"
                }
                ExcType::RecursionError => "recursion",
                ExcType::SyntaxError => "syntax",
                _ => "runtime",
            };
            error(kind, &described(&e, lines))
        }
    }
}

/// Runs with host callbacks: `query_sql` is answered by the host; every other way out of the
/// sandbox (other functions, OS calls, unknown names, futures) is refused.
fn drive(
    runner: MontyRun,
    inputs: Vec<MontyObject>,
    tracker: ResourceTracker,
    printed: &mut String,
    max_output: usize,
    host: &mut dyn FnMut(&str) -> Result<MontyObject, String>,
) -> Result<MontyObject, MontyException> {
    let refuse = |what: &str| {
        MontyException::new(
            ExcType::PermissionError,
            Some(format!("{what} is not available in the sandbox")),
        )
    };
    let mut progress = runner.start(
        inputs,
        tracker,
        PrintWriter::CollectString(printed, Some(max_output)),
    )?;
    let mut calls = 0;
    loop {
        progress = match progress {
            RunProgress::Complete(value) => return Ok(value),
            RunProgress::FunctionCall(call)
                if call.function_name == "query_sql" && calls < MAX_QUERIES =>
            {
                calls += 1;
                let answer = match call.args.first() {
                    Some(MontyObject::String(sql)) => match host(sql) {
                        Ok(rows) => ExtFunctionResult::Return(rows),
                        Err(why) => ExtFunctionResult::Error(MontyException::new(
                            ExcType::PermissionError,
                            Some(why),
                        )),
                    },
                    _ => ExtFunctionResult::Error(MontyException::new(
                        ExcType::TypeError,
                        Some("query_sql takes one SQL string".into()),
                    )),
                };
                call.resume(
                    answer,
                    PrintWriter::CollectString(printed, Some(max_output)),
                )?
            }
            RunProgress::FunctionCall(call) => {
                let name = call.function_name.clone();
                call.abort(
                    refuse(&format!("{name}()")),
                    PrintWriter::CollectString(printed, Some(max_output)),
                )?
            }
            RunProgress::OsCall(call) => call.abort(
                refuse("the operating system"),
                PrintWriter::CollectString(printed, Some(max_output)),
            )?,
            RunProgress::NameLookup(lookup) => lookup.abort(
                refuse("that name"),
                PrintWriter::CollectString(printed, Some(max_output)),
            )?,
            RunProgress::ResolveFutures(futures) => futures.abort(
                refuse("async work"),
                PrintWriter::CollectString(printed, Some(max_output)),
            )?,
        };
    }
}

/// Python values → JSON for the table: dicts with string keys become objects; anything else
/// that JSON cannot hold becomes its Python repr.
fn to_json(v: &MontyObject) -> Value {
    match v {
        MontyObject::None => Value::Null,
        MontyObject::Bool(b) => Value::Bool(*b),
        MontyObject::Int(i) => Value::from(*i),
        MontyObject::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        MontyObject::String(s) => Value::String(s.clone()),
        MontyObject::List(items) | MontyObject::Tuple(items) => {
            Value::Array(items.iter().map(to_json).collect())
        }
        MontyObject::Dict(pairs) => {
            let mut map = Map::new();
            for (k, v) in pairs {
                let key = match k {
                    MontyObject::String(s) => s.clone(),
                    other => other.py_repr(),
                };
                map.insert(key, to_json(v));
            }
            Value::Object(map)
        }
        other => Value::String(other.py_repr()),
    }
}
