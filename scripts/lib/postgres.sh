# shellcheck shell=bash
# A throwaway PostgreSQL cluster for the tests: initdb in a temp dir as the `postgres` system
# user, listening only on 127.0.0.1 at a free port, password auth for TCP. Exports
# PLAINSIGHT_TEST_PG (a superuser URL the tests use to load data and create a SELECT-only role)
# and PLAINSIGHT_TEST_PG_CA (the private CA that signed the server's TLS certificate for 127.0.0.1).
# Sourced by scripts/test after install.sh and tls.sh; call start_test_postgres, and stop_test_postgres on exit.

PG_PACKAGES=(postgresql postgresql-contrib openssl)
_pg_dir=""
_pg_bin=""

start_test_postgres() {
  ensure_apt_packages "${PG_PACKAGES[@]}"
  _pg_bin="$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -1)"
  [ -x "$_pg_bin/initdb" ] || die "PostgreSQL's initdb was not found under /usr/lib/postgresql"
  _pg_dir="$(mktemp -d -t plainsight-pg-XXXXXX)"
  local password port
  password="test-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s\n' "$password" >"$_pg_dir/pwfile"
  chown -R postgres "$_pg_dir"
  chmod 700 "$_pg_dir"
  runuser -u postgres -- "$_pg_bin/initdb" -D "$_pg_dir/data" -U postgres --pwfile="$_pg_dir/pwfile" \
    --auth-host=scram-sha-256 --auth-local=peer >"$_pg_dir/initdb.log" 2>&1 || {
    cat "$_pg_dir/initdb.log" >&2
    die "initdb failed"
  }
  # A private CA and a server certificate for 127.0.0.1, so TLS (and its verification) is tested.
  make_test_tls "$_pg_dir" postgres
  port="$(free_port)"
  runuser -u postgres -- "$_pg_bin/pg_ctl" -D "$_pg_dir/data" -l "$_pg_dir/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$_pg_dir -c ssl=on -c ssl_cert_file=$_pg_dir/server.crt -c ssl_key_file=$_pg_dir/server.key" start >/dev/null || {
    cat "$_pg_dir/server.log" >&2
    die "PostgreSQL did not start"
  }
  export PLAINSIGHT_TEST_PG_CA="$_pg_dir/ca.crt"
  export PLAINSIGHT_TEST_PG="postgres://postgres:$password@127.0.0.1:$port/postgres"
  log "PostgreSQL test cluster on 127.0.0.1:$port"
}

stop_test_postgres() {
  [ -n "$_pg_dir" ] || return 0
  runuser -u postgres -- "$_pg_bin/pg_ctl" -D "$_pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$_pg_dir"
  _pg_dir=""
}
