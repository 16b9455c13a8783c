//! Import speed: `cargo bench -p plainsight-core --bench import`.
//!
//! Both benches load the same generated CSV (100,000 shop orders with currency amounts,
//! percentages and ISO dates) into a fresh SQLite file in one transaction:
//! - `plainsight_import`: the real importer (two passes, type inference, conversion);
//! - `baseline_text_insert`: the floor — the same rows inserted as plain text through a prepared
//!   statement, no inference, as the SQLite shell's `.import` does.
//!
//! Compare the two medians from one run; `scripts/bench-import` does the 1,000,000-row version
//! against the `sqlite3` shell itself and prints the ratio and peak memory.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use plainsight_core::import::{import_file, ImportOptions};

const ROWS: usize = 100_000;

fn main() {
    divan::main();
}

/// The CSV, generated once per run (deterministic).
fn csv() -> &'static Path {
    static FILE: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    &FILE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("orders.csv");
            let regions = ["North", "South", "East", "West", "Central"];
            let mut body =
                String::from("order_id,order_date,region,customer,quantity,amount,discount\n");
            let mut x: u64 = 42;
            for i in 1..=ROWS {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let r = x >> 33;
                let cents = 100 + r % 499_900;
                let (whole, frac) = (cents / 100, cents % 100);
                let amount = if whole >= 1000 {
                    format!("\"${},{:03}.{frac:02}\"", whole / 1000, whole % 1000)
                } else {
                    format!("${whole}.{frac:02}")
                };
                let _ = writeln!(
                    body,
                    "{i},2025-{:02}-{:02},{},Customer {},{},{amount},{}%",
                    1 + r % 12,
                    1 + r % 28,
                    regions[(r % 5) as usize],
                    r % 5000,
                    1 + r % 19,
                    [0, 5, 10][(r % 3) as usize]
                );
            }
            std::fs::write(&path, body).expect("write csv");
            (dir, path)
        })
        .1
}

#[divan::bench(sample_count = 10)]
fn plainsight_import(bencher: divan::Bencher<'_, '_>) {
    let file = csv();
    bencher
        .with_inputs(|| tempfile::tempdir().expect("temp dir"))
        .bench_local_values(|dir| {
            let summary = import_file(
                &dir.path().join("w.db"),
                file,
                &ImportOptions::default(),
                &mut |_| true,
            )
            .expect("import");
            assert_eq!(summary.rows_imported, ROWS as u64);
            dir
        });
}

#[divan::bench(sample_count = 10)]
fn baseline_text_insert(bencher: divan::Bencher<'_, '_>) {
    let file = csv();
    bencher.with_inputs(|| tempfile::tempdir().expect("temp dir")).bench_local_values(|dir| {
        let mut conn = rusqlite::Connection::open(dir.path().join("b.db")).expect("open");
        let tx = conn.transaction().expect("tx");
        tx.execute_batch("CREATE TABLE orders(order_id, order_date, region, customer, quantity, amount, discount)").expect("create");
        {
            let mut insert = tx.prepare("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)").expect("prepare");
            let mut reader = csv::Reader::from_path(file).expect("csv");
            let mut record = csv::StringRecord::new();
            while reader.read_record(&mut record).expect("record") {
                insert.execute(rusqlite::params_from_iter(record.iter())).expect("insert");
            }
        }
        tx.commit().expect("commit");
        dir
    });
}
