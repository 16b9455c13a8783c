//! Python analysis speed: `cargo bench -p plainsight-core --bench python`.
//!
//! One small report script (10,000 generated orders grouped by month: order counts, sums and a
//! 3-month moving average), the same text everywhere, run three ways:
//! - `monty_warm`: in one `MontyWorker`, started once and reused (the app's normal path);
//! - `monty_cold`: in a new `MontyWorker` every iteration (the sandbox's start: spawn, first
//!   request; the worker's shutdown is dropped outside the timed section);
//! - `python3_subprocess`: in a `python3` process, interpreter start included, the same rows as
//!   JSON on stdin (`json.loads`) and the result as JSON on stdout. Skipped, with a message, when
//!   there is no `python3`.
//!
//! Each way starts from the same rows in memory and ends with the parsed table, so the JSON
//! encoding of 10,000 rows on the way in and of the result on the way out is in all three. The
//! first run of each is checked against the others: same table.
//!
//! Compare the medians from one run: python3 / warm Monty and python3 / cold Monty; cold − warm
//! is what starting the sandbox costs per run.
//!
//! The `report_*` pair is issue 18's P3, timed from the request to the result: the same report
//! over 10,000 rows *of a database* (`PLAINSIGHT_BENCH_DB`, else a generated sample):
//! - `report_monty_warm`: the app's way: the data query through the guard and the read-only
//!   query process, its rows into a warm Monty worker, the script, the table;
//! - `report_python3`: a `python3` process that opens the database read-only with its `sqlite3`
//!   module, runs the same query and the same script, and prints the result as JSON.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use plainsight_core::executor::Limits;
use plainsight_core::python::{table, CodeRunner, MontyWorker, PyLimits, PyOutput};
use serde_json::{json, Map, Value};

const ROWS: usize = 10_000;

/// The report: runs unchanged in Monty (which passes `rows` in) and in CPython (which is given
/// `rows` by the preamble in [`python3_program`]).
const SCRIPT: &str = "\
totals = {}
counts = {}
for r in rows:
    month = r['date'][:7]
    totals[month] = totals.get(month, 0.0) + r['amount']
    counts[month] = counts.get(month, 0) + 1
months = sorted(totals)
result = []
for i, month in enumerate(months):
    window = [totals[m] for m in months[max(0, i - 2):i + 1]]
    result.append({
        'month': month,
        'orders': counts[month],
        'total': round(totals[month], 2),
        'moving_avg_3': round(sum(window) / 3, 2) if len(window) == 3 else None,
    })
";

fn main() {
    divan::main();
}

/// 10,000 orders over 24 months (deterministic).
fn rows() -> &'static [Map<String, Value>] {
    static ROWS_: OnceLock<Vec<Map<String, Value>>> = OnceLock::new();
    ROWS_.get_or_init(|| {
        let regions = ["North", "South", "East", "West", "Central"];
        let mut x: u64 = 42;
        (0..ROWS)
            .map(|_| {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let r = x >> 33;
                let date = format!(
                    "{}-{:02}-{:02}",
                    2024 + (r % 24) / 12,
                    1 + r % 12,
                    1 + r % 28
                );
                #[allow(clippy::cast_precision_loss)]
                let amount = (100 + r % 499_900) as f64 / 100.0;
                let row =
                    json!({"date": date, "region": regions[(r % 5) as usize], "amount": amount});
                row.as_object().cloned().expect("object")
            })
            .collect()
    })
}

/// The release worker, built once for this run.
fn worker_program() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let status = Command::new(env!("CARGO"))
            .args(["build", "--release", "-q", "-p", "plainsight-python-worker"])
            .current_dir(&root)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the worker");
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
        target
            .join("release")
            .join(plainsight_core::python::WORKER_NAME)
    })
}

/// The real interpreter behind `python3` (not a version manager's shim script, whose own start
/// would be counted as Python's), or `None` when there is none.
fn python3() -> Option<&'static PathBuf> {
    static PATH: OnceLock<Option<PathBuf>> = OnceLock::new();
    PATH.get_or_init(|| {
        let out = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .ok()?;
        let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
        (out.status.success() && path.is_file()).then_some(path)
    })
    .as_ref()
}

fn python3_program() -> String {
    format!("import json, sys\nrows = json.loads(sys.stdin.read())\n{SCRIPT}\nprint(json.dumps(result))\n")
}

/// One CPython run: start, rows in as JSON, the result out as JSON, parsed into the same table
/// shape the worker gives.
fn run_python3(python: &PathBuf, program: &str, rows: &[Map<String, Value>]) -> PyOutput {
    let input = serde_json::to_vec(rows).expect("rows as JSON");
    let mut child = Command::new(python)
        .args(["-c", program])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&input)
        .expect("rows sent");
    printed_table(&child.wait_with_output().expect("python3 ends"))
}

/// A finished python3 run's printed JSON result, as the table the worker would give.
fn printed_table(out: &std::process::Output) -> PyOutput {
    assert!(out.status.success(), "python3 failed: {}", out.status);
    let result: Value = serde_json::from_slice(&out.stdout).expect("python3 printed JSON");
    let (columns, rows) = table(&result).expect("a table");
    PyOutput {
        columns,
        rows,
        printed: String::new(),
    }
}

