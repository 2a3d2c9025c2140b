#!/usr/bin/env bash
# The DPO step, Java against torch at its best, back to back (issue 14): torch at each OpenBLAS core,
# and Java over each round's best core, with the median of those ratios (the bar: <= 1.0).
#   scripts/dpo-vs-torch.sh [ROUNDS] [OLD]   (default 3 rounds)
# The loop, its output and OLD: scripts/vs-peers.sh. A benchmark only: never set OPENBLAS_CORETYPE in tests or CI.
exec "$(dirname "${BASH_SOURCE[0]}")/vs-peers.sh" dpo "${1:-3}" "${2:-}"
