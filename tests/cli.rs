//! The `plainsight` command line against real generated SQLite files: the JSON contract of
//! `ask`, the routes, `sql` through the guard and executor, and plain errors for bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

const TODAY: &str = "2026-11-26";

/// Builds the CLI and its Python worker (found beside it) once (debug) and returns its path.
pub(crate) fn bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root")
            .to_path_buf();
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "-p",
                "plainsight-cli",
                "--bin",
                "plainsight",
                "-p",
                "plainsight-python-worker",
            ])
            .current_dir(&root)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the plainsight CLI failed");
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
        target.join("debug").join("plainsight")
    })
}

/// One sample database shared by the read-only tests (generation takes about a second).
pub(crate) fn sample_db() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DB.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sample.sqlite");
        let out = run(&[
            "sample-db",
            "--out",
            path.to_str().expect("utf-8 path"),
            "--today",
            TODAY,
        ]);
        assert!(
            out.status.success(),
            "sample-db failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (dir, path)
    })
    .1
}

pub(crate) fn run(args: &[&str]) -> Output {
    let data = tempfile::tempdir().expect("temp dir");
    Command::new(bin())
        .args(args)
        .env("PLAINSIGHT_DATA_DIR", data.path())
        .output()
        .expect("plainsight runs")
}

fn ask(question: &str) -> Value {
    let db = sample_db().to_str().expect("utf-8 path");
    let out = run(&[
        "ask",
        "--db",
        db,
        "--today",
        TODAY,
        "--offline",
        "--json",
        question,
    ]);
    assert!(
        out.status.success(),
        "ask {question:?} exited {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "ask {question:?} printed non-JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn reference(sql: &str) -> Vec<(String, f64)> {
    let conn = rusqlite::Connection::open_with_flags(
        sample_db(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open sample");
    let mut stmt = conn.prepare(sql).expect("reference SQL");
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query");
    let mut v: Vec<(String, f64)> = rows.map(|r| r.expect("row")).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[track_caller]
fn fails_with(args: &[&str], needle: &str) {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(
        stderr.contains(needle),
        "{args:?}: stderr {stderr:?} should mention {needle:?}"
    );
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "{args:?}: one plain line on stderr, got {stderr:?}"
    );
}

#[test]
fn headline_question_answers_with_the_right_rows_and_a_bar_chart() {
    let a = ask("show me last month's sales by region");
    assert_eq!(a["route"], "answer");
    assert_eq!(a["language"], "sql");
    assert_eq!(a["chart"]["kind"], "bar");
    assert_eq!(a["chart"]["x"], "region");
    assert!(
        a["interpretation"]
            .as_str()
            .unwrap_or_default()
            .contains("1–31 October 2026"),
        "{}",
        a["interpretation"]
    );
    let mut got: Vec<(String, f64)> = a["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r[0].as_str().expect("region").to_string(),
                r[1].as_f64().expect("revenue"),
            )
        })
        .collect();
    got.sort_by(|x, y| x.0.cmp(&y.0));
    let want = reference("SELECT region, SUM(revenue) FROM sales WHERE order_date BETWEEN '2026-10-01' AND '2026-10-31' GROUP BY region");
    assert_eq!(got.len(), 5, "five regions");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.0, w.0);
        assert!((g.1 - w.1).abs() < 0.01, "{}: {} vs {}", g.0, g.1, w.1);
    }
}

#[test]
fn json_has_exactly_the_contract_fields() {
    let a = ask("total revenue this year");
    let mut keys: Vec<&str> = a
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "cache",
            "chart",
            "code",
            "columns",
            "confidence",
            "cost",
            "error_kind",
            "interpretation",
            "language",
            "mappings",
            "message",
            "options",
            "route",
            "rows",
            "truncated"
        ]
    );
    assert_eq!(a["cost"]["source"], "none");
    assert_eq!(a["cost"]["total_usd"], 0.0);
    assert!(a["cache"].is_null() && a["error_kind"].is_null());
    assert_eq!(a["chart"]["kind"], "number");
    let revenue = a["mappings"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["said"] == "revenue"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        revenue["column"], "revenue",
        "each word says the column it was read as: {}",
        a["mappings"]
    );
    assert!(
        revenue["alternatives"]
            .as_array()
            .is_some_and(|a| !a.is_empty()),
        "and what else it could mean: {revenue}"
    );
}