fn check(out: &PyOutput) {
    assert_eq!(out.columns, ["month", "orders", "total", "moving_avg_3"]);
    assert_eq!(out.rows.len(), 24, "24 months");
    // Every way gives the same table as the first run of any.
    static FIRST: OnceLock<Vec<Vec<Value>>> = OnceLock::new();
    assert_eq!(
        FIRST.get_or_init(|| out.rows.clone()),
        &out.rows,
        "the same table every way"
    );
}

#[divan::bench(sample_count = 30, sample_size = 1)]
fn monty_warm(bencher: divan::Bencher<'_, '_>) {
    let w = MontyWorker::new(worker_program().clone());
    let rows = rows();
    check(
        &w.run(SCRIPT, rows, PyLimits::default())
            .expect("warm-up run"),
    );
    bencher.bench_local(|| w.run(SCRIPT, rows, PyLimits::default()).expect("runs"));
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn monty_cold(bencher: divan::Bencher<'_, '_>) {
    let program = worker_program();
    let rows = rows();
    check(
        &MontyWorker::new(program.clone())
            .run(SCRIPT, rows, PyLimits::default())
            .expect("runs"),
    );
    bencher.bench_local(|| {
        let w = MontyWorker::new(program.clone());
        let out = w.run(SCRIPT, rows, PyLimits::default()).expect("runs");
        // Returned, so stopping the worker happens after the sample is timed.
        (w, out)
    });
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn python3_subprocess(bencher: divan::Bencher<'_, '_>) {
    let Some(python) = python3() else {
        eprintln!("python3_subprocess: skipped, no python3 on PATH");
        return;
    };
    let program = python3_program();
    let rows = rows();
    check(&run_python3(python, &program, rows));
    bencher.bench_local(|| run_python3(python, &program, rows));
}

/// P3's data query: the newest 10,000 sale lines, as the script's `rows`.
const REPORT_QUERY: &str =
    "SELECT order_date AS date, region, revenue AS amount FROM sales ORDER BY order_date DESC LIMIT 10000";

/// The database P3 reads: `PLAINSIGHT_BENCH_DB` (scripts/bench's 1,000,000-order sample), or a
/// sample generated once for this run.
fn report_db() -> &'static PathBuf {
    static DB: OnceLock<(Option<tempfile::TempDir>, PathBuf)> = OnceLock::new();
    &DB.get_or_init(|| {
        if let Some(db) = std::env::var_os("PLAINSIGHT_BENCH_DB") {
            return (None, PathBuf::from(db));
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("shop.sqlite");
        let mut conn = rusqlite::Connection::open(&path).expect("db");
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).expect("date");
        plainsight_core::sample::generate(&mut conn, today, 200_000).expect("sample");
        (Some(dir), path)
    })
    .1
}

/// One answer the app's way: the guarded query in the query process, then the script.
fn report_monty(
    source: &dyn plainsight_core::source::DataSource,
    worker: &MontyWorker,
) -> PyOutput {
    let checked =
        plainsight_core::guard::check_for(REPORT_QUERY, source.dialect()).expect("guarded");
    let data = source
        .run(&checked, &Limits::default(), None)
        .expect("the query runs");
    let rows: Vec<Map<String, Value>> = data
        .rows
        .into_iter()
        .map(|row| data.columns.iter().cloned().zip(row).collect())
        .collect();
    worker
        .run(SCRIPT, &rows, PyLimits::default())
        .expect("the script runs")
}

fn report_python3_program() -> String {
    format!(
        "import json, sqlite3, sys\n\
         con = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)\n\
         cur = con.execute({REPORT_QUERY:?})\n\
         names = [d[0] for d in cur.description]\n\
         rows = [dict(zip(names, r)) for r in cur]\n\
         {SCRIPT}\nprint(json.dumps(result))\n"
    )
}

fn report_python3_run(python: &PathBuf, program: &str) -> PyOutput {
    let out = Command::new(python)
        .args(["-c", program])
        .arg(report_db())
        .stderr(Stdio::inherit())
        .output()
        .expect("python3 runs");
    printed_table(&out)
}

/// Both ways give the same report (the first run of each is compared).
fn check_report(out: &PyOutput) {
    static FIRST: OnceLock<Vec<Vec<Value>>> = OnceLock::new();
    assert_eq!(out.columns, ["month", "orders", "total", "moving_avg_3"]);
    assert!(!out.rows.is_empty(), "a report with months");
    assert_eq!(
        FIRST.get_or_init(|| out.rows.clone()),
        &out.rows,
        "the same report both ways"
    );
}

#[divan::bench(sample_count = 30, sample_size = 1)]
fn report_monty_warm(bencher: divan::Bencher<'_, '_>) {
    let source = plainsight_core::source::open(&report_db().display().to_string())
        .expect("the database opens");
    let worker = MontyWorker::new(worker_program().clone());
    check_report(&report_monty(source.as_ref(), &worker));
    bencher.bench_local(|| report_monty(source.as_ref(), &worker));
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn report_python3(bencher: divan::Bencher<'_, '_>) {
    let Some(python) = python3() else {
        eprintln!("report_python3: skipped, no python3 on PATH");
        return;
    };
    let program = report_python3_program();
    check_report(&report_python3_run(python, &program));
    bencher.bench_local(|| report_python3_run(python, &program));
}
