#!/usr/bin/env bash
# Times isolation-forest fit+score per data set through the CLI (./gumshoe iforest --bench N) and prints a
# markdown table next to scikit-learn 1.2.1's times (docs/isolation-forest-reference.md, fit + score_samples,
# median over seeds 0-9). Each set is fitted and scored N times in one process (t = 100, ψ = 256, seed 0);
# the minimum is the figure to compare, because other builds on the machine only ever add time.
# Usage: scripts/bench-iforest.sh [REPEATS=30] [DATA_DIR=/work/shared/data/iforest]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repeats="${1:-30}"
data="${2:-${GUMSHOE_SHARED:-/work/shared}/data/iforest}"
"$root/gumshoe" version >/dev/null # build once before timing

# name, scikit-learn fit s, scikit-learn score s
sets="smtp 0.097 0.942
shuttle 0.088 0.504
mammography 0.057 0.104
annthyroid 0.052 0.070
satellite 0.054 0.075
pima 0.045 0.019
breastw 0.045 0.018
arrhythmia 0.044 0.022
ionosphere 0.044 0.015"

echo "| data set | n | d | fit min ms | score min ms | fit+score min ms | fit+score median ms | first run ms | CPU ms (fastest run) | sklearn fit+score ms | speed-up (sklearn / min) |"
echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
while read -r name skfit skscore; do
  out=$("$root/gumshoe" iforest --csv "$data/$name.csv" --label label --seed 0 --bench "$repeats" --out /dev/null 2>&1 >/dev/null)
  echo "$out" | awk -v name="$name" -v skfit="$skfit" -v skscore="$skscore" '
    /^bench: rows=/ { split($2, a, "="); n = a[2]; split($3, b, "="); d = b[2] }
    /^bench: fit /   { fit = $6 }
    /^bench: score / { score = $6 }
    /^bench: total / { first = $4; total = $6; median = $8 }
    /^bench: cpu /   { cpu = $4 }
    END {
      sk = (skfit + skscore) * 1000
      printf "| %s | %d | %d | %.2f | %.2f | %.2f | %.2f | %.1f | %.2f | %.0f | %.1fx |\n", name, n, d, fit, score, total, median, first, cpu, sk, sk / total
    }'
done <<<"$sets"
