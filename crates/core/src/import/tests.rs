//! Import round trips on real files in a temp dir, and every bad input with its message.
use super::*;

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn file(&self, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
    fn workspace(&self) -> std::path::PathBuf {
        self.dir.path().join("workspace.db")
    }
    fn import(&self, file: &Path, opts: &ImportOptions) -> Result<ImportSummary, ImportError> {
        import_file(&self.workspace(), file, opts, &mut |_| true)
    }
    fn rows(&self, sql: &str) -> Vec<Vec<rusqlite::types::Value>> {
        let conn = Connection::open(self.workspace()).unwrap();
        let mut stmt = conn.prepare(sql).unwrap();
        let n = stmt.column_count();
        stmt.query_map([], |r| (0..n).map(|i| r.get(i)).collect())
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
}

use rusqlite::types::Value::{Integer as I, Null, Real as R, Text as T};

#[test]
fn a_shop_export_is_imported_with_types_and_iso_dates() {
    let f = Fixture::new();
    let csv = f.file(
        "Sales Export (Oct).csv",
        "Order Date,Region,Amount,Units,Discount,Zip\n25/10/2026,West,\"$1,234.50\",3,10%,02139\n03/10/2026,East,$99,,0%,10001\n"
            .as_bytes(),
    );
    let s = f.import(&csv, &ImportOptions::default()).unwrap();
    assert_eq!(s.table, "sales_export_oct");
    assert_eq!((s.rows_imported, s.rows_skipped), (2, 0));
    let types: Vec<(&str, ColumnType)> =
        s.columns.iter().map(|c| (c.name.as_str(), c.ty)).collect();
    assert_eq!(
        types,
        [
            ("Order Date", ColumnType::Date),
            ("Region", ColumnType::Text),
            ("Amount", ColumnType::Real),
            ("Units", ColumnType::Integer),
            ("Discount", ColumnType::Real),
            ("Zip", ColumnType::Text)
        ]
    );
    assert!(
        s.warnings.iter().any(|w| w.contains("day/month")),
        "{:?}",
        s.warnings
    );
    assert_eq!(
        f.rows("SELECT * FROM sales_export_oct ORDER BY 1"),
        [
            vec![
                T("2026-10-03".into()),
                T("East".into()),
                R(99.0),
                Null,
                R(0.0),
                T("10001".into())
            ],
            vec![
                T("2026-10-25".into()),
                T("West".into()),
                R(1234.5),
                I(3),
                R(0.1),
                T("02139".into())
            ],
        ]
    );
}

#[test]
fn bad_rows_are_skipped_with_reasons_and_duplicate_headers_renamed() {
    let f = Fixture::new();
    let csv = f.file("t.csv", b"a,a,b\n1,2,3\n4,5\n\n6,7,8\n");
    let s = f.import(&csv, &ImportOptions::default()).unwrap();
    assert_eq!(
        s.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["a", "a_2", "b"]
    );
    assert_eq!((s.rows_imported, s.rows_skipped), (2, 1));
    assert_eq!(s.skipped, ["line 3 has 2 values, expected 3"]);
}

#[test]
fn windows_1252_text_and_semicolons_are_read() {
    let f = Fixture::new();
    let csv = f.file("clients.csv", b"name;city\nRen\xe9;K\xf6ln\n");
    let s = f.import(&csv, &ImportOptions::default()).unwrap();
    assert!(s.warnings.iter().any(|w| w.contains("Windows-1252")));
    assert_eq!(
        f.rows("SELECT name, city FROM clients"),
        [vec![T("René".into()), T("Köln".into())]]
    );
}

#[test]
fn bad_files_get_plain_messages_and_leave_the_workspace_alone() {
    let f = Fixture::new();
    let good = f.file("keep.csv", b"x\n1\n");
    f.import(&good, &ImportOptions::default()).unwrap();
    let cases: Vec<(std::path::PathBuf, &str)> = vec![
        (f.file("empty.csv", b""), "is empty"),
        (f.file("blank.csv", b"\n\n  \n"), "is empty"),
        (
            f.file("photo.csv", b"\x89PNG\r\n\x1a\n\0\0\0IHDR"),
            "binary data",
        ),
        (f.file("notes.pdf", b"%PDF-1.4"), "cannot be imported"),
        (
            f.file("fake.xlsx", b"not a zip"),
            "could not be opened as a spreadsheet",
        ),
        (f.dir.path().join("missing.csv"), "could not read"),
    ];
    for (path, needle) in cases {
        let err = f
            .import(&path, &ImportOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(needle),
            "{}: {err:?} should mention {needle:?}",
            path.display()
        );
    }
    let again = f.import(&good, &ImportOptions::default()).unwrap_err();
    assert!(
        matches!(again, ImportError::TableExists(ref t) if t == "keep"),
        "{again:?}"
    );
    assert_eq!(
        f.rows("SELECT x FROM keep"),
        [vec![I(1)]],
        "earlier imports survive failures"
    );
}

#[test]
fn cancel_and_replace_are_all_or_nothing() {
    let f = Fixture::new();
    let mut big = String::from("n,label\n");
    for i in 0..12_000 {
        big.push_str(&format!("{i},row {i}\n"));
    }
    let csv = f.file("numbers.csv", big.as_bytes());
    f.import(
        &f.file("numbers_v1.csv", b"n\n1\n"),
        &ImportOptions {
            table: Some("numbers".into()),
            ..ImportOptions::default()
        },
    )
    .unwrap();
    let mut calls = 0;
    let err = import_file(
        &f.workspace(),
        &csv,
        &ImportOptions {
            replace: true,
            ..ImportOptions::default()
        },
        &mut |p| {
            calls += 1;
            assert_eq!(p.total, 12_000);
            false
        },
    )
    .unwrap_err();
    assert!(matches!(err, ImportError::Cancelled));
    assert_eq!(calls, 1);
    assert_eq!(
        f.rows("SELECT count(*) FROM numbers"),
        [vec![I(1)]],
        "a cancelled replace keeps the old table"
    );
    let s = f
        .import(
            &csv,
            &ImportOptions {
                replace: true,
                ..ImportOptions::default()
            },
        )
        .unwrap();
    assert_eq!(s.rows_imported, 12_000);
    assert_eq!(
        f.rows("SELECT count(*), sum(n) FROM numbers"),
        [vec![I(12_000), I(71_994_000)]]
    );
}

#[test]
fn headerless_files_get_column_names() {
    let f = Fixture::new();
    let s = f
        .import(
            &f.file("raw.csv", b"1,2026-01-05\n2,2026-01-06\n"),
            &ImportOptions::default(),
        )
        .unwrap();
    assert_eq!(
        s.columns
            .iter()
            .map(|c| (c.name.as_str(), c.ty))
            .collect::<Vec<_>>(),
        [
            ("column_1", ColumnType::Integer),
            ("column_2", ColumnType::Date)
        ]
    );
    assert_eq!(s.rows_imported, 2);
}

#[test]
fn table_names_are_sanitised() {
    assert_eq!(table_name("Sales Export (Oct)"), "sales_export_oct");
    assert_eq!(table_name("2026 budget"), "t_2026_budget");
    assert_eq!(table_name("***"), "imported");
}

/// Writes a table of a real database as CSV (what a user's export looks like), quoting as needed.
fn export_csv(conn: &Connection, table: &str, out: &Path) -> usize {
    let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
    let names: Vec<String> = stmt.column_names().map(str::to_string).collect();
    let mut w = csv::Writer::from_path(out).unwrap();
    w.write_record(&names).unwrap();
    let mut rows = stmt.query([]).unwrap();
    let mut n = 0;
    while let Some(r) = rows.next().unwrap() {
        let cells: Vec<String> = (0..names.len())
            .map(|i| match r.get_ref(i).unwrap() {
                rusqlite::types::ValueRef::Null | rusqlite::types::ValueRef::Blob(_) => {
                    String::new()
                }
                rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                rusqlite::types::ValueRef::Real(v) => v.to_string(),
                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
            })
            .collect();
        w.write_record(&cells).unwrap();
        n += 1;
    }
    w.flush().unwrap();
    n
}

#[test]
fn chinook_and_northwind_round_trip_through_csv() {
    let f = Fixture::new();
    let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");
    for (db, tables) in [
        (
            "chinook.sqlite",
            &["Invoice", "InvoiceLine", "Customer", "Track"][..],
        ),
        ("northwind.sqlite", &["Orders", "Products", "Customers"][..]),
    ] {
        let src = Connection::open_with_flags(
            format!("{shared}/{db}"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        for table in tables {
            let csv = f.dir.path().join(format!("{table}.csv"));
            let exported = export_csv(&src, table, &csv);
            let s = f
                .import(
                    &csv,
                    &ImportOptions {
                        replace: true,
                        ..ImportOptions::default()
                    },
                )
                .unwrap();
            assert_eq!(
                s.rows_imported as usize, exported,
                "{db} {table}: every row imported ({:?})",
                s.skipped
            );
            // Numbers come back as the same numbers, text as the same text.
            let numeric: Vec<&ImportedColumn> = s
                .columns
                .iter()
                .filter(|c| matches!(c.ty, ColumnType::Integer | ColumnType::Real))
                .collect();
            for c in numeric {
                let q = format!("SELECT total(\"{}\") FROM \"{}\"", c.name, s.table);
                let want: f64 = src
                    .query_row(
                        &format!("SELECT total(\"{}\") FROM \"{table}\"", c.name),
                        [],
                        |r| r.get(0),
                    )
                    .unwrap();
                let got: f64 = Connection::open(f.workspace())
                    .unwrap()
                    .query_row(&q, [], |r| r.get(0))
                    .unwrap();
                assert!(
                    (want - got).abs() < 1e-6 * want.abs().max(1.0),
                    "{db} {table}.{}: {want} vs {got}",
                    c.name
                );
            }
        }
    }
}

#[test]
fn any_accepted_csv_reexports_to_the_same_normalised_values() {
    // A property test with a fixed-seed generator: random cells of every supported shape.
    let mut state = 0x1234_5678_9abc_def0_u64;
    let mut next = move |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    for round in 0..40 {
        let f = Fixture::new();
        let kinds: Vec<u64> = (0..4).map(|_| next(5)).collect();
        let mut text = String::from("c0,c1,c2,c3\n");
        let mut expected: Vec<Vec<rusqlite::types::Value>> = Vec::new();
        for _ in 0..(1 + next(30)) {
            let mut cells = Vec::new();
            let mut want = Vec::new();
            for k in &kinds {
                let (cell, value) = match k {
                    0 => {
                        let v = next(2_000_000) as i64 - 1_000_000;
                        (v.to_string(), I(v))
                    }
                    1 => {
                        let cents = next(100_000_000) as i64;
                        let v = cents as f64 / 100.0;
                        (format!("\"${}\"", format_thousands(cents)), R(v))
                    }
                    2 => {
                        let d = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()
                            + chrono::Days::new(next(2000));
                        (
                            d.format("%Y-%m-%d").to_string(),
                            T(d.format("%Y-%m-%d").to_string()),
                        )
                    }
                    3 => {
                        let s = format!("word {}", next(1000));
                        (s.clone(), T(s))
                    }
                    _ => (String::new(), Null),
                };
                cells.push(cell);
                want.push(value);
            }
            text.push_str(&cells.join(","));
            text.push('\n');
            expected.push(want);
        }
        let csv = f.file("p.csv", text.as_bytes());
        let s = f.import(&csv, &ImportOptions::default()).unwrap();
        assert_eq!(s.rows_imported as usize, expected.len(), "round {round}");
        let got = f.rows("SELECT * FROM p ORDER BY rowid");
        for (g, w) in got.iter().zip(&expected) {
            for (gv, wv) in g.iter().zip(w) {
                match (gv, wv) {
                    (R(a), R(b)) => assert!((a - b).abs() < 1e-9, "round {round}: {a} vs {b}"),
                    (I(a), R(b)) => {
                        assert!((*a as f64 - b).abs() < 1e-9, "round {round}: {a} vs {b}");
                    }
                    (a, b) => assert_eq!(a, b, "round {round}"),
                }
            }
        }
    }
}

fn format_thousands(cents: i64) -> String {
    let whole = (cents / 100).to_string();
    let mut out = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{out}.{:02}", cents % 100)
}

/// Set in the child process that runs [`large_stream_child`] alone.
const LARGE_STREAM_CHILD: &str = "PLAINSIGHT_LARGE_STREAM_CHILD";

#[test]
fn a_large_stream_imports_with_bounded_memory() {
    // Peak memory is per process, and other tests run in parallel threads of this one: run the
    // import alone in a child process (this test binary, filtered to one test).
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "import::tests::large_stream_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(LARGE_STREAM_CHILD, "1")
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && report.contains("1 passed"),
        "{report}"
    );
}

#[test]
#[ignore = "run in its own process by a_large_stream_imports_with_bounded_memory"]
fn large_stream_child() {
    if std::env::var_os(LARGE_STREAM_CHILD).is_none() {
        return;
    }
    // About 200 MB of CSV (wide rows keep the test quick), generated to disk; the importer streams it.
    let f = Fixture::new();
    let path = f.dir.path().join("big.csv");
    {
        use std::io::Write;
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        writeln!(w, "id,day,region,note,amount").unwrap();
        let filler = "x".repeat(790);
        for i in 0..250_000u32 {
            writeln!(
                w,
                "{i},2026-{:02}-{:02},R{},{filler},{}.{:02}",
                i % 12 + 1,
                i % 28 + 1,
                i % 5,
                i % 1000,
                i % 100
            )
            .unwrap();
        }
    }
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > 190_000_000, "about 200 MB, got {size}");
    let mut last = Progress { done: 0, total: 0 };
    let s = import_file(&f.workspace(), &path, &ImportOptions::default(), &mut |p| {
        assert!(p.done >= last.done, "progress only moves forward");
        last = p;
        true
    })
    .unwrap();
    assert_eq!(s.rows_imported, 250_000);
    assert_eq!(
        last,
        Progress {
            done: 250_000,
            total: 250_000
        }
    );
    // Peak resident memory of this whole test process stays far below the file's size.
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(kb) = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
    {
        assert!(
            kb < 120_000,
            "peak memory {kb} KiB for a {size}-byte file: the import must stream"
        );
    }
    assert_eq!(
        s.columns.iter().map(|c| c.ty).collect::<Vec<_>>(),
        [
            ColumnType::Integer,
            ColumnType::Date,
            ColumnType::Text,
            ColumnType::Text,
            ColumnType::Real
        ]
    );
}

#[test]
fn types_the_person_corrects_are_used_on_reimport() {
    let f = Fixture::new();
    let csv = f.file("refs.csv", b"Ref,Discount\n1001,10%\n1002,5%\n");
    let first = f.import(&csv, &ImportOptions::default()).unwrap();
    assert_eq!(
        first.columns.iter().map(|c| c.ty).collect::<Vec<_>>(),
        [ColumnType::Integer, ColumnType::Real]
    );
    let opts = ImportOptions {
        replace: true,
        types: vec![
            ("ref".into(), ColumnType::Text),
            ("Discount".into(), ColumnType::Text),
            ("Nope".into(), ColumnType::Date),
        ],
        ..ImportOptions::default()
    };
    let again = f.import(&csv, &opts).unwrap();
    assert_eq!(
        again.columns.iter().map(|c| c.ty).collect::<Vec<_>>(),
        [ColumnType::Text, ColumnType::Text]
    );
    assert!(
        again
            .warnings
            .iter()
            .any(|w| w.contains("\"Ref\" was imported as text as you chose")),
        "{:?}",
        again.warnings
    );
    assert!(
        again
            .warnings
            .iter()
            .any(|w| w.contains("no column \"Nope\"")),
        "{:?}",
        again.warnings
    );
    assert_eq!(
        f.rows("SELECT * FROM refs ORDER BY 1"),
        [
            vec![T("1001".into()), T("10%".into())],
            vec![T("1002".into()), T("5%".into())]
        ]
    );
    assert_eq!(ColumnType::parse(" DateTime "), Some(ColumnType::DateTime));
    assert_eq!(ColumnType::parse("number"), Some(ColumnType::Real));
    assert_eq!(ColumnType::parse("money"), None);
}

#[test]
fn an_excel_workbook_imports_by_sheet_with_real_dates_and_numbers() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let f = Fixture::new();
    let path = f.dir.path().join("Q3 Report.xlsx");
    let mut book = Workbook::new();
    let notes = book.add_worksheet().set_name("Notes").unwrap();
    notes.write_string(0, 0, "Prepared by the office").unwrap();
    let orders = book.add_worksheet().set_name("Orders").unwrap();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    for (c, h) in ["Date", "Customer", "Total", "Units"].iter().enumerate() {
        orders
            .write_string(0, u16::try_from(c).unwrap(), *h)
            .unwrap();
    }
    let data = [
        ((2026, 7, 14), "Ana", 120.5, 3),
        ((2026, 8, 2), "Bo", 99.0, 1),
        ((2026, 9, 30), "Cy", 1_234.25, 12),
    ];
    for (r, ((y, m, d), who, total, units)) in data.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap();
        orders
            .write_datetime_with_format(r, 0, ExcelDateTime::from_ymd(*y, *m, *d).unwrap(), &date)
            .unwrap();
        orders.write_string(r, 1, *who).unwrap();
        orders.write_number(r, 2, *total).unwrap();
        orders.write_number(r, 3, f64::from(*units)).unwrap();
    }
    book.save(&path).unwrap();

    let s = f
        .import(
            &path,
            &ImportOptions {
                sheet: Some("Orders".into()),
                ..ImportOptions::default()
            },
        )
        .unwrap();
    assert_eq!(s.table, "q3_report_orders");
    assert_eq!(
        s.columns
            .iter()
            .map(|c| (c.name.as_str(), c.ty))
            .collect::<Vec<_>>(),
        [
            ("Date", ColumnType::Date),
            ("Customer", ColumnType::Text),
            ("Total", ColumnType::Real),
            ("Units", ColumnType::Integer)
        ]
    );
    assert_eq!(
        f.rows("SELECT * FROM q3_report_orders ORDER BY 1"),
        [
            vec![T("2026-07-14".into()), T("Ana".into()), R(120.5), I(3)],
            vec![T("2026-08-02".into()), T("Bo".into()), R(99.0), I(1)],
            vec![T("2026-09-30".into()), T("Cy".into()), R(1234.25), I(12)],
        ]
    );
    // The first sheet is the default; a missing sheet names the ones there are.
    let first = f
        .import(
            &path,
            &ImportOptions {
                table: Some("notes".into()),
                ..ImportOptions::default()
            },
        )
        .unwrap();
    assert_eq!(first.table, "notes");
    let err = f
        .import(
            &path,
            &ImportOptions {
                sheet: Some("Totals".into()),
                ..ImportOptions::default()
            },
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{} has no sheet named \"Totals\" (it has: Notes, Orders)",
            path.display()
        )
    );
}

