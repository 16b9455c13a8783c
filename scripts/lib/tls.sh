# shellcheck shell=bash
# A private CA and a server certificate for 127.0.0.1 in DIR (ca.crt, server.crt, server.key
# owned by OWNER), so the test servers speak TLS and certificate checks are tested for real.
# Sourced by the test-server scripts (postgres.sh, mariadb.sh).

make_test_tls() {
  local dir="$1" owner="$2"
  (
    cd "$dir" &&
      openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Plainsight test CA" -keyout ca.key -out ca.crt &&
      openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr &&
      printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >server.ext &&
      openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out server.crt &&
      chown "$owner" server.key server.crt && chmod 600 server.key
  ) >"$dir/openssl.log" 2>&1 || {
    cat "$dir/openssl.log" >&2
    die "could not make the test server's TLS certificate"
  }
}

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
