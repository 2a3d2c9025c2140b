#!/usr/bin/env bash
# Java against its peers at their best, back to back (issue 14). The one loop behind
# scripts/kept-bars.sh (WHAT = kernels) and scripts/dpo-vs-torch.sh (WHAT = dpo):
#   kernels: ./alignguard.sh bench --only sgemm1024,conv,mlp  against  bench/peers.py --only kernels
#            (SGEMM 1024³ against numpy on OpenBLAS, the convolution and the MLP step against torch)
#   dpo:     ./alignguard.sh bench --only dpo                  against  bench/peers.py --only dpo
# Each round runs the Java side, then the peer with OPENBLAS_CORETYPE unset (the core OpenBLAS picks
# by itself), SkylakeX, Haswell and Zen, the order turning by one each round. It prints one line per
# round (every figure), then for each benchmark:
#   - each side's median over the rounds, the peer's best core by median, and Java over that best
#     (the kept bars: >= 1.0 for SGEMM's GFLOP/s, <= 1.0 for milliseconds);
#   - Java over the round's best core, round by round, and the median of those ratios (the DPO bar);
#   - for the convolution, also all the peer's runs together: torch runs it on oneDNN, which the core
#     setting does not reach, so its four "cores" are four samples of one program.
#   scripts/vs-peers.sh WHAT [ROUNDS] [OLD]   (default 5 rounds; needs python3-torch, libopenblas0-pthread)
# OLD: another checkout of the project (e.g. a git worktree at an earlier commit), timed in each
# round as "old" (before this checkout in odd rounds, after it in even ones), to compare two commits
# under the same noise. A benchmark only: never set OPENBLAS_CORETYPE in tests or CI.
set -euo pipefail
what="${1:-}"
rounds="${2:-5}"
old="${3:-}"
case "$what" in
  kernels) java_only=sgemm1024,conv,mlp ;;
  dpo) java_only=dpo ;;
  *) echo "vs-peers: WHAT must be kernels or dpo, got '$what'" >&2; exit 2 ;;
esac
case "$rounds" in
  ''|*[!0-9]*|0) echo "vs-peers: ROUNDS must be a positive whole number, got '$rounds'" >&2; exit 2 ;;
esac
if [ -n "$old" ]; then
  [ -x "$old/alignguard.sh" ] || { echo "vs-peers: OLD must be a checkout of the project (no alignguard.sh in '$old')" >&2; exit 2; }
  old="$(cd "$old" && pwd)"
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="$(mktemp)"
log="$(mktemp)"
trap 'rm -f "$out" "$log" "$log.json"' EXIT
java_round() {   # $1: label, $2: checkout
  (cd "$2" && ./alignguard.sh bench --only "$java_only" 2>>"$log") > "$log.json" ||
    { echo "vs-peers: the $1 bench failed; its output:" >&2; cat "$log" >&2; exit 1; }
  grep '"value"' "$log.json" | sed "s/^/$1 $r /" >> "$out"
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
    "$@" /usr/bin/python3 bench/peers.py --only "$what" > "$log.json" 2>>"$log" ||
      { echo "vs-peers: bench/peers.py failed at OPENBLAS_CORETYPE=$core; its output:" >&2; cat "$log" >&2; exit 1; }
    grep '"value"' "$log.json" | sed "s/^/peer-$core $r /" >> "$out"
  done
done
/usr/bin/python3 - "$out" <<'EOF'
import json, statistics, sys
kinds = {"sgemm_1024": "sgemm", "conv2d_fwd_bwd_b32_c64x64_16x16_k3p1": "conv",
         "mlp3x256_b64_train_step": "mlp", "mlp_step_b64_w256_3layer_adamw": "mlp"}
def kind(name):
    return "dpo" if name.startswith("dpo_step_") else kinds.get(name)
runs, rounds, byround = {}, {}, {}
for line in open(sys.argv[1]):
    who, r, rec = line.split(" ", 2)
    rec = json.loads(rec)
    k = kind(rec["name"])
    if k:
        runs.setdefault((k, who), []).append(rec["value"])
        byround.setdefault((k, int(r)), {})[who] = rec["value"]
        rounds.setdefault(int(r), []).append(f"{k}:{who} {rec['value']:g}")
for r in sorted(rounds):
    print(f"round {r}: " + ", ".join(rounds[r]))
for bench, higher in (("sgemm", True), ("conv", False), ("mlp", False), ("dpo", False)):
    med = {who: statistics.median(v) for (b, who), v in runs.items() if b == bench}
    peers = {w: m for w, m in med.items() if w.startswith("peer-")}
    if not peers:
        continue
    pick = max if higher else min
    best = pick(peers, key=peers.get)
    unit = "GFLOP/s" if higher else "ms"
    line = [f"{bench} ({unit}):"]
    for who in ("old", "java"):
        if who in med:
            vals = ", ".join(f"{x:g}" for x in runs[(bench, who)])
            line.append(f"{who} {med[who]:g} [{vals}] = {med[who] / peers[best]:.3f} x")
    line.append("peers " + "; ".join(f"{w[5:]} {m:g}" for w, m in sorted(peers.items())) + f"; best {best[5:]}")
    print("  ".join(line))
    ratios = []
    for (b, r), vals in sorted(byround.items()):
        round_peers = {w: v for w, v in vals.items() if w.startswith("peer-")}
        if b == bench and "java" in vals and round_peers:
            ratios.append(vals["java"] / vals[pick(round_peers, key=round_peers.get)])
    if ratios:
        print(f"  {bench}, java over the round's best core: " + ", ".join(f"{x:.3f}" for x in ratios)
              + f"; median {statistics.median(ratios):.3f} x")
    if bench == "conv":
        pooled = statistics.median([x for (b, w), v in runs.items() if b == bench and w.startswith("peer-") for x in v])
        print(f"  conv, the peer's runs at every core together: median {pooled:g} ms; java / that = "
              f"{med['java'] / pooled:.3f} x" + (f", old / that = {med['old'] / pooled:.3f} x" if "old" in med else ""))
EOF