#[test]
fn routes_clarify_fallback_and_refused() {
    let a = ask("how are we doing?");
    assert_eq!(a["route"], "clarify");
    let options = a["options"].as_array().expect("options");
    assert!((1..=3).contains(&options.len()), "{options:?}");
    assert!(a["rows"].as_array().expect("rows").is_empty());
    let a = ask("what's the weather in Paris tomorrow?");
    assert_eq!(a["route"], "fallback");
    assert!(a["message"]
        .as_str()
        .unwrap_or_default()
        .contains("I can answer questions about"));
    for q in ["delete all refunded orders", "drop the customers table"] {
        let a = ask(q);
        assert_eq!(a["route"], "refused", "{q}");
        assert!(a["code"].is_null(), "{q}: nothing runs");
        assert!(
            a["message"]
                .as_str()
                .unwrap_or_default()
                .contains("never changes"),
            "{q}"
        );
    }
}

#[test]
fn monthly_series_gets_a_line_chart() {
    let a = ask("monthly revenue for the last 12 months");
    assert_eq!(a["chart"]["kind"], "line");
    assert_eq!(a["rows"].as_array().expect("rows").len(), 12);
}

#[test]
fn without_db_the_sample_is_created_in_the_data_dir() {
    let data = tempfile::tempdir().expect("temp dir");
    let out = Command::new(bin())
        .args([
            "ask",
            "--today",
            TODAY,
            "--json",
            "top 5 products by revenue",
        ])
        .env("PLAINSIGHT_DATA_DIR", data.path())
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        data.path().join("sample.sqlite").is_file(),
        "sample database created in PLAINSIGHT_DATA_DIR"
    );
    let a: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(a["rows"].as_array().expect("rows").len(), 5);
}

#[test]
fn sql_runs_through_guard_and_executor() {
    let db = sample_db().to_str().expect("utf-8 path");
    let out = run(&[
        "sql",
        "--db",
        db,
        "--max-rows",
        "3",
        "SELECT name FROM regions ORDER BY name",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["columns"], serde_json::json!(["name"]));
    assert_eq!(
        v["rows"],
        serde_json::json!([["Central"], ["East"], ["North"]])
    );
    assert_eq!(v["truncated"], true);
    fails_with(&["sql", "--db", db, "DELETE FROM orders"], "refused");
    fails_with(
        &["sql", "--db", db, "SELECT 1; DROP TABLE orders"],
        "one statement",
    );
    fails_with(
        &[
            "sql",
            "--db",
            db,
            "--timeout-ms",
            "100",
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n) SELECT max(x) FROM n",
        ],
        "longer than 100 ms",
    );
}

#[test]
fn questions_and_write_attempts_never_change_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("copy.sqlite");
    std::fs::copy(sample_db(), &db).expect("copy");
    let before = std::fs::read(&db).expect("read");
    let p = db.to_str().expect("utf-8 path");
    for q in [
        "show me last month's sales by region",
        "delete all refunded orders",
        "how many orders were refunded last month",
    ] {
        assert!(run(&["ask", "--db", p, "--today", TODAY, "--json", q])
            .status
            .success());
    }
    for stmt in [
        "UPDATE orders SET status = 'x'",
        "PRAGMA query_only = 0",
        "ATTACH DATABASE 'x.db' AS x",
        "CREATE TEMP TABLE t AS SELECT 1",
    ] {
        assert!(
            !run(&["sql", "--db", p, stmt]).status.success(),
            "{stmt} must fail"
        );
    }
    assert!(
        std::fs::read(&db).expect("read") == before,
        "the database file changed"
    );
}