mod shipped;

#[test]
fn spreadsheet_bombs_are_refused_before_they_allocate() {
    use rust_xlsxwriter::Workbook;
    let f = Fixture::new();
    // Two cells, at A1 and XFD1048576: a 17-billion-cell grid if allocated.
    let far = f.dir.path().join("far.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "a").unwrap();
    sheet.write_string(1_048_575, 16_383, "z").unwrap();
    book.save(&far).unwrap();
    let err = f.import(&far, &ImportOptions::default()).unwrap_err();
    assert!(matches!(err, ImportError::SheetTooLarge { .. }), "{err}");
    assert!(
        err.to_string().contains("1048576 rows by 16384 columns"),
        "{err}"
    );
    // One shared string of 30,000 characters in 9,000 cells: 270 MB of text from a small file.
    let shared = f.dir.path().join("shared.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let big = "x".repeat(30_000);
    for r in 0..9_000 {
        sheet.write_string(r, 0, &big).unwrap();
    }
    book.save(&shared).unwrap();
    let err = f.import(&shared, &ImportOptions::default()).unwrap_err();
    assert!(err.to_string().contains("MB of text"), "{err}");
    // Nothing was created by either.
    assert!(
        !f.workspace().exists()
            || f.rows("SELECT count(*) FROM sqlite_schema WHERE type = 'table'") == [vec![I(0)]]
    );
}
