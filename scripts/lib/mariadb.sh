# shellcheck shell=bash
# A throwaway MariaDB server for the tests: Debian's mariadb-server-core (the server program
# only, so no system service starts), a data directory in a temp dir, run as `nobody` when the
# tests run as root, listening only on 127.0.0.1 at a free port with TLS from a private CA.
# Exports PLAINSIGHT_TEST_MYSQL (an admin URL the tests use to load data and create a
# SELECT-only account) and PLAINSIGHT_TEST_MYSQL_CA.
# Sourced by scripts/test after install.sh and tls.sh; call start_test_mariadb, and
# stop_test_mariadb on exit.

MARIADB_PACKAGES=(mariadb-server-core mariadb-client-core openssl)
_my_dir=""
_my_pid=""

start_test_mariadb() {
  ensure_apt_packages "${MARIADB_PACKAGES[@]}"
  local owner password port
  owner="$(id -un)"
  [ "$(id -u)" = 0 ] && owner=nobody
  _my_dir="$(mktemp -d -t plainsight-mariadb-XXXXXX)"
  chmod 755 "$_my_dir"
  make_test_tls "$_my_dir" "$owner"
  mkdir "$_my_dir/data"
  chown "$owner" "$_my_dir/data" "$_my_dir"
  _as_owner() { if [ "$owner" = "$(id -un)" ]; then "$@"; else runuser -u "$owner" -- "$@"; fi; }
  _as_owner mariadb-install-db --no-defaults --datadir="$_my_dir/data" --auth-root-authentication-method=normal \
    --skip-test-db >"$_my_dir/install.log" 2>&1 || {
    cat "$_my_dir/install.log" >&2
    die "mariadb-install-db failed"
  }
  port="$(free_port)"
  _as_owner /usr/sbin/mariadbd --no-defaults --datadir="$_my_dir/data" --socket="$_my_dir/mysqld.sock" \
    --pid-file="$_my_dir/mysqld.pid" --log-error="$_my_dir/server.log" --bind-address=127.0.0.1 --port="$port" \
    --skip-name-resolve --innodb-buffer-pool-size=32M --innodb-log-file-size=16M --performance-schema=OFF \
    --ssl-ca="$_my_dir/ca.crt" --ssl-cert="$_my_dir/server.crt" --ssl-key="$_my_dir/server.key" \
    >>"$_my_dir/server.log" 2>&1 &
  _my_pid=$!
  for _ in $(seq 300); do
    [ -S "$_my_dir/mysqld.sock" ] && mariadb --no-defaults --socket="$_my_dir/mysqld.sock" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
    kill -0 "$_my_pid" 2>/dev/null || {
      cat "$_my_dir/server.log" >&2
      die "MariaDB exited at start-up"
    }
    sleep 0.1
  done
  password="test-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  mariadb --no-defaults --socket="$_my_dir/mysqld.sock" -uroot -e \
    "CREATE USER 'admin'@'127.0.0.1' IDENTIFIED BY '$password'; GRANT ALL ON *.* TO 'admin'@'127.0.0.1' WITH GRANT OPTION;" ||
    die "could not create the MariaDB test admin"
  export PLAINSIGHT_TEST_MYSQL_CA="$_my_dir/ca.crt"
  export PLAINSIGHT_TEST_MYSQL="mysql://admin:$password@127.0.0.1:$port/mysql"
  log "MariaDB test server on 127.0.0.1:$port"
}

stop_test_mariadb() {
  [ -n "$_my_dir" ] || return 0
  if [ -n "$_my_pid" ]; then
    kill "$_my_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$_my_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$_my_pid" 2>/dev/null || true
  fi
  rm -rf "$_my_dir"
  _my_dir=""
}
