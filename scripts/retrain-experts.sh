#!/usr/bin/env bash
# Retrain the seven category experts of the main job with other DPO settings, each with the run's own
# seed (--expert-seeds distinct: expert k of the world's order trains with seed k), then merge them
# with Co-Merge. Used for choices made on the validation half (docs/RESULTS.md), without touching
# the test half the way `alignguard run` does when it evaluates.
#   scripts/retrain-experts.sh DATA_DIR OUT_DIR [extra train-expert flags...]
#   scripts/retrain-experts.sh runs/main/data runs/pres40 --preserve 40
# ALIGNGUARD may name another launcher (default: ./alignguard.sh).
set -euo pipefail
data=$1 out=$2
shift 2
ag="${ALIGNGUARD:-$(dirname "${BASH_SOURCE[0]}")/../alignguard.sh}"
mkdir -p "$out/experts"
k=1
files=()
for c in hate harassment violence self-harm sexual shocking "illegal activity"; do
  f="$out/experts/${c// /-}.safetensors"
  [ -f "$f" ] || "$ag" train-expert --category "$c" --data "$data" --seed "$k" --out "$f" "$@"
  files+=("$f")
  k=$((k + 1))
done
[ -f "$out/co-merge.safetensors" ] || "$ag" merge --method co-merge --data "$data" --out "$out/co-merge.safetensors" "${files[@]}"
