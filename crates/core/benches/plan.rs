//! Planning time: `cargo bench -p plainsight-core --bench plan`.
//!
//! Plans every question of the dev set (../shared/eval/questions.dev.jsonl) against the sample
//! schema and every question of our Chinook and Northwind sets (tests/eval/) against theirs, one
//! bench per question, beside `baseline_words`: splitting the same question into words (the
//! cheapest step every plan takes). Target from issue 4: no question over 50 ms.

use std::sync::OnceLock;

use chrono::NaiveDate;
use plainsight_core::planner::Planner;

fn main() {
    // Build the schemas' models first, so no sample pays for it.
    let _ = (planner(), chinook(), northwind());
    divan::main();
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).expect("date")
}

fn planner() -> &'static Planner {
    static P: OnceLock<Planner> = OnceLock::new();
    P.get_or_init(|| {
        let mut conn = rusqlite::Connection::open_in_memory().expect("memory db");
        plainsight_core::sample::generate(
            &mut conn,
            today(),
            plainsight_core::sample::DEFAULT_ORDERS,
        )
        .expect("sample");
        Planner::new(
            &plainsight_core::schema::introspect(&conn).expect("schema"),
            plainsight_core::source::Dialect::Sqlite,
        )
    })
}

fn open(path: &str) -> Planner {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("database");
    Planner::new(
        &plainsight_core::schema::introspect(&conn).expect("schema"),
        plainsight_core::source::Dialect::Sqlite,
    )
}

fn chinook() -> &'static Planner {
    static P: OnceLock<Planner> = OnceLock::new();
    P.get_or_init(|| {
        open(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/chinook.sqlite"
        ))
    })
}

fn northwind() -> &'static Planner {
    static P: OnceLock<Planner> = OnceLock::new();
    P.get_or_init(|| {
        open(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/northwind.sqlite"
        ))
    })
}

fn questions() -> Vec<String> {
    read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/eval/questions.dev.jsonl"
    ))
}

fn read(path: &str) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("dev questions")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["question"].as_str().map(str::to_string))
        .collect()
}

#[divan::bench(args = questions())]
fn plan(question: &str) -> f64 {
    divan::black_box(planner().plan(divan::black_box(question), today())).confidence
}

#[divan::bench(args = questions())]
fn baseline_words(question: &str) -> usize {
    divan::black_box(question)
        .split_whitespace()
        .map(str::to_lowercase)
        .count()
}

#[divan::bench(args = read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/eval/chinook.jsonl")))]
fn plan_chinook(question: &str) -> f64 {
    divan::black_box(chinook().plan(divan::black_box(question), today())).confidence
}

#[divan::bench(args = read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/eval/northwind.jsonl")))]
fn plan_northwind(question: &str) -> f64 {
    divan::black_box(northwind().plan(divan::black_box(question), today())).confidence
}
