#!/usr/bin/env bash
# Benchmarks (not tests): whole-process timings and peak RSS of the hot paths against grep and SEC on a generated
# 1,000,000-line sshd log, and the soak test's long setting. Figures go to docs/benchmarks.md by hand.
#   bash scripts/bench.sh [parse|replay|soak|latency|all]   (default: parse replay)
#   BEFORE=path/to/other/gumshoe bash scripts/bench.sh parse   also times another build's parse in the same run
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
what=("${@:-parse replay}")
out=bench/out
mkdir -p "$out"
log="$out/sshd-1m.log"
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

./gumshoe version >/dev/null
./gumshoe parse --parser sshd /dev/null >/dev/null 2>&1   # builds the native build (parse, replay) when the sources changed
if [ ! -s "$log" ]; then
  dotnet run --project bench/Gumshoe.LogGen -c Release -- sshd --lines 1000000 --seed 1 --out "$log"
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "log: $log ($(wc -c <"$log") bytes, $(wc -l <"$log") lines)"

best() {  # best of 3 by wall time: "seconds maxrss_kb cpu_seconds" (user+sys); stdout to $sink (default /dev/null)
  local b=""
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M %U %S" -o "$out/time.txt" "$@" >"${sink:-/dev/null}" 2>"$out/stderr.txt" || { cat "$out/stderr.txt" >&2; return 1; }
    local t; t=$(awk '{printf "%s %s %.2f", $1, $2, $3 + $4}' "$out/time.txt")
    if [ -z "$b" ] || awk -v a="${t%% *}" -v c="${b%% *}" 'BEGIN{exit !(a<c)}'; then b="$t"; fi
  done
  echo "$b"
}

fmt() { awk '{printf "%s s  %s KB  cpu %s s", $1, $2, $3}' <<<"$1"; }  # a best() result
ratio() { awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN{printf "%.1f", a/b}'; }  # wall time of $1 over $2

for w in ${what[*]}; do
  case "$w" in parse|replay|soak|latency|all) ;; *) echo "unknown benchmark $w" >&2; exit 2 ;; esac
done

for w in ${what[*]}; do
  case "$w" in
    parse|replay|all)
      # to a file: GNU grep stops at the first match when its output is /dev/null
      g=$(sink="$out/grep-count.txt" best grep -cE 'sshd\[[0-9]+\]: (Failed password|Invalid user)' "$log")
      echo "grep -cE                      $(fmt "$g")"
      ;;&
    parse|all)
      p=$(best ./gumshoe parse --parser sshd "$log")
      echo "gumshoe parse --parser sshd   $(fmt "$p")   ratio $(ratio "$p" "$g")x grep"
      p=$(best "$root/.build/native/gumshoe" parse --parser sshd "$log")
      echo "  same, without the launcher  $(fmt "$p")   ratio $(ratio "$p" "$g")x grep"
      p=$(best "$root/.build/cli/gumshoe" parse --parser sshd "$log")
      echo "  same, portable build (JIT)  $(fmt "$p")   ratio $(ratio "$p" "$g")x grep"
      if [ -n "${BEFORE:-}" ]; then  # another build to compare in the same run, e.g. BEFORE=/tmp/main/.build/cli/gumshoe
        p=$(best "$BEFORE" parse --parser sshd "$log")
        echo "  same, $BEFORE   $(fmt "$p")   ratio $(ratio "$p" "$g")x grep"
      fi
      ;;&
    replay|all)
      r=$(best ./gumshoe replay -c examples/ssh-bruteforce.yml "$log" --alerts-out "$out/alerts.jsonl")
      echo "gumshoe replay ssh-bruteforce $(fmt "$r")   ratio $(ratio "$r" "$g")x grep   alerts $(wc -l <"$out/alerts.jsonl")"
      n=$(best ./gumshoe replay -c examples/ssh-bruteforce.yml "$log" --alerts-out "$out/alerts-no-prefilter.jsonl" --no-prefilter)
      echo "  same, --no-prefilter        $(fmt "$n")   ratio $(ratio "$n" "$g")x grep   alerts identical: $(cmp -s "$out/alerts.jsonl" "$out/alerts-no-prefilter.jsonl" && echo yes || echo NO)"
      if ! command -v sec >/dev/null; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sec >/dev/null; fi
      cat >"$out/sec.conf" <<'SEC'
type=SingleWithThreshold
ptype=RegExp
pattern=sshd\[\d+\]: (?:Failed password for (?:invalid user )?.* from|Invalid user .* from) ([0-9a-fA-F.:]+)
desc=ssh-bruteforce $1
action=write - alert $1
window=60
thresh=5
SEC
      s=$(best sec --conf="$out/sec.conf" --input="$log" --notail --intevents --nologfile)
      echo "SEC SingleWithThreshold       $(fmt "$s")   gumshoe is $(ratio "$s" "$r")x faster"
      ;;
    soak)
      dotnet run --project tools/Gumshoe.Soak -c Release -- --lines 1000000 --kills 100 --rate 2000 --work "$out/soak"
      ;;
    latency)
      for rate in 1000 50000; do
        dotnet run --project tools/Gumshoe.Soak -c Release -- --latency 30 --rate "$rate" --work "$out/latency"
      done
      ;;
  esac
done
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
