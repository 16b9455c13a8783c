//! `plainsight-parquet-fixture IN.csv OUT.parquet`: writes a CSV file's rows as Parquet, for the
//! tests of files opened in place (no other Parquet writer is at hand in the test command).
//! A separate program: the worker itself cannot write anything.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: plainsight-parquet-fixture IN.csv OUT.parquet");
        std::process::exit(2);
    };
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let conn = duckdb::Connection::open_in_memory().expect("DuckDB opens");
    conn.execute_batch(&format!(
        "COPY (SELECT * FROM read_csv({})) TO {} (FORMAT parquet)",
        quote(input),
        quote(output)
    ))
    .expect("the CSV is written as Parquet");
}
