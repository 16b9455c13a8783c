//! The Monty worker process, for real: scripts run over rows within time and memory limits, the
//! sandbox refuses the filesystem, the environment and imports, and a breach or crash is a
//! message followed by a fresh worker.

use std::path::PathBuf;
use std::time::{Duration, Instant};

mod common;

use plainsight_core::python::{CodeRunner, MontyWorker, PyError, PyLimits};
use serde_json::{json, Map, Value};

/// The worker binary, built once for these tests.
fn worker() -> MontyWorker {
    MontyWorker::new(common::worker_program())
}

fn rows() -> Vec<Map<String, Value>> {
    [("North", 120.0), ("South", 80.5), ("North", 30.0)]
        .iter()
        .map(|(r, a)| {
            json!({"region": r, "amount": a})
                .as_object()
                .cloned()
                .expect("object")
        })
        .collect()
}

#[test]
fn a_script_turns_rows_into_a_table_and_may_print() {
    let w = worker();
    let script = "totals = {}\nfor r in rows:\n    totals[r['region']] = totals.get(r['region'], 0) + r['amount']\nprint('regions:', len(totals))\nresult = [{'region': k, 'total': v} for k, v in sorted(totals.items())]";
    let out = w.run(script, &rows(), PyLimits::default()).expect("runs");
    assert_eq!(out.columns, ["region", "total"]);
    assert_eq!(
        out.rows,
        [
            vec![json!("North"), json!(150.0)],
            vec![json!("South"), json!(80.5)]
        ]
    );
    assert_eq!(out.printed, "regions: 2\n");
    // Columns as a dict of lists, and a single number, work too.
    let out = w
        .run(
            "result = {'n': [len(rows)], 'max': [max(r['amount'] for r in rows)]}",
            &rows(),
            PyLimits::default(),
        )
        .expect("runs");
    assert_eq!(out.rows, [vec![json!(3), json!(120.0)]]);
}

#[test]
fn the_sandbox_has_no_files_environment_or_imports() {
    let w = worker();
    for script in [
        "result = open('/etc/passwd').read()",
        "import os\nresult = os.environ['HOME']",
        "import subprocess\nresult = subprocess.run(['ls'])",
        "import socket\nresult = socket.socket()",
    ] {
        let err = w.run(script, &[], PyLimits::default()).expect_err(script);
        assert!(matches!(err, PyError::Script(_)), "{script}: {err:?}");
    }
}

#[test]
fn limits_stop_runaway_scripts_and_the_worker_comes_back() {
    let w = worker();
    let limits = PyLimits {
        time: Duration::from_millis(400),
        ..PyLimits::default()
    };
    let started = Instant::now();
    assert_eq!(
        w.run("while True:\n    pass", &[], limits),
        Err(PyError::Timeout(1))
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "stopped at the limit: {:?}",
        started.elapsed()
    );
    let small = PyLimits {
        memory_bytes: 20 << 20,
        ..PyLimits::default()
    };
    let err = w
        .run("x = [0] * 50000000\nresult = len(x)", &[], small)
        .expect_err("too big");
    assert_eq!(err, PyError::Memory(20));
    assert_eq!(
        w.run(
            "def f(n):\n    return f(n + 1)\nresult = f(0)",
            &[],
            PyLimits::default()
        )
        .map(|_| ()),
        Err(PyError::Script(
            "RecursionError: maximum recursion depth exceeded (line 2)".into()
        ))
    );
    assert_eq!(
        w.run("x = 1", &[], PyLimits::default()),
        Err(PyError::NoResult)
    );
    let err = w
        .run("result = 1 +", &[], PyLimits::default())
        .expect_err("syntax");
    assert!(
        err.to_string()
            .starts_with("the Python script has a mistake: SyntaxError"),
        "{err}"
    );
    // After all that, the same runner still answers.
    assert_eq!(
        w.run("result = 6 * 7", &[], PyLimits::default())
            .expect("runs")
            .rows,
        [vec![json!(42)]]
    );
}

#[test]
fn a_missing_worker_is_a_plain_message() {
    let w = MontyWorker::new(PathBuf::from("/nonexistent/plainsight-python-worker"));
    let err = w
        .run("result = 1", &[], PyLimits::default())
        .expect_err("no worker");
    assert!(
        err.to_string()
            .starts_with("Plainsight's Python sandbox could not start"),
        "{err}"
    );
}

