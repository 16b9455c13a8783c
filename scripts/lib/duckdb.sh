# shellcheck shell=bash
# DuckDB for large CSV and Parquet files opened in place: the prebuilt libduckdb.so that DuckDB
# publishes inside its npm package @duckdb/node-bindings-linux-x64 (a registry package, so no
# C++ build: building DuckDB from source takes longer than the whole test command). Fetched
# once into target/duckdb-<version>/, checked against the registry's SHA-256 recorded here.
# Exports DUCKDB_LIB_DIR, which the duckdb crate's build script links against (and the worker's
# rpath points at). Sourced by scripts/test and scripts/run after install.sh.

DUCKDB_VERSION="1.5.6"
DUCKDB_NPM="https://registry.npmjs.org/@duckdb/node-bindings-linux-x64/-/node-bindings-linux-x64-1.5.6-r.1.tgz"
DUCKDB_SHA256="1b9f82478539bb9a1d1df44bd103121a12ae52142c07158dc52b97d2ec1d69ff"

ensure_duckdb() {
  local dir tmp
  dir="$(pwd)/target/duckdb-$DUCKDB_VERSION"
  if [ ! -f "$dir/libduckdb.so" ]; then
    [ "$(uname -m)" = x86_64 ] || die "large files in place need DuckDB's x86_64 Linux library; this machine is $(uname -m)"
    ensure_apt_packages curl ca-certificates
    log "Fetching DuckDB $DUCKDB_VERSION (libduckdb.so from its npm package)"
    tmp="$(mktemp -d)"
    curl -fsSL --retry 3 -o "$tmp/duckdb.tgz" "$DUCKDB_NPM" || die "could not download $DUCKDB_NPM"
    echo "$DUCKDB_SHA256  $tmp/duckdb.tgz" | sha256sum -c --quiet - || die "DuckDB's package did not match its recorded checksum"
    tar -xzf "$tmp/duckdb.tgz" -C "$tmp" package/libduckdb.so package/LICENSE
    mkdir -p "$dir"
    mv "$tmp/package/libduckdb.so" "$tmp/package/LICENSE" "$dir/"
    rm -rf "$tmp"
  fi
  export DUCKDB_LIB_DIR="$dir"
}
