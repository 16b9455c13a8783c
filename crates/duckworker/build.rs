//! Finds libduckdb.so at run time beside the worker, in `../lib/plainsight` from it (where the
//! .deb installs it: the worker is /usr/bin/plainsight-duckdb-worker), or where it was linked
//! from (DUCKDB_LIB_DIR, set by scripts/lib/duckdb.sh), in that order.
fn main() {
    println!("cargo:rerun-if-env-changed=DUCKDB_LIB_DIR");
    println!("cargo:rustc-link-arg=-Wl,-rpath,$ORIGIN:$ORIGIN/../lib/plainsight");
    if let Ok(dir) = std::env::var("DUCKDB_LIB_DIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