#[test]
fn bad_input_gets_one_plain_line_and_a_failure_code() {
    let db = sample_db().to_str().expect("utf-8 path");
    fails_with(
        &["ask", "--db", "/nonexistent/shop.sqlite", "--json", "sales"],
        "no database at /nonexistent/shop.sqlite",
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let text = dir.path().join("notes.sqlite");
    std::fs::write(
        &text,
        "this is a plain text file pretending to be a database, with enough bytes",
    )
    .expect("write");
    fails_with(
        &[
            "ask",
            "--db",
            text.to_str().expect("utf-8"),
            "--json",
            "sales",
        ],
        "not a SQLite database",
    );
    fails_with(
        &["ask", "--db", db, "--json", "   "],
        "type a question first",
    );
    let out = run(&["ask", "--db", db, "--today", "26/11/2026", "sales"]);
    assert_eq!(out.status.code(), Some(2), "bad arguments exit 2");
}

#[test]
fn imported_csvs_can_be_asked_about_and_bad_files_are_refused_plainly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ws = dir.path().join("workspace.db");
    let w = ws.to_str().expect("utf-8");
    let orders = dir.path().join("orders.csv");
    std::fs::write(
        &orders,
        "order_id,customer_id,order_date,amount\n1,1,2026-10-03,\"$1,200.00\"\n2,2,2026-10-04,$80\n3,1,2026-11-02,$20\n",
    )
    .expect("write");
    let customers = dir.path().join("customers.csv");
    std::fs::write(&customers, "customer_id,name\n1,Ada\n2,Grace\n").expect("write");
    for file in [&orders, &customers] {
        let out = run(&[
            "import",
            file.to_str().expect("utf-8"),
            "--workspace",
            w,
            "--json",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = run(&[
        "import",
        orders.to_str().expect("utf-8"),
        "--workspace",
        w,
        "--json",
    ]);
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("already exists"),
        "re-import without --replace"
    );
    let summary: Value = serde_json::from_slice(
        &run(&[
            "import",
            orders.to_str().expect("utf-8"),
            "--workspace",
            w,
            "--replace",
            "--json",
        ])
        .stdout,
    )
    .expect("json");
    assert_eq!(summary["rows_imported"], 3);
    assert_eq!(
        summary["columns"][3],
        serde_json::json!({"name": "amount", "type": "REAL"})
    );
    let out = run(&[
        "ask",
        "--db",
        w,
        "--today",
        TODAY,
        "--json",
        "revenue by customer last month",
    ]);
    let a: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(a["route"], "answer", "{a}");
    assert_eq!(
        a["rows"],
        serde_json::json!([["Ada", 1200.0], ["Grace", 80.0]]),
        "{}",
        a["code"]
    );
    let binary = dir.path().join("photo.csv");
    std::fs::write(&binary, b"\x89PNG\r\n\x1a\n\0\0\0IHDR").expect("write");
    fails_with(
        &["import", binary.to_str().expect("utf-8"), "--workspace", w],
        "binary data",
    );
    let out = run(&[
        "import",
        orders.to_str().expect("utf-8"),
        "--workspace",
        w,
        "--replace",
        "--type",
        "amount=money",
    ]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a column type")
            && out.status.code() == Some(2),
        "bad --type"
    );
    let out = run(&[
        "import",
        orders.to_str().expect("utf-8"),
        "--workspace",
        w,
        "--replace",
        "--json",
        "--type",
        "order_id=text",
    ]);
    let summary: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        summary["columns"][0],
        serde_json::json!({"name": "order_id", "type": "TEXT"}),
        "the chosen type wins"
    );
}

#[test]
fn a_keyword_named_file_with_na_cells_imports_and_its_warnings_are_printed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ws = dir.path().join("workspace.db");
    let w = ws.to_str().expect("utf-8");
    let order = dir.path().join("order.csv");
    std::fs::write(&order, "group,Unit Price\nA,NA\nB,2.5\nA,N/A\n").expect("write");
    let file = order.to_str().expect("utf-8");
    let summary: Value =
        serde_json::from_slice(&run(&["import", file, "--workspace", w, "--json"]).stdout)
            .expect("json");
    assert_eq!(summary["table"], "order");
    assert_eq!(
        summary["columns"][1],
        serde_json::json!({"name": "Unit Price", "type": "REAL"})
    );
    assert_eq!(
        summary["warnings"],
        serde_json::json!(["2 cells read as empty (NA, N/A) in \"Unit Price\"."])
    );
    let text = run(&["import", file, "--workspace", w, "--replace"]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("  2 cells read as empty (NA, N/A)"),
        "{text:?}"
    );
    let out = run(&[
        "sql",
        "--db",
        w,
        "SELECT \"group\", count(\"Unit Price\") FROM \"order\" GROUP BY 1",
    ]);
    let rows: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        rows["rows"],
        serde_json::json!([["A", 0], ["B", 1]]),
        "{rows}"
    );
}

/// Runs the CLI with its own data directory and extra environment.
fn run_in(data: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env("PLAINSIGHT_DATA_DIR", data)
        .envs(env.iter().copied())
        .output()
        .expect("plainsight runs")
}

