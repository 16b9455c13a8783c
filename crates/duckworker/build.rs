//! Finds libduckdb.so at run time beside the worker (a package ships it there) or where it was
//! linked from (DUCKDB_LIB_DIR, set by scripts/lib/duckdb.sh).
fn main() {
    println!("cargo:rerun-if-env-changed=DUCKDB_LIB_DIR");
    println!("cargo:rustc-link-arg=-Wl,-rpath,$ORIGIN");
    if let Ok(dir) = std::env::var("DUCKDB_LIB_DIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