#[test]
fn an_llm_python_answer_runs_its_query_then_its_script_in_the_worker() {
    use plainsight_core::llm::provider::{HttpProvider, ProviderConfig, ProviderKind};
    use plainsight_loopback::perplexity::{self, AgentUsage};
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("shop.sqlite");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).expect("date");
    plainsight_core::sample::write_sample_db(&db, today, 2_000).expect("sample");
    let server = plainsight_loopback::Server::start();
    let script = "vals = [r['revenue'] for r in rows]\nresult = []\nfor i in range(2, len(vals)):\n    result.append({'month': rows[i]['month'], 'moving_average': round((vals[i] + vals[i-1] + vals[i-2]) / 3, 2)})";
    let reply = json!({"kind": "answer", "language": "python", "query": "SELECT month, SUM(revenue) AS revenue FROM sales GROUP BY month ORDER BY month", "code": script, "explanation": "Three-month moving average of revenue."});
    // First a script with a mistake: the error goes back and the corrected one runs.
    let broken = json!({"kind": "answer", "language": "python", "query": "SELECT month, SUM(revenue) AS revenue FROM sales GROUP BY month", "code": "result = [r['revnue'] for r in rows]", "explanation": "…"});
    server.push(perplexity::agent_ok(
        &broken.to_string(),
        AgentUsage::new(100, 10, 0.001, 0.0, 0.0),
    ));
    server.push(perplexity::agent_ok(
        &reply.to_string(),
        AgentUsage::new(100, 10, 0.001, 0.0, 0.0),
    ));
    let mut config = ProviderConfig::new(ProviderKind::Perplexity);
    config.base_url = server.url();
    config.api_key = Some(plainsight_core::secret::Secret::new(
        "pplx-test-key-000000000000",
    ));
    let pipeline =
        plainsight_core::Pipeline::open(&db, plainsight_core::PipelineOptions::default())
            .expect("pipeline")
            .with_llm(std::sync::Arc::new(
                HttpProvider::new(config).expect("client"),
            ))
            .with_runner(std::sync::Arc::new(worker()));
    let a = pipeline
        .ask(
            "what is the three month moving average of revenue?",
            today,
            None,
        )
        .expect("answer");
    assert_eq!(a.route, plainsight_core::Route::Answer, "{a:?}");
    assert_eq!(a.language, Some(plainsight_core::Language::Python));
    assert_eq!(a.columns, ["month", "moving_average"]);
    assert_eq!(
        a.rows.len(),
        23,
        "25 months, the first two have no 3-month window"
    );
    assert!(
        a.code
            .as_deref()
            .is_some_and(|c| c.starts_with("# Data query\n# SELECT month")),
        "{:?}",
        a.code
    );
    let retry = server.requests()[1].json()["input"].to_string();
    assert!(
        retry.contains("KeyError") || retry.contains("revnue"),
        "the script's error went back: {retry}"
    );
}

/// Stop ends a running script within a second (the worker is killed and replaced), long before
/// its own time limit.
#[test]
fn stop_ends_a_running_script_within_a_second() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let w = worker();
    let cancel = AtomicBool::new(false);
    let pressed = std::cell::Cell::new(None);
    let limits = PyLimits {
        time: std::time::Duration::from_secs(60),
        ..PyLimits::default()
    };
    // Stop is pressed while the script runs: from inside its own query_sql call, before the
    // endless loop (no sleep).
    let sql = |_: &str| -> Result<Vec<Map<String, Value>>, String> {
        cancel.store(true, Ordering::Relaxed);
        pressed.set(Some(std::time::Instant::now()));
        Ok(Vec::new())
    };
    let err = w
        .run_with_sql(
            "rows = query_sql('SELECT 1')\nn = 0\nwhile True:\n    n += 1\nresult = n",
            &[],
            limits,
            &sql,
            Some(&cancel),
        )
        .expect_err("stopped");
    let waited = pressed
        .get()
        .expect("the script called query_sql")
        .elapsed();
    assert!(matches!(err, PyError::Cancelled), "{err:?}");
    assert!(waited < std::time::Duration::from_secs(1), "{waited:?}");
    assert!(
        w.run("result = 1", &[], PyLimits::default()).is_ok(),
        "a fresh worker answers"
    );
}

