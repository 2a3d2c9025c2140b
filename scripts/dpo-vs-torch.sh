#!/usr/bin/env bash
# The DPO step, Java against torch at its best, back to back (issue 14): each round runs
# `./alignguard.sh bench --only dpo`, then bench/peers.py --only dpo with OPENBLAS_CORETYPE unset
# (the core OpenBLAS picks by itself), SkylakeX, Haswell and Zen; one line of medians per process.
#   scripts/dpo-vs-torch.sh [ROUNDS]      (default 3; needs python3-torch, libopenblas0-pthread)
# A benchmark only: never set OPENBLAS_CORETYPE in tests or CI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds="${1:-3}"
value() { sed -n 's/.*"value": \([0-9.]*\).*/\1/p' | tail -n 1; }
for r in $(seq 1 "$rounds"); do
  line="round $r java $(./alignguard.sh bench --only dpo 2>/dev/null | grep dpo_step | value)"
  for core in unset SkylakeX Haswell Zen; do
    if [ "$core" = unset ]; then v="$(env -u OPENBLAS_CORETYPE /usr/bin/python3 bench/peers.py --only dpo 2>/dev/null | value)"
    else v="$(OPENBLAS_CORETYPE=$core /usr/bin/python3 bench/peers.py --only dpo 2>/dev/null | value)"; fi
    line="$line torch-$core $v"
  done
  echo "$line"
done
