#!/usr/bin/env bash
# Instructions and simulated cache misses of the rule engine alone (everything under RuleSet.OnEvents) in the rule
# benchmark, for one or two revisions: counted by valgrind's callgrind, they are the same from run to run, where this
# machine's timings wander by 10–50 %. A change's effect on the work done (instructions) and on the memory traffic
# (misses of a 48 KB L1 and a 32 MB last-level cache, as on this EPYC) shows here in one run; whether it pays in
# time is still for bench-rules-ab.sh to say (callgrind does not model prefetching or overlapped misses).
# The collector's work inside the rules is reported apart: it depends on where collections fall, which moves with
# any change of allocation.
#   bash scripts/bench-rules-callgrind.sh REV_A [REV_B] [-- bench args]   (default bench args: --events 200000)
# Each revision takes about 6 minutes (two run at once on 2 cores). Needs valgrind (apt-get install valgrind).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v valgrind >/dev/null || { echo "valgrind is not installed: apt-get install -y valgrind" >&2; exit 1; }
revs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do revs+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
extra=("$@"); [ ${#extra[@]} -eq 0 ] && extra=(--events 200000)
[ ${#revs[@]} -ge 1 ] || { echo "usage: bench-rules-callgrind.sh REV_A [REV_B] [-- bench args]" >&2; exit 2; }
work="$(mktemp -d /tmp/gumshoe-rules-cg.XXXXXX)"
trap 'for w in "$work"/tree-*; do [ -d "$w" ] && git worktree remove --force "$w" >/dev/null 2>&1; done; rm -rf "$work"' EXIT

n=0
for rev in "${revs[@]}"; do
  n=$((n + 1)); src="$root"
  if [ "$rev" != "." ]; then src="$work/tree-$n"; git worktree add --detach --quiet "$src" "$rev"; fi
  # native code with its symbol table (function names) but no DWARF, which this valgrind cannot read; an earlier
  # stripped native build would be taken as up to date, so its outputs go first
  rm -rf "$src/bench/Gumshoe.RuleBench/obj/Release/net10.0/linux-x64" "$src/bench/Gumshoe.RuleBench/bin/Release/net10.0/linux-x64"
  dotnet publish "$src/bench/Gumshoe.RuleBench" -c Release -r linux-x64 -p:PublishAot=true -p:StripSymbols=false \
    -p:EnableTrimAnalyzer=false -p:EnableAotAnalyzer=false -o "$work/out-$n" -v quiet -nologo >"$work/build-$n.log" 2>&1 || { cat "$work/build-$n.log" >&2; exit 1; }
  strip --strip-debug "$work/out-$n/Gumshoe.RuleBench"
done
for i in $(seq "$n"); do
  # no background collections: their thread's work would be counted whenever it ran during the rules
  DOTNET_gcConcurrent=0 valgrind --tool=callgrind --cache-sim=yes --I1=32768,8,64 --D1=49152,12,64 --LL=33554432,16,64 \
    --toggle-collect='*RuleSet__OnEvents*' --callgrind-out-file="$work/cg-$i.out" \
    "$work/out-$i/Gumshoe.RuleBench" --fresh-only "${extra[@]}" >"$work/run-$i.log" 2>&1 &
done
wait
for i in $(seq "$n"); do
  echo "== ${revs[$((i - 1))]}: $(grep -m1 ', fresh ' "$work/run-$i.log" | grep -oE '[0-9,]+ alerts')"
  callgrind_annotate --threshold=100 "$work/cg-$i.out" 2>/dev/null | python3 -c '
import re, sys
names = "Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw".split()
total, gc = None, [0] * 9
for line in sys.stdin:
    m = re.match(r"^\s*((?:[\d,]+ \([ \d.]+%\)\s+){9})(.*)$", line)
    if not m: continue
    values = [int(v.replace(",", "")) for v in re.findall(r"([\d,]+) \(", m.group(1))]
    if "PROGRAM TOTALS" in m.group(2): total = values; continue
    if re.search(r"WKS::|gc_heap|GCHeap|memset|memmove|RhpGcAlloc|RhpNew|RhBulk", m.group(2)):
        gc = [a + b for a, b in zip(gc, values)]
rest = [t - g for t, g in zip(total, gc)]
for label, row in (("rules", rest), ("collector and allocation", gc)):
    print(f"  {label:26}" + "  ".join(f"{k} {row[names.index(k)]:,}" for k in ("Ir", "D1mr", "D1mw", "DLmr", "DLmw")))
'
done
