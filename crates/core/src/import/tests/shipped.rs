//! Files as people actually have them: `NA` cells, keyword and odd column names, duplicate and
//! blank headers, zoned date-times, UTF-16 and BOMs.
use super::*;
use crate::schema::quote_ident;

/// Imports `text` as `name` into a fresh workspace; the summary and every row, in file order.
fn import_text(name: &str, bytes: &[u8]) -> (ImportSummary, Vec<Vec<rusqlite::types::Value>>) {
    let f = Fixture::new();
    let s = f
        .import(&f.file(name, bytes), &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let rows = f.rows(&format!(
        "SELECT * FROM {} ORDER BY rowid",
        quote_ident(&s.table)
    ));
    (s, rows)
}

fn names(s: &ImportSummary) -> Vec<&str> {
    s.columns.iter().map(|c| c.name.as_str()).collect()
}

#[test]
fn no_value_cells_are_null_keep_the_type_and_are_counted() {
    let (s, rows) = import_text("m.csv", b"id,amount,day,note\n1,NA,2026-01-05,x\n2,3.5,#N/A,n/a\n3, null ,2026-01-07,-\n4,NaN,,None\n");
    assert_eq!(
        s.columns.iter().map(|c| c.ty).collect::<Vec<_>>(),
        [
            ColumnType::Integer,
            ColumnType::Real,
            ColumnType::Date,
            ColumnType::Text
        ]
    );
    assert_eq!(
        rows,
        [
            vec![I(1), Null, T("2026-01-05".into()), T("x".into())],
            vec![I(2), R(3.5), Null, Null],
            vec![I(3), Null, T("2026-01-07".into()), Null],
            vec![I(4), Null, Null, Null],
        ]
    );
    assert!(
        s.warnings.contains(&"7 cells read as empty (NA, #N/A, n/a, null, -, NaN, None) in \"amount\", \"day\" and \"note\".".to_string()),
        "{:?}",
        s.warnings
    );
}

#[test]
fn the_empty_cell_count_is_exact_with_thousands_separators() {
    for (rows, na_every, want) in [
        (3, 1, "3 cells read as empty (NA) in \"v\"."),
        (1_231, 1, "1,231 cells read as empty (NA) in \"v\"."),
        (10, 10, "1 cell read as empty (NA) in \"v\"."),
    ] {
        let mut text = String::from("id,v\n");
        for i in 0..rows {
            text.push_str(&if i % na_every == 0 {
                format!("{i},NA\n")
            } else {
                format!("{i},{i}.5\n")
            });
        }
        let (s, _) = import_text("n.csv", text.as_bytes());
        assert!(
            s.warnings.contains(&want.to_string()),
            "{want}: {:?}",
            s.warnings
        );
    }
    for (n, want) in [
        (0, "0"),
        (999, "999"),
        (1_000, "1,000"),
        (1_234_567, "1,234,567"),
    ] {
        assert_eq!(thousands(n), want);
    }
}

#[test]
fn keyword_and_odd_names_import_and_query() {
    for (file, table) in [
        ("order.csv", "order"),
        ("select.csv", "select"),
        ("Group By.csv", "group_by"),
        ("table.tsv", "table"),
    ] {
        let (s, rows) = import_text(
            file,
            "table,order,group,select,Unit Price,it's,\"\"\"q\"\"\"\n1,2,3,4,$5.50,x,y\n"
                .as_bytes(),
        );
        assert_eq!(s.table, table, "{file}");
        assert_eq!(
            names(&s),
            [
                "table",
                "order",
                "group",
                "select",
                "Unit Price",
                "it's",
                "\"q\""
            ]
        );
        assert_eq!(
            rows,
            [vec![
                I(1),
                I(2),
                I(3),
                I(4),
                R(5.5),
                T("x".into()),
                T("y".into())
            ]],
            "{file}"
        );
    }
    // Each column can be read by name, and the workspace's schema reads back.
    let f = Fixture::new();
    let s = f
        .import(
            &f.file("order.csv", b"order,Unit Price,it's\n1,2.5,a\n"),
            &ImportOptions::default(),
        )
        .unwrap();
    for c in &s.columns {
        let got = f.rows(&format!(
            "SELECT {q} FROM {t} WHERE {q} IS NOT NULL",
            q = quote_ident(&c.name),
            t = quote_ident(&s.table)
        ));
        assert_eq!(got.len(), 1, "{}", c.name);
    }
    let schema = crate::schema::introspect(&Connection::open(f.workspace()).unwrap()).unwrap();
    assert_eq!(schema.table("order").map(|t| t.columns.len()), Some(3));
}

#[test]
fn duplicate_and_blank_headers_get_unique_names() {
    for (text, want) in [
        ("a,a,b\n1,2,3\n", &["a", "a_2", "b"][..]),
        ("a,A,a_2,a\n1,2,3,4\n", &["a", "A_2", "a_2_2", "a_3"]),
        ("name,,amount\nAda,x,3\n", &["name", "column_2", "amount"]),
        ("column_2,,x\nq,r,1\n", &["column_2", "column_2_2", "x"]),
        ("id,NA\n1,2\n", &["id", "NA"]),
        (" Unit Price ,x\na,1\n", &["Unit Price", "x"]),
        // Text with gaps over text columns reads as data.
        (
            "Ada,,West\nBo,x,East\n",
            &["column_1", "column_2", "column_3"],
        ),
    ] {
        let (s, _) = import_text("h.csv", text.as_bytes());
        assert_eq!(names(&s), want, "{text:?}");
    }
    let (s, rows) = import_text("h.csv", b"Ada,,West\nBo,x,East\n");
    assert_eq!(
        (s.rows_imported, rows[0][0].clone()),
        (2, T("Ada".into())),
        "the first row is kept as data"
    );
}

#[test]
fn making_thousands_of_names_unique_is_linear() {
    let header: Vec<String> = (0..4_000)
        .map(|i| {
            if i % 2 == 0 {
                "x".into()
            } else {
                String::new()
            }
        })
        .collect();
    let start = std::time::Instant::now();
    let names = column_names(Some(&header), header.len());
    assert!(
        start.elapsed() < std::time::Duration::from_millis(500),
        "{:?} for 4,000 names",
        start.elapsed()
    );
    assert_eq!(
        (names[0].as_str(), names[1].as_str(), names[3998].as_str()),
        ("x", "column_2", "x_2000")
    );
    assert_eq!(
        names
            .iter()
            .map(|n| n.to_ascii_lowercase())
            .collect::<std::collections::HashSet<_>>()
            .len(),
        4_000
    );
    // More columns than SQLite allows is a plain error, not a database one.
    let f = Fixture::new();
    let wide = f.file(
        "wide.csv",
        format!("{}\n", vec!["x"; 4_000].join(",")).as_bytes(),
    );
    let err = f.import(&wide, &ImportOptions::default()).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("has 4000 columns; a table can have at most 2000"),
        "{err}"
    );
}

