//! Property-based fuzzing on stable Rust (proptest): the code that reads what we did not write —
//! generated SQL (the guard), an AI's reply (repair), a person's file (the importer) and their
//! question (the planner) — never panics and never overflows its stack, whatever the input. Each
//! property also runs on inputs shaped like its real input (SQL token soup, JSON-ish replies,
//! CSV-ish text, mutated XLSX archives), where plain random bytes would stop at the first check.
//!
//! The test command runs a short pass (`PROPTEST_CASES`, 256 by default; the deep-SQL property a
//! quarter of that and the importer's half, their inputs being larger); a longer run is
//! `PROPTEST_CASES=20000 cargo test -p plainsight-core --release --test fuzz`. A failure is
//! shrunk and saved under `proptest-regressions/`, which is committed, so it is run again first
//! every time (the regression test).

use std::sync::OnceLock;

use plainsight_core::import::{import_file, ImportOptions};
use plainsight_core::planner::Planner;
use plainsight_core::source::{DataSource, Dialect, SqliteSource};
use proptest::prelude::*;

/// SQL pieces the guard has to take apart: keywords, operators, functions, quotes and comments.
const SQL_TOKENS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "WITH",
    "RECURSIVE",
    "AS",
    "UNION",
    "ALL",
    "JOIN",
    "ON",
    "GROUP BY",
    "ORDER BY",
    "LIMIT",
    "(",
    ")",
    ",",
    ";",
    "*",
    "+",
    "-",
    "||",
    "=",
    "<>",
    "'",
    "\"",
    "`",
    "[",
    "]",
    "--",
    "/*",
    "*/",
    "1",
    "1e999",
    "x'00'",
    "NULL",
    "orders",
    "customers",
    "pragma_table_info",
    "json_each",
    "dbstat",
    "ATTACH",
    "DELETE",
    "UPDATE",
    "INSERT",
    "DROP",
    "PRAGMA",
    "CASE",
    "WHEN",
    "THEN",
    "END",
    "OVER",
    "PARTITION BY",
    "printf",
    "replace",
    "instr",
    "count(*)",
    "?",
    "$1",
    ":a",
    "\u{0}",
    "é",
    "\n",
];

fn sql_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(SQL_TOKENS), 0..200).prop_map(|t| t.join(" "))
}

/// Deeply nested shapes: parentheses, left-deep sums, subqueries and CASE, up to 200,000 levels.
fn deep_sql() -> impl Strategy<Value = String> {
    (0usize..4, 1usize..200_000).prop_map(|(shape, n)| match shape {
        0 => format!("SELECT {}1{}", "(".repeat(n), ")".repeat(n)),
        1 => format!("SELECT 1{}", "+1".repeat(n)),
        2 => format!(
            "SELECT {}1{}",
            "(SELECT ".repeat(n.min(20_000)),
            ")".repeat(n.min(20_000))
        ),
        _ => format!(
            "SELECT {}1{}",
            "CASE WHEN 1 THEN ".repeat(n.min(20_000)),
            " END".repeat(n.min(20_000))
        ),
    })
}

proptest! {
    #[test]
    fn the_guard_never_panics_on_any_text(sql in any::<String>()) {
        let _ = plainsight_core::guard::check(&sql);
        let _ = plainsight_core::guard::check_for(&sql, Dialect::Postgres);
    }

    #[test]
    fn the_guard_never_panics_on_sql_soup(sql in sql_soup()) {
        let _ = plainsight_core::guard::check(&sql);
        let _ = plainsight_core::guard::check_for(&sql, Dialect::Postgres);
    }
}

proptest! {
    // Each deep case is up to a few hundred KB: fewer of them.
    #![proptest_config(ProptestConfig { cases: ProptestConfig::default().cases / 4, ..ProptestConfig::default() })]
    #[test]
    fn deep_sql_is_refused_or_checked_without_overflowing_the_stack(sql in deep_sql()) {
        let _ = plainsight_core::guard::check(&sql);
    }
}

/// Reply pieces: fences, JSON punctuation, keys the reply format uses, think tags.
const REPLY_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "'",
    "\\",
    "```",
    "```json",
    "```sql",
    "<think>",
    "</think>",
    "\"sql\"",
    "\"python\"",
    "\"explanation\"",
    "\"code\"",
    "SELECT 1",
    "null",
    "true",
    "1.5",
    "\n",
    " ",
    "é",
    "\u{0}",
    "//",
    "/*",
    "*/",
];

