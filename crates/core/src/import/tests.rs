//! Import round trips on real files in a temp dir, and every bad input with its message.
use super::*;

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        Self { dir: tempfile::tempdir().unwrap() }
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
        stmt.query_map([], |r| (0..n).map(|i| r.get(i)).collect()).unwrap().map(Result::unwrap).collect()
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
    let types: Vec<(&str, ColumnType)> = s.columns.iter().map(|c| (c.name.as_str(), c.ty)).collect();
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
    assert!(s.warnings.iter().any(|w| w.contains("day/month")), "{:?}", s.warnings);
    assert_eq!(
        f.rows("SELECT * FROM sales_export_oct ORDER BY 1"),
        [
            vec![T("2026-10-03".into()), T("East".into()), R(99.0), Null, R(0.0), T("10001".into())],
            vec![T("2026-10-25".into()), T("West".into()), R(1234.5), I(3), R(0.1), T("02139".into())],
        ]
    );
}

#[test]
fn bad_rows_are_skipped_with_reasons_and_duplicate_headers_renamed() {
    let f = Fixture::new();
    let csv = f.file("t.csv", b"a,a,b\n1,2,3\n4,5\n\n6,7,8\n");
    let s = f.import(&csv, &ImportOptions::default()).unwrap();
    assert_eq!(s.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["a", "a_2", "b"]);
    assert_eq!((s.rows_imported, s.rows_skipped), (2, 1));
    assert_eq!(s.skipped, ["line 3 has 2 values, expected 3"]);
}

#[test]
fn windows_1252_text_and_semicolons_are_read() {
    let f = Fixture::new();
    let csv = f.file("clients.csv", b"name;city\nRen\xe9;K\xf6ln\n");
    let s = f.import(&csv, &ImportOptions::default()).unwrap();
    assert!(s.warnings.iter().any(|w| w.contains("Windows-1252")));
    assert_eq!(f.rows("SELECT name, city FROM clients"), [vec![T("René".into()), T("Köln".into())]]);
}

#[test]
fn bad_files_get_plain_messages_and_leave_the_workspace_alone() {
    let f = Fixture::new();
    let good = f.file("keep.csv", b"x\n1\n");
    f.import(&good, &ImportOptions::default()).unwrap();
    let cases: Vec<(std::path::PathBuf, &str)> = vec![
        (f.file("empty.csv", b""), "is empty"),
        (f.file("blank.csv", b"\n\n  \n"), "is empty"),
        (f.file("photo.csv", b"\x89PNG\r\n\x1a\n\0\0\0IHDR"), "binary data"),
        (f.file("notes.pdf", b"%PDF-1.4"), "cannot be imported"),
        (f.file("fake.xlsx", b"not a zip"), "could not be opened as a spreadsheet"),
        (f.dir.path().join("missing.csv"), "could not read"),
    ];
    for (path, needle) in cases {
        let err = f.import(&path, &ImportOptions::default()).unwrap_err().to_string();
        assert!(err.contains(needle), "{}: {err:?} should mention {needle:?}", path.display());
    }
    let again = f.import(&good, &ImportOptions::default()).unwrap_err();
    assert!(matches!(again, ImportError::TableExists(ref t) if t == "keep"), "{again:?}");
    assert_eq!(f.rows("SELECT x FROM keep"), [vec![I(1)]], "earlier imports survive failures");
}

#[test]
fn cancel_and_replace_are_all_or_nothing() {
    let f = Fixture::new();
    let mut big = String::from("n,label\n");
    for i in 0..12_000 {
        big.push_str(&format!("{i},row {i}\n"));
    }
    let csv = f.file("numbers.csv", big.as_bytes());
    f.import(&f.file("numbers_v1.csv", b"n\n1\n"), &ImportOptions { table: Some("numbers".into()), ..ImportOptions::default() }).unwrap();
    let mut calls = 0;
    let err = import_file(&f.workspace(), &csv, &ImportOptions { replace: true, ..ImportOptions::default() }, &mut |p| {
        calls += 1;
        assert_eq!(p.total, 12_000);
        false
    })
    .unwrap_err();
    assert!(matches!(err, ImportError::Cancelled));
    assert_eq!(calls, 1);
    assert_eq!(f.rows("SELECT count(*) FROM numbers"), [vec![I(1)]], "a cancelled replace keeps the old table");
    let s = f.import(&csv, &ImportOptions { replace: true, ..ImportOptions::default() }).unwrap();
    assert_eq!(s.rows_imported, 12_000);
    assert_eq!(f.rows("SELECT count(*), sum(n) FROM numbers"), [vec![I(12_000), I(71_994_000)]]);
}

#[test]
fn headerless_files_get_column_names() {
    let f = Fixture::new();
    let s = f.import(&f.file("raw.csv", b"1,2026-01-05\n2,2026-01-06\n"), &ImportOptions::default()).unwrap();
    assert_eq!(
        s.columns.iter().map(|c| (c.name.as_str(), c.ty)).collect::<Vec<_>>(),
        [("column_1", ColumnType::Integer), ("column_2", ColumnType::Date)]
    );
    assert_eq!(s.rows_imported, 2);
}

#[test]
fn table_names_are_sanitised() {
    assert_eq!(table_name("Sales Export (Oct)"), "sales_export_oct");
    assert_eq!(table_name("2026 budget"), "t_2026_budget");
    assert_eq!(table_name("***"), "imported");
}
