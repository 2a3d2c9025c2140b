#!/usr/bin/env bash
# The DPO step, Java against torch at its best, back to back (issue 14): each round runs
# `./alignguard.sh bench --only dpo`, then bench/peers.py --only dpo with OPENBLAS_CORETYPE unset
# (the core OpenBLAS picks by itself), SkylakeX, Haswell and Zen; one line of medians per process.
#   scripts/dpo-vs-torch.sh [ROUNDS] [OLD]   (default 3 rounds; needs python3-torch, libopenblas0-pthread)
# OLD: another checkout of the project (e.g. a git worktree at an earlier commit); its step is timed
# first in each round, as "old", to compare two commits under the same noise.
# A benchmark only: never set OPENBLAS_CORETYPE in tests or CI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds="${1:-3}"
old="${2:-}"
value() { sed -n 's/.*"value": \([0-9.]*\).*/\1/p' | tail -n 1; }
for r in $(seq 1 "$rounds"); do
  line="round $r"
  if [ -n "$old" ]; then line="$line old $(cd "$old" && ./alignguard.sh bench --only dpo 2>/dev/null | grep dpo_step | value)"; fi
  line="$line java $(./alignguard.sh bench --only dpo 2>/dev/null | grep dpo_step | value)"
  for core in unset SkylakeX Haswell Zen; do
    if [ "$core" = unset ]; then v="$(env -u OPENBLAS_CORETYPE /usr/bin/python3 bench/peers.py --only dpo 2>/dev/null | value)"
    else v="$(OPENBLAS_CORETYPE=$core /usr/bin/python3 bench/peers.py --only dpo 2>/dev/null | value)"; fi
    line="$line torch-$core $v"
  done
  echo "$line"
done
