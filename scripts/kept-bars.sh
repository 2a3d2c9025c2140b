#!/usr/bin/env bash
# Issue 14's kept bars, Java against the peers at their best, back to back: SGEMM 1024³ against
# numpy on OpenBLAS, the convolution step and the MLP step against torch. Each round runs
#   ./alignguard.sh bench --only sgemm1024,conv,mlp
# then bench/peers.py --only kernels with OPENBLAS_CORETYPE unset (the core OpenBLAS picks by itself),
# SkylakeX, Haswell and Zen, the order turning by one each round. It prints one line per round (every
# figure), then each side's median over the rounds, the peer's best core, and the ratio (Java over
# the best peer: the bar is >= 1.0 for SGEMM's GFLOP/s and <= 1.0 for the steps' milliseconds).
# torch's convolution runs on oneDNN, which the core setting does not reach, so for it the script
# also prints the median of all the peer's runs together.
#   scripts/kept-bars.sh [ROUNDS] [OLD]   (default 5 rounds; needs python3-torch, libopenblas0-pthread)
# OLD: another checkout of the project (e.g. a git worktree at an earlier commit), timed in each
# round as "old" (before this checkout in odd rounds, after it in even ones), to compare two commits
# under the same noise. A benchmark only: never set OPENBLAS_CORETYPE in tests or CI.
set -euo pipefail
rounds="${1:-5}"
old="${2:-}"
case "$rounds" in
  ''|*[!0-9]*|0) echo "kept-bars: ROUNDS must be a positive whole number, got '$rounds'" >&2; exit 2 ;;
esac
if [ -n "$old" ]; then
  [ -x "$old/alignguard.sh" ] || { echo "kept-bars: OLD must be a checkout of the project (no alignguard.sh in '$old')" >&2; exit 2; }
  old="$(cd "$old" && pwd)"
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="$(mktemp)"
log="$(mktemp)"
trap 'rm -f "$out" "$log"' EXIT
java_round() {   # $1: label, $2: checkout
  (cd "$2" && ./alignguard.sh bench --only sgemm1024,conv,mlp 2>>"$log") > "$log.json" ||
    { echo "kept-bars: the $1 bench failed; its output:" >&2; cat "$log" >&2; exit 1; }
  grep '"value"' "$log.json" | sed "s/^/$1 $r /" >> "$out"
  rm -f "$log.json"
}
cores=(unset SkylakeX Haswell Zen)
for r in $(seq 1 "$rounds"); do
  if [ -n "$old" ] && [ $((r % 2)) -eq 1 ]; then java_round old "$old"; fi
  java_round java .
  if [ -n "$old" ] && [ $((r % 2)) -eq 0 ]; then java_round old "$old"; fi
  for i in 0 1 2 3; do
    core="${cores[$(( (i + r - 1) % 4 ))]}"
    if [ "$core" = unset ]; then set -- env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE
    else set -- env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE="$core"; fi
    "$@" /usr/bin/python3 bench/peers.py --only kernels > "$log.json" 2>>"$log" ||
      { echo "kept-bars: bench/peers.py failed at OPENBLAS_CORETYPE=$core; its output:" >&2; cat "$log" >&2; exit 1; }
    grep '"value"' "$log.json" | sed "s/^/peer-$core $r /" >> "$out"
    rm -f "$log.json"
  done
done
/usr/bin/python3 - "$out" <<'EOF'
import json, statistics, sys
kinds = {"sgemm_1024": "sgemm", "conv2d_fwd_bwd_b32_c64x64_16x16_k3p1": "conv",
         "mlp3x256_b64_train_step": "mlp", "mlp_step_b64_w256_3layer_adamw": "mlp"}
runs, rounds = {}, {}
for line in open(sys.argv[1]):
    who, r, rec = line.split(" ", 2)
    rec = json.loads(rec)
    if rec["name"] in kinds:
        runs.setdefault((kinds[rec["name"]], who), []).append(rec["value"])
        rounds.setdefault(int(r), []).append(f"{kinds[rec['name']]}:{who} {rec['value']:g}")
for r in sorted(rounds):
    print(f"round {r}: " + ", ".join(rounds[r]))
for bench, higher in (("sgemm", True), ("conv", False), ("mlp", False)):
    med = {who: statistics.median(v) for (b, who), v in runs.items() if b == bench}
    peers = {w: m for w, m in med.items() if w.startswith("peer-")}
    best = (max if higher else min)(peers, key=peers.get)
    line = [f"{bench} ({'GFLOP/s' if higher else 'ms'}):"]
    for who in ("old", "java"):
        if who in med:
            vals = ", ".join(f"{x:g}" for x in runs[(bench, who)])
            line.append(f"{who} {med[who]:g} [{vals}] = {med[who] / peers[best]:.3f} x")
    line.append("peers " + "; ".join(f"{w[5:]} {m:g}" for w, m in sorted(peers.items())) + f"; best {best[5:]}")
    print("  ".join(line))
    if bench == "conv":
        # torch's convolution runs on oneDNN (mkldnn_convolution), which OPENBLAS_CORETYPE does not
        # reach: the four "cores" are four samples of one program, and the best of their medians is
        # partly the luckiest. So also all its runs together.
        pooled = statistics.median([x for (b, w), v in runs.items() if b == bench and w.startswith("peer-") for x in v])
        print(f"  conv, the peer's runs at every core together: median {pooled:g} ms; java / that = "
              f"{med['java'] / pooled:.3f} x" + (f", old / that = {med['old'] / pooled:.3f} x" if "old" in med else ""))
EOF