#[test]
fn zoned_date_times_are_read_and_stored_in_utc() {
    let (s, rows) =
        import_text("t.csv", b"when\n2024-03-01T23:30:00Z\n2024-03-01T23:30:00+02:00\n2024-03-01 23:30\n2024-03-01T23:30:00.5-01:00\nNA\n");
    assert_eq!(s.columns[0].ty, ColumnType::DateTime);
    let stored: Vec<_> = rows.into_iter().map(|mut r| r.remove(0)).collect();
    assert_eq!(
        stored,
        [
            T("2024-03-01 23:30:00".into()),
            T("2024-03-01 21:30:00".into()),
            T("2024-03-01 23:30:00".into()),
            T("2024-03-02 00:30:00.500".into()),
            Null
        ]
    );
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("\"when\"") && w.contains("UTC")),
        "{:?}",
        s.warnings
    );
}

/// `text` in UTF-16 with a byte-order mark, as Excel's "Unicode Text" writes it (little-endian).
fn utf16(text: &str, little_endian: bool) -> Vec<u8> {
    let bom: &[u8] = if little_endian {
        b"\xff\xfe"
    } else {
        b"\xfe\xff"
    };
    let units = text.encode_utf16().flat_map(|u| {
        if little_endian {
            u.to_le_bytes()
        } else {
            u.to_be_bytes()
        }
    });
    bom.iter().copied().chain(units).collect()
}

#[test]
fn utf16_and_byte_order_marks_are_read() {
    let tab = "Name\tCity\tAmount\r\nRené\tKöln\t1200\r\nZoë\t東京 🌍\tNA\r\n";
    let comma = "Name,City,Amount\nRené,Köln,1200\nZoë,東京 🌍,NA\n";
    for (file, bytes) in [
        ("unicode.txt", utf16(tab, true)),
        ("big-endian.txt", utf16(tab, false)),
        ("comma16.csv", utf16(comma, true)),
        (
            "bom8.csv",
            [b"\xef\xbb\xbf".as_slice(), comma.as_bytes()].concat(),
        ),
        (
            "bom8-tab.tsv",
            [b"\xef\xbb\xbf".as_slice(), tab.as_bytes()].concat(),
        ),
        ("plain.csv", comma.as_bytes().to_vec()),
    ] {
        let (s, rows) = import_text(file, &bytes);
        assert_eq!(names(&s), ["Name", "City", "Amount"], "{file}");
        assert_eq!(s.columns[2].ty, ColumnType::Integer, "{file}");
        assert_eq!(
            rows,
            [
                vec![T("René".into()), T("Köln".into()), I(1200)],
                vec![T("Zoë".into()), T("東京 🌍".into()), Null]
            ],
            "{file}"
        );
        assert!(
            !s.warnings.iter().any(|w| w.contains("Windows-1252")),
            "{file}: {:?}",
            s.warnings
        );
    }
    let f = Fixture::new();
    for (name, bytes) in [
        ("empty16.txt", utf16(" \r\n", true)),
        ("bom-only.csv", b"\xef\xbb\xbf".to_vec()),
    ] {
        let err = f
            .import(&f.file(name, &bytes), &ImportOptions::default())
            .unwrap_err();
        assert!(matches!(err, ImportError::Empty(_)), "{name}: {err}");
    }
}
