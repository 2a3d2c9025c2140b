#!/usr/bin/env bash
# Issue 14's kept bars, Java against the peers at their best, back to back: SGEMM 1024³ against
# numpy on OpenBLAS, the convolution step and the MLP step against torch, at each OpenBLAS core.
#   scripts/kept-bars.sh [ROUNDS] [OLD]   (default 5 rounds)
# The loop, its output and OLD: scripts/vs-peers.sh. A benchmark only: never set OPENBLAS_CORETYPE in tests or CI.
exec "$(dirname "${BASH_SOURCE[0]}")/vs-peers.sh" kernels "${1:-5}" "${2:-}"