#[test]
fn the_glossary_and_router_thresholds_change_how_questions_are_read() {
    let data = tempfile::tempdir().expect("temp dir");
    let db = sample_db().to_str().expect("utf-8 path");
    let ask_with = |env: &[(&str, &str)], q: &str| -> Value {
        let out = run_in(
            data.path(),
            env,
            &["ask", "--db", db, "--today", TODAY, "--json", q],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let before = ask_with(&[], "bestsellers by region");
    assert_ne!(
        before["route"], "answer",
        "\"bestsellers\" means nothing yet: {before}"
    );
    let out = run_in(
        data.path(),
        &[],
        &[
            "glossary",
            "set",
            "bestsellers",
            "top",
            "10",
            "products",
            "by",
            "units",
            "sold",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value =
        serde_json::from_slice(&run_in(data.path(), &[], &["glossary", "list"]).stdout)
            .expect("json");
    assert_eq!(
        list,
        serde_json::json!([{"term": "bestsellers", "meaning": "top 10 products by units sold"}])
    );
    let after = ask_with(&[], "bestsellers");
    assert_eq!(after["route"], "answer", "{after}");
    assert_eq!(after["rows"].as_array().map(Vec::len), Some(10));
    assert!(
        after["interpretation"].as_str().is_some_and(
            |i| i.starts_with("bestsellers = top 10 products by units sold (your glossary)")
        ),
        "{after}"
    );

    // Thresholds: a stricter route threshold turns a confident answer into a clarifying question.
    assert_eq!(
        ask_with(&[("CONFIDENCE_ROUTE_THRESHOLD", "0.99")], "sales by region")["route"],
        "clarify"
    );
    let out = run_in(
        data.path(),
        &[("CONFIDENCE_ROUTE_THRESHOLD", "lots")],
        &["ask", "--db", db, "--json", "sales by region"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && stderr.contains("CONFIDENCE_ROUTE_THRESHOLD must be a number from 0 to 1"),
        "{stderr}"
    );
    assert!(
        !run_in(data.path(), &[], &["glossary", "remove", "nothing-here"])
            .status
            .success()
    );

    // Stored settings apply to the CLI as they do to the app (one setup function), with the
    // Settings screen's keys, checks and messages.
    assert_eq!(ask_with(&[], "sales by region")["route"], "answer");
    let out = run_in(
        data.path(),
        &[],
        &["settings", "set", "route_threshold", "0.99"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        ask_with(&[], "sales by region")["route"],
        "clarify",
        "the stored threshold applies"
    );
    let out = run_in(data.path(), &[], &["settings", "get", "route_threshold"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0.99");
    let out = run_in(
        data.path(),
        &[],
        &["settings", "set", "fallback_threshold", "0.995"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("must not be above"),
        "{stderr}"
    );
    assert!(
        run_in(data.path(), &[], &["settings", "reset", "route_threshold"])
            .status
            .success()
    );
    assert_eq!(
        ask_with(&[], "sales by region")["route"],
        "answer",
        "and its default again after reset"
    );
    let listed: Value =
        serde_json::from_slice(&run_in(data.path(), &[], &["settings", "list", "--json"]).stdout)
            .expect("json");
    assert!(
        listed
            .as_array()
            .is_some_and(|a| a.iter().any(|f| f["key"] == "ai_mode")),
        "{listed}"
    );
}

#[test]
fn python_scripts_run_in_the_sandbox_with_read_only_query_sql() {
    let db = sample_db().to_str().expect("utf-8");
    let data = tempfile::tempdir().expect("temp dir");
    let run_script = |script: &str| -> Value {
        let mut child = Command::new(bin())
            .args(["python", "--db", db, "--json"])
            .env("PLAINSIGHT_DATA_DIR", data.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("runs");
        std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), script.as_bytes())
            .expect("write");
        let out = child.wait_with_output().expect("finishes");
        assert!(out.status.success(), "exit 0 even when the script fails");
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let ok = run_script("r = query_sql('SELECT region, SUM(revenue) AS revenue FROM sales GROUP BY region')\nprint(len(r))\nresult = sorted(r, key=lambda x: x['region'])");
    assert_eq!(ok["ok"], true, "{ok}");
    assert_eq!(ok["columns"], serde_json::json!(["region", "revenue"]));
    assert_eq!(ok["rows"].as_array().map(Vec::len), Some(5));
    assert_eq!(ok["stdout"], "5\n");
    let refused = run_script("query_sql('DELETE FROM orders')\nresult = 1");
    assert_eq!(refused["ok"], false);
    assert!(
        refused["error"]
            .as_str()
            .is_some_and(|e| e.contains("DELETE statements are not allowed")),
        "{refused}"
    );
    let escaped = run_script("import os\nresult = os.listdir('/')");
    assert_eq!(escaped["ok"], false);
    assert!(
        escaped["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("the Python script has a mistake")),
        "{escaped}"
    );
}

/// `--export` writes every format, named by the extension, beside a JSON answer that stays one
/// object; the CSV is exactly a header and one record per row; an unknown extension fails before
/// anything is asked.
#[test]
fn ask_and_sql_export_tables_charts_and_answer_cards() {
    let dir = tempfile::tempdir().expect("temp dir");
    let at = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_string();
    let db = sample_db().to_str().expect("utf-8 path");
    let question = "revenue by region last month";
    let (csv_path, xlsx, png, svg, html) = (
        at("t.csv"),
        at("t.xlsx"),
        at("c.png"),
        at("c.svg"),
        at("card.html"),
    );
    let out = run(&[
        "ask",
        "--db",
        db,
        "--today",
        TODAY,
        "--offline",
        "--json",
        "--export",
        &csv_path,
        "--export",
        &xlsx,
        "--export",
        &png,
        "--export",
        &svg,
        "--export",
        &html,
        question,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_slice(&out.stdout).expect("exactly one JSON object");
    let rows = answer["rows"].as_array().expect("rows");
    assert!(rows.len() >= 2, "{answer}");

    let text = std::fs::read_to_string(&csv_path).expect("the CSV");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "region,revenue");
    assert_eq!(
        lines.len(),
        1 + rows.len(),
        "a header and one line per row: {text}"
    );
    let records: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("a record"))
        .collect();
    assert_eq!(records[0][0], *rows[0][0].as_str().expect("a region"));
    let revenue: f64 = records[0][1].parse().expect("a number");
    assert!((revenue - rows[0][1].as_f64().expect("a number")).abs() < 1e-6);

    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).expect("an XLSX workbook");
    let sheet = book.worksheet_range("Answer").expect("its worksheet");
    assert_eq!(sheet.height(), 1 + rows.len());
    assert!(matches!(sheet.get((1, 1)), Some(calamine::Data::Float(_))));

    assert!(std::fs::read(&png)
        .expect("the PNG")
        .starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(std::fs::read_to_string(&svg)
        .expect("the SVG")
        .contains("<svg"));
    let card = std::fs::read_to_string(&html).expect("the card");
    for part in [
        question,
        "SELECT region",
        "<svg",
        "<table",
        "Data source",
        "Cost",
    ] {
        assert!(card.contains(part), "the card shows {part:?}");
    }
    assert!(
        !card.contains("http://") && !card.contains("https://") && !card.contains("<script"),
        "the card is self-contained, with no script"
    );

    // An unknown extension: refused at once, nothing written.
    let pdf = at("t.pdf");
    fails_with(
        &[
            "ask",
            "--db",
            db,
            "--today",
            TODAY,
            "--offline",
            "--export",
            &pdf,
            question,
        ],
        ".csv, .xlsx, .png, .svg or .html",
    );
    assert!(!Path::new(&pdf).exists());
    // A table without a chart: the chart export says so, the table export still works.
    let none = at("none.png");
    let out = run(&[
        "sql",
        "--db",
        db,
        "--export",
        &none,
        "SELECT name FROM customers LIMIT 3",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no chart"));
}

/// A text cell that a spreadsheet would run as a formula is neutralised in CSV (a leading `'`)
/// and stays a string in XLSX; numbers and negative numbers are left alone.
#[test]
fn exported_cells_that_look_like_formulas_are_neutralised() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv_path = dir.path().join("h.csv");
    let xlsx = dir.path().join("h.xlsx");
    let db = sample_db().to_str().expect("utf-8 path");
    let out = run(&[
        "sql", "--db", db,
        "--export", csv_path.to_str().expect("utf-8"),
        "--export", xlsx.to_str().expect("utf-8"),
        "SELECT '=HYPERLINK(\"http://127.0.0.1\",\"x\")' AS a, '+1+1' AS b, '-2+3+cmd' AS c, '@SUM(1)' AS d, '-5' AS e, -7 AS f, 'North' AS g",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&csv_path).expect("the CSV");
    let record = csv::Reader::from_reader(text.as_bytes())
        .records()
        .next()
        .expect("one row")
        .expect("a record");
    let cells: Vec<&str> = record.iter().collect();
    assert_eq!(
        cells,
        [
            "'=HYPERLINK(\"http://127.0.0.1\",\"x\")",
            "'+1+1",
            "'-2+3+cmd",
            "'@SUM(1)",
            "-5",
            "-7",
            "North"
        ]
    );
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).expect("an XLSX workbook");
    let formulas = book.worksheet_formula("Answer").expect("formulas");
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no formula cell"
    );
    let sheet = book.worksheet_range("Answer").expect("values");
    assert_eq!(
        sheet.get((1, 0)),
        Some(&calamine::Data::String(
            "=HYPERLINK(\"http://127.0.0.1\",\"x\")".into()
        ))
    );
}
