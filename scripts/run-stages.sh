#!/usr/bin/env bash
# A whole `run` on a copy of an existing run's preference data (the data stage is skipped), with the
# given collector flags and JVM options; prints the report's seconds per stage and the collector's
# young and full collections (-Xlog:gc). Used for docs/PERFORMANCE.md, "Thirteenth session".
#   scripts/run-stages.sh OUT DATA_DIR "GC_OPTS" "JAVA_OPTS"
#   scripts/run-stages.sh runs/side runs/main/data "-XX:+UseParallelGC -Xms1152m -Xmx1152m -Xmn864m" "-Dalignguard.trainPasses=side"
# ALIGNGUARD may name another launcher (default: ./alignguard.sh).
set -euo pipefail
out=$1 data=$2 gc=$3 jopts=$4
ag="${ALIGNGUARD:-$(dirname "${BASH_SOURCE[0]}")/../alignguard.sh}"
[ -e "$out" ] && { echo "run-stages: $out exists; pick a new folder" >&2; exit 2; }
[ -f "$data/pairs.safetensors" ] || { echo "run-stages: no preference data at $data (made by 'alignguard data' or 'run')" >&2; exit 2; }
mkdir -p "$out"
cp -r "$data" "$out/data"
ALIGNGUARD_GC_OPTS="$gc" ALIGNGUARD_JAVA_OPTS="$jopts -Xlog:gc:file=$out/gc.log" "$ag" run --resume --out "$out" > "$out/log" 2> "$out/err"
stages=$(sed -n '/Time per stage/,/total/p' "$out/report/report.html" | sed 's/<[^>]*>/ /g' | tr -s ' \n' ' ')
echo "$out:$stages young $(grep -c 'Pause Young' "$out/gc.log") full $(grep -c 'Pause Full' "$out/gc.log")"