#[test]
fn query_sql_is_served_through_the_guard_and_only_reads() {
    use std::cell::RefCell;
    let w = worker();
    let asked = RefCell::new(Vec::new());
    let sql = |q: &str| -> Result<Vec<Map<String, Value>>, String> {
        asked.borrow_mut().push(q.to_string());
        if q.trim_start().to_uppercase().starts_with("SELECT") {
            Ok(vec![json!({"n": 7}).as_object().cloned().expect("object")])
        } else {
            Err("the SQL was refused: only a read-only SELECT may run".into())
        }
    };
    let out = w
        .run_with_sql(
            "r = query_sql('SELECT count(*) AS n FROM orders')\nresult = r[0]['n'] * 6",
            &[],
            PyLimits::default(),
            &sql,
            None,
        )
        .expect("runs");
    assert_eq!(out.rows, [vec![json!(42)]]);
    let err = w
        .run_with_sql(
            "query_sql('DELETE FROM orders')\nresult = 1",
            &[],
            PyLimits::default(),
            &sql,
            None,
        )
        .expect_err("refused");
    assert!(
        err.to_string().contains("only a read-only SELECT may run"),
        "{err}"
    );
    assert_eq!(asked.borrow().len(), 2);
    // Without a host, query_sql does not exist at all.
    assert!(matches!(
        w.run("result = query_sql('SELECT 1')", &[], PyLimits::default()),
        Err(PyError::Script(_))
    ));
}

#[test]
fn a_script_that_raises_rows_sends_only_its_exception_type_and_line_to_the_ai() {
    use plainsight_core::llm::provider::{HttpProvider, ProviderConfig, ProviderKind};
    use plainsight_loopback::perplexity::{self, AgentUsage};
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("shop.sqlite");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).expect("date");
    plainsight_core::sample::write_sample_db(&db, today, 2_000).expect("sample");
    let conn = rusqlite::Connection::open(&db).expect("open");
    let values: Vec<String> = conn
        .prepare("SELECT name FROM customers UNION ALL SELECT email FROM customers UNION ALL SELECT hex(name) FROM customers")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let people = "SELECT name, email FROM customers";
    // (data query, script): each fails with customers in its message.
    let attacks = [
        (people, "raise ValueError(str(rows))"),
        (people, "raise ValueError(rows)"),
        (people, "names = [r['name'] + ' ' + r['email'] for r in rows]\nraise KeyError(', '.join(names))"),
        (people, "lookup = {}\nresult = lookup[rows[3]['name']]"),
        (people, "assert len(rows) == 0, str(rows[:60])"),
        // A message whose last line looks like another exception, naming a customer.
        (people, "raise ValueError('x\\n' + rows[0]['name'] + 'Error: y')"),
        ("SELECT 1 AS one", "leak = query_sql('SELECT group_concat(name || email) AS x FROM customers')\nraise RuntimeError(leak[0]['x'])"),
        // The data query itself fails with customers in SQLite's message.
        ("SELECT json_extract('{}', 'x' || hex(name)) AS leak FROM customers", "result = rows"),
    ];
    let good = json!({"kind": "answer", "language": "python", "query": "SELECT segment, COUNT(*) AS n FROM customers GROUP BY segment", "code": "result = rows", "explanation": "Customers per segment."});
    let server = plainsight_loopback::Server::start();
    let mut config = ProviderConfig::new(ProviderKind::Perplexity);
    config.base_url = server.url();
    config.api_key = Some(plainsight_core::secret::Secret::new(
        "pplx-test-key-000000000000",
    ));
    let pipeline =
        plainsight_core::Pipeline::open(&db, plainsight_core::PipelineOptions::default())
            .expect("pipeline")
            .with_llm(std::sync::Arc::new(
                HttpProvider::new(config).expect("client"),
            ))
            .with_runner(std::sync::Arc::new(worker()));
    for (query, script) in attacks {
        let reply = json!({"kind": "answer", "language": "python", "query": query, "code": script, "explanation": "…"});
        server.push(perplexity::agent_ok(
            &reply.to_string(),
            AgentUsage::new(100, 10, 0.001, 0.0, 0.0),
        ));
        server.push(perplexity::agent_ok(
            &good.to_string(),
            AgentUsage::new(100, 10, 0.001, 0.0, 0.0),
        ));
        let a = pipeline
            .ask(
                "what is the three month moving average of revenue?",
                today,
                None,
            )
            .expect("answer");
        assert_eq!(
            a.route,
            plainsight_core::Route::Answer,
            "{script}: corrected on the second try: {a:?}"
        );
        assert!(
            !values.iter().any(|v| a.interpretation.contains(v.as_str())),
            "{script}: {}",
            a.interpretation
        );
    }
    let sent = server.requests_without(&values);
    assert_eq!(sent.len(), 2 * attacks.len());
    let first = sent[1].json()["input"].to_string();
    assert!(
        first.contains("the Python script raised ValueError on line 1"),
        "{first}"
    );
    let sixth = sent[11].json()["input"].to_string();
    assert!(
        sixth.contains("the Python script raised ValueError on line 1"),
        "the type is Monty's, not the message's: {sixth}"
    );
}
