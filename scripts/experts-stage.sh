#!/usr/bin/env bash
# The experts stage of `run` alone, short: a run on a copy of existing preference data with
# --dpo-steps STEPS (7 experts of STEPS steps and All-single of 7 × STEPS), stopped as soon as the
# merges start; prints the wall seconds to that point (start-up included) and the collector's young
# and full collections and their total pause (-Xlog:gc). Used for docs/PERFORMANCE.md, "Fourteenth
# session", to compare commits or collector flags back to back:
#   scripts/experts-stage.sh OUT DATA_DIR STEPS "GC_OPTS" "JAVA_OPTS"
#   scripts/experts-stage.sh runs/x1 runs/main/data 30 "-XX:+UseParallelGC -Xms1152m -Xmx1152m -Xmn864m" ""
# ALIGNGUARD may name another launcher (default: this checkout's ./alignguard.sh); build it first,
# or the build is timed too.
set -euo pipefail
out=$1 data=$2 steps=$3 gc=$4 jopts=$5
ag="${ALIGNGUARD:-$(dirname "${BASH_SOURCE[0]}")/../alignguard.sh}"
[ -e "$out" ] && { echo "experts-stage: $out exists; pick a new folder" >&2; exit 2; }
[ -f "$data/pairs.safetensors" ] || { echo "experts-stage: no preference data at $data (made by 'alignguard data' or 'run')" >&2; exit 2; }
mkdir -p "$out"
cp -r "$data" "$out/data"
start=$(date +%s.%N)
ALIGNGUARD_GC_OPTS="$gc" ALIGNGUARD_JAVA_OPTS="$jopts -Xlog:gc:file=$out/gc.log" "$ag" run --resume --out "$out" --dpo-steps "$steps" > "$out/log" 2> "$out/err" &
pid=$!
while kill -0 "$pid" 2>/dev/null && ! grep -q "merging" "$out/err" 2>/dev/null; do sleep 0.5; done
end=$(date +%s.%N)
pkill -P "$pid" 2>/dev/null || true
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pauses=$(grep -o '[0-9.]*ms$' "$out/gc.log" | tr -d ms | awk '{s += $1} END {printf "%.1f", s / 1000}')
echo "$out: $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}') s to the merges; young $(grep -c 'Pause Young' "$out/gc.log") full $(grep -c 'Pause Full' "$out/gc.log"), $pauses s of pauses"
