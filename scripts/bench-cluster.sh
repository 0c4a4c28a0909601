#!/usr/bin/env bash
# Scale-out benchmark (not a test): events/s end to end — a collector tailing a generated sshd log, through NATS
# JetStream (three nodes, R3, on this machine), to 1 and then 2 analysers — from the collector's start until every
# partition's snapshot has passed the stream's last event and the alerts match a single-process replay.
#   bash scripts/bench-cluster.sh [LINES]   (default 200000)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
lines=${1:-200000}
out=bench/out/cluster; rm -rf "$out"; mkdir -p "$out"
source scripts/services/postgres.sh; source scripts/services/nats.sh
./gumshoe version >/dev/null
log="$out/sshd.log"
dotnet run --project bench/Gumshoe.LogGen -c Release -- sshd --lines "$lines" --seed 1 --out "$log" >/dev/null
./gumshoe replay -c examples/ssh-bruteforce.yml "$log" --alerts-out "$out/expected.jsonl" >/dev/null 2>&1
expected=$(wc -l <"$out/expected.jsonl")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
psql_() { PGPASSWORD=$(sed 's/.*Password=\([^;]*\).*/\1/' <<<"$GUMSHOE_TEST_POSTGRES") psql -q -h 127.0.0.1 -p "$(sed 's/.*Port=\([0-9]*\).*/\1/' <<<"$GUMSHOE_TEST_POSTGRES")" -U gumshoe -d gumshoe "$@"; }
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); log: $lines lines; expected alerts: $expected"
for analysers in 1 2; do
  schema=bench_$analysers; psql_ -c "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" 2>/dev/null
  export GUMSHOE_POSTGRES="$GUMSHOE_TEST_POSTGRES;Search Path=$schema"
  base=$((25000 + analysers * 100)); urls=""; routes=""
  for n in 1 2 3; do routes+="${routes:+, }nats-route://127.0.0.1:$((base+10+n))"; done
  for n in 1 2 3; do
    mkdir -p "$out/n$analysers-$n"
    printf 'server_name: n%s\nlisten: 127.0.0.1:%s\nhttp: 127.0.0.1:%s\njetstream { store_dir: "%s" }\ncluster { name: bench, listen: 127.0.0.1:%s, routes: [ %s ] }\n' \
      $n $((base+n)) $((base+20+n)) "$root/$out/n$analysers-$n" $((base+10+n)) "$routes" >"$out/n$analysers-$n.conf"
    nats-server -c "$out/n$analysers-$n.conf" -l "$out/n$analysers-$n.log" </dev/null >/dev/null 2>&1 & pids+=($!)
    urls+="${urls:+,}nats://127.0.0.1:$((base+n))"
  done
  for n in 1 2 3; do until curl -sf "http://127.0.0.1:$((base+20+n))/healthz" >/dev/null; do sleep 0.1; done; done
  export GUMSHOE_NATS_URL=$urls GUMSHOE_INPUT="$root/$log"
  for a in $(seq 1 "$analysers"); do
    ./gumshoe run -c examples/cluster.yml --mode analyze --data-dir "$out/an$analysers-$a" --metrics-listen 127.0.0.1:0 >"$out/an$analysers-$a.out" 2>&1 & pids+=($!)
  done
  sleep 4   # analysers own their partitions before the first event
  start=$(date +%s.%N)
  ./gumshoe run -c examples/cluster.yml --mode collect --data-dir "$out/c$analysers" --metrics-listen 127.0.0.1:0 >"$out/c$analysers.out" 2>&1 & pids+=($!)
  while :; do
    # polled in PostgreSQL directly: starting a CLI every half second would compete for the 2 cores measured
    got=$(psql_ -Atc "SELECT COUNT(*) FROM $schema.alerts" 2>/dev/null || echo 0)
    [ "$got" -ge "$expected" ] && break
    sleep 0.5
  done
  end=$(date +%s.%N)
  echo "analysers=$analysers: $lines events in $(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}') s = $(awk -v a="$start" -v b="$end" -v n="$lines" 'BEGIN{printf "%.0f", n/(b-a)}') events/s end to end; alerts $got/$expected"
  # where the time went: CPU seconds of each process of this run
  for p in "${pids[@]}"; do ps -o cputime=,args= -p "$p" 2>/dev/null | awk '{printf "   %s cpu  %s %s %s %s\n", $1, $2, $3, $6, $7}'; done
  pg=$(ps -C postgres -o cputime= | awk -F: '{s+=$1*3600+$2*60+$3} END{print s}'); echo "   postgres (all backends) ${pg}s cpu"
  cleanup; pids=()
done