proptest! {
    #[test]
    fn reply_repair_never_panics_on_any_text(raw in any::<String>()) {
        let _ = plainsight_core::llm::repair::parse_reply(&raw);
    }

    #[test]
    fn reply_repair_never_panics_on_reply_shaped_text(parts in prop::collection::vec(prop::sample::select(REPLY_TOKENS), 0..300)) {
        let _ = plainsight_core::llm::repair::parse_reply(&parts.concat());
    }
}

/// CSV pieces: separators, quotes, line ends, BOMs, numbers, dates and text in several encodings.
const CSV_TOKENS: &[&str] = &[
    ",",
    ";",
    "\t",
    "|",
    "\"",
    "\"\"",
    "\n",
    "\r\n",
    "\r",
    "\u{feff}",
    "1",
    "-2.5",
    "1,5",
    "1e308",
    "2024-01-31",
    "31/01/2024",
    "TRUE",
    "n/a",
    "",
    "name",
    "name",
    "é",
    "\u{0}",
    "=SUM(A1)",
    "\u{fffd}",
];

fn csv_text() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(prop::sample::select(CSV_TOKENS), 0..400)
            .prop_map(|t| t.concat().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..4_000),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: ProptestConfig::default().cases / 2, ..ProptestConfig::default() })]
    #[test]
    fn the_importer_never_panics_on_any_csv(bytes in csv_text()) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("data.csv");
        std::fs::write(&file, &bytes).unwrap();
        let workspace = dir.path().join("workspace.db");
        let _ = import_file(&workspace, &file, &ImportOptions::default(), &mut |_| true);
        if workspace.exists() {
            let conn = rusqlite::Connection::open(&workspace).unwrap();
            let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
            prop_assert_eq!(ok, "ok");
        }
    }

    #[test]
    fn the_importer_never_panics_on_a_damaged_xlsx(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..40)) {
        let mut bytes = xlsx().to_vec();
        for (at, byte) in flips {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("book.xlsx");
        std::fs::write(&file, &bytes).unwrap();
        let _ = import_file(&dir.path().join("workspace.db"), &file, &ImportOptions::default(), &mut |_| true);
    }
}

/// A small real workbook, made once.
fn xlsx() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in ["region", "month", "sales"].iter().enumerate() {
            sheet
                .write_string(0, u16::try_from(c).unwrap_or(0), *h)
                .expect("header");
        }
        for r in 1..20u32 {
            sheet
                .write_string(r, 0, ["North", "South", "East"][r as usize % 3])
                .expect("cell");
            sheet
                .write_string(r, 1, format!("2024-{:02}", r % 12 + 1))
                .expect("cell");
            sheet.write_number(r, 2, f64::from(r) * 12.5).expect("cell");
        }
        book.save_to_buffer().expect("a workbook")
    })
}

fn planner() -> &'static Planner {
    static PLANNER: OnceLock<Planner> = OnceLock::new();
    PLANNER.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("sample.db");
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 15).expect("a date");
        plainsight_core::sample::write_sample_db(&path, today, 500).expect("the sample database");
        let schema = SqliteSource::new(&path).schema().expect("its schema");
        Planner::new(&schema, Dialect::Sqlite)
    })
}

const QUESTION_WORDS: &[&str] = &[
    "show",
    "me",
    "total",
    "sales",
    "revenue",
    "by",
    "region",
    "last",
    "month",
    "top",
    "5",
    "products",
    "between",
    "and",
    "over",
    "$1.5k",
    "99%",
    "18446744073709551616",
    "-0",
    "in",
    "march",
    "q4",
    "2019",
    "per",
    "customer",
    "average",
    "not",
    "refunded",
    "vs",
    "\"",
    "'",
    "é",
    "\u{0}",
    "drop",
    "table",
    "?",
    "each",
    "since",
    "ytd",
    "the",
    "most",
    "least",
];

proptest! {
    #[test]
    fn the_question_reader_never_panics_on_any_text(q in any::<String>()) {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 15).unwrap();
        let _ = planner().plan(&q, today);
    }

    #[test]
    fn the_question_reader_never_panics_on_question_shaped_text(words in prop::collection::vec(prop::sample::select(QUESTION_WORDS), 0..40)) {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 15).unwrap();
        let _ = planner().plan(&words.join(" "), today);
    }
}
