# MariaDB for the SQL lookup tests (sourced by scripts/test.sh; also `source scripts/services/mariadb.sh` by hand).
# Installs Debian's mariadb-server when missing, starts one throwaway server on 127.0.0.1 (first free port from
# 13306), creates the user `gumshoe` with a random password and a database it owns, and exports
# GUMSHOE_TEST_MARIADB as a MySqlConnector connection string. Tests create their own tables. Idempotent: a server
# this script started earlier and that still answers is reused.
_gs_my_dir=/tmp/gumshoe-test-mariadb

_gs_my_start() {
  if ! dpkg-query -W -f='${Status}' mariadb-server 2>/dev/null | grep -q 'install ok installed'; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends mariadb-server >/dev/null 2>&1 || true
    dpkg-query -W -f='${Status}' mariadb-server 2>/dev/null | grep -q 'install ok installed' \
      || { echo "mariadb.sh: cannot install mariadb-server" >&2; return 1; }
  fi
  local sock="$_gs_my_dir/mysqld.sock"
  if [ -f "$_gs_my_dir/env" ] && mariadb-admin --no-defaults --socket="$sock" -uroot ping >/dev/null 2>&1; then
    # shellcheck source=/dev/null
    source "$_gs_my_dir/env"
    export GUMSHOE_TEST_MARIADB
    return 0
  fi
  [ -f "$_gs_my_dir/mysqld.pid" ] && kill "$(cat "$_gs_my_dir/mysqld.pid")" 2>/dev/null && sleep 1
  rm -rf "$_gs_my_dir"
  mkdir -p "$_gs_my_dir" && chown mysql:mysql "$_gs_my_dir" && chmod 750 "$_gs_my_dir"
  local port=13306
  while (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port+1)); done
  mariadb-install-db --no-defaults --user=mysql --datadir="$_gs_my_dir/data" --skip-test-db \
    --auth-root-authentication-method=socket >"$_gs_my_dir/install-db.log" 2>&1 \
    || { cat "$_gs_my_dir/install-db.log" >&2; return 1; }
  # --no-defaults: ignore /etc/mysql/*.cnf (port 3306, /run/mysqld, which does not exist without systemd);
  # --user=mysql: mariadbd refuses to run as root; setsid: outlive the shell that sourced this script
  setsid mariadbd --no-defaults --user=mysql --datadir="$_gs_my_dir/data" --port="$port" --bind-address=127.0.0.1 \
    --socket="$sock" --pid-file="$_gs_my_dir/mysqld.pid" --log-error="$_gs_my_dir/error.log" \
    --skip-name-resolve --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=2 \
    --character-set-server=utf8mb4 </dev/null >/dev/null 2>&1 &
  local pid=$! i
  for ((i=0; i<600; i++)); do
    mariadb-admin --no-defaults --socket="$sock" -uroot ping >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { cat "$_gs_my_dir/error.log" >&2; return 1; }
    sleep 0.05
  done
  [ $i -lt 600 ] || { echo "mariadb.sh: mariadbd did not start" >&2; return 1; }
  local password
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  mariadb --no-defaults --socket="$sock" -uroot <<SQL || return 1
CREATE DATABASE gumshoe;
CREATE USER 'gumshoe'@'127.0.0.1' IDENTIFIED BY '$password';
GRANT ALL ON gumshoe.* TO 'gumshoe'@'127.0.0.1';
SQL
  GUMSHOE_TEST_MARIADB="Server=127.0.0.1;Port=$port;User ID=gumshoe;Password=$password;Database=gumshoe"
  printf 'GUMSHOE_TEST_MARIADB=%q\n' "$GUMSHOE_TEST_MARIADB" >"$_gs_my_dir/env"
  chmod 600 "$_gs_my_dir/env"
  export GUMSHOE_TEST_MARIADB
}
_gs_my_start || echo "mariadb.sh: MariaDB is not available; the MariaDB lookup tests will fail" >&2
