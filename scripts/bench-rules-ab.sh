#!/usr/bin/env bash
# The rule benchmark (bench/Gumshoe.RuleBench) for two builds taken in turn, A B A B …: this machine's speed drifts
# by up to 40 % within minutes, so only runs taken one right after the other compare. Prints each run's events per
# CPU-second (the "again" row; its second half when the build reports it) and the means.
# BEST=R (default 1): each run measures R times in its process and reports its best "again" row, which steadies the
# figures when the machine's speed wanders within a run (session 11's comparisons used BEST=3).
#   bash scripts/bench-rules-ab.sh REV_A [REV_B] [N] [-- bench args]
#     REV_A, REV_B: git revisions; REV_B "." (the default) is the working tree. N: pairs (default 4).
#     bench args: passed on, e.g. -- --only distinct, or -- --keys 1000 (default: --events 1000000)
#   bash scripts/bench-rules-ab.sh dd802fd . 4 -- --only sequence
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
a="${1:?usage: bench-rules-ab.sh REV_A [REV_B] [N] [-- bench args]}"; shift
b="."; n=4
if [ $# -gt 0 ] && [ "$1" != "--" ]; then b="$1"; shift; fi
if [ $# -gt 0 ] && [ "$1" != "--" ]; then n="$1"; shift; fi
[ "${1:-}" = "--" ] && shift
extra=("$@")
work="$(mktemp -d /tmp/gumshoe-rules-ab.XXXXXX)"
trap 'for w in "$work"/tree-*; do [ -d "$w" ] && git worktree remove --force "$w" >/dev/null 2>&1; done; rm -rf "$work"' EXIT

build() {  # build REV into $work/out-NAME
  local rev="$1" name="$2" src="$root"
  if [ "$rev" != "." ]; then
    src="$work/tree-$name"
    git worktree add --detach --quiet "$src" "$rev"
  fi
  dotnet build "$src/bench/Gumshoe.RuleBench" -c Release -o "$work/out-$name" -v quiet -nologo >"$work/build-$name.log" 2>&1 \
    || { cat "$work/build-$name.log" >&2; exit 1; }
}
build "$a" A
build "$b" B
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "A = $a, B = $b, $n pairs, bench args: --events 1000000 --repeat ${BEST:-1} --fresh-only ${extra[*]} (best of each run's again rows)"

for _ in $(seq "$n"); do
  for side in A B; do
    # builds older than --fresh-only run the whole benchmark; the best of their "again" rows is read
    line=$(dotnet "$work/out-$side/Gumshoe.RuleBench.dll" --events 1000000 --repeat "${BEST:-1}" --fresh-only "${extra[@]}" 2>&1 \
      | grep 'again' | awk -F'wall\\), *' '{split($2, a, " "); gsub(",", "", a[1]); if (a[1] + 0 > best) { best = a[1] + 0; line = $0 } } END { print line }' || true)
    rate=$(sed -nE 's/.*s wall\), *([0-9,]+) events per CPU-second.*/\1/p' <<<"$line" | tr -d ,)
    half=$(sed -nE 's/.*second half *([0-9,]+)\).*/\1/p' <<<"$line" | tr -d ,)
    echo "$side ${rate:-?} ${half:--}"
  done
done | awk '{print; if ($2 != "?") { s[$1] += $2; n[$1]++ } if ($3 != "-") { h[$1] += $3; m[$1]++ } }
  END { for (k in s) printf "%s mean %d events per CPU-second%s (%d runs)\n", k, s[k] / n[k], m[k] ? sprintf(", second half %d", h[k] / m[k]) : "", n[k] }'
