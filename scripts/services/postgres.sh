# PostgreSQL 15 for the storage tests (sourced by scripts/test.sh; also `source scripts/services/postgres.sh` by hand).
# Installs Debian's postgresql-15 when missing, starts one throwaway cluster on 127.0.0.1 (5432 when free, else the
# first free port from 15432), creates the ordinary role `gumshoe` (password auth over TCP, not a superuser) and a
# database it owns, and exports GUMSHOE_TEST_POSTGRES as an Npgsql connection string. Idempotent: a cluster this
# script started earlier and that still runs is reused.
_gs_pg_dir=/tmp/gumshoe-test-postgres
_gs_pg_bin=/usr/lib/postgresql/15/bin

_gs_pg_start() {
  if ! dpkg-query -W -f='${Status}' postgresql-15 2>/dev/null | grep -q 'install ok installed'; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends postgresql-15 >/dev/null \
      || { echo "postgres.sh: cannot install postgresql-15" >&2; return 1; }
  fi
  # reuse a running cluster started by this script
  if [ -f "$_gs_pg_dir/env" ] && runuser -u postgres -- "$_gs_pg_bin/pg_ctl" -D "$_gs_pg_dir/data" status >/dev/null 2>&1; then
    # shellcheck source=/dev/null
    source "$_gs_pg_dir/env"
    export GUMSHOE_TEST_POSTGRES
    return 0
  fi
  # a stale directory (machine restarted, cluster killed): start over
  rm -rf "$_gs_pg_dir"
  mkdir -p "$_gs_pg_dir" && chmod 700 "$_gs_pg_dir" && chown postgres:postgres "$_gs_pg_dir"
  local port=5432
  if (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    port=15432
    while (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port+1)); done
  fi
  local password
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  # local (unix socket) connections trust the postgres OS user for setup; TCP needs a password (scram)
  runuser -u postgres -- "$_gs_pg_bin/initdb" -D "$_gs_pg_dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >"$_gs_pg_dir/initdb.log" 2>&1 || { cat "$_gs_pg_dir/initdb.log" >&2; return 1; }
  runuser -u postgres -- "$_gs_pg_bin/pg_ctl" -D "$_gs_pg_dir/data" -l "$_gs_pg_dir/postgres.log" -w -t 60 \
    -o "-p $port -k $_gs_pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200" \
    start >/dev/null || { cat "$_gs_pg_dir/postgres.log" >&2; return 1; }
  runuser -u postgres -- "$_gs_pg_bin/psql" -h "$_gs_pg_dir" -p "$port" -U postgres -qAt -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE gumshoe LOGIN PASSWORD '$password' NOSUPERUSER NOCREATEDB NOCREATEROLE" \
    -c "CREATE DATABASE gumshoe OWNER gumshoe" >/dev/null || return 1
  GUMSHOE_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=gumshoe;Password=$password;Database=gumshoe"
  printf 'GUMSHOE_TEST_POSTGRES=%q\n' "$GUMSHOE_TEST_POSTGRES" >"$_gs_pg_dir/env"
  chmod 600 "$_gs_pg_dir/env"
  export GUMSHOE_TEST_POSTGRES
}
_gs_pg_start || echo "postgres.sh: PostgreSQL is not available; the PostgreSQL storage tests will fail" >&2
