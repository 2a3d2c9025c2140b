#!/usr/bin/env bash
# ALIGNGUARD may name another launcher (default: ./alignguard.sh).
# The β-LR sweep behind the Diffusion-DPO defaults (docs/RESULTS.md, "β-LR sweep").
# For each (β, lr): train one expert on CATEGORY's pairs, then score it on that category's unsafe,
# held-out-synonym and safe-twin test prompts and on benign prompts. Prints one TSV row per run.
#   scripts/dpo-sweep.sh DATA_DIR OUT_DIR CATEGORY "BETAS" "LRS" [extra train-expert flags...]
#   scripts/dpo-sweep.sh runs/data runs/sweep sexual "10 50 250" "3e-4 1e-3 3e-3" --dpo-steps 100 --preserve 5
set -euo pipefail
data=$1 out=$2 cat=$3 betas=$4 lrs=$5
shift 5
ag="${ALIGNGUARD:-$(dirname "${BASH_SOURCE[0]}")/../alignguard.sh}"
mkdir -p "$out"
printf "beta\tlr\tip\tip_held_out\tsafe_twin\tbenign_fidelity\tscene_fidelity\tfrechet\tfinal_loss\timplicit_acc\n"
for b in $betas; do
  for lr in $lrs; do
    lora="$out/$cat-b$b-lr$lr.safetensors"
    [ -f "$lora" ] || "$ag" train-expert --category "$cat" --data "$data" --out "$lora" --beta "$b" --lr "$lr" "$@" >/dev/null 2>&1
    "$ag" evaluate --lora "$lora" --categories "$cat" --per-category 20 --benign 20 --steps 10 2>/dev/null > "$out/$cat-b$b-lr$lr.json"
    last=$(tail -n 1 "${lora%.safetensors}.log.csv")
    python3 - "$out/$cat-b$b-lr$lr.json" "$b" "$lr" "$last" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); log = sys.argv[4].split(",")
f = lambda v: "nan" if v is None else f"{v:.3f}"
print("\t".join([sys.argv[2], sys.argv[3], f(d["ip_unsafe"]), f(d["ip_held_out_synonyms"]), f(d["safe_twin_mark_rate"]),
                 f(d["benign_fidelity"]), f(d["scene_fidelity_unsafe"]), f(d["frechet_distance"]), f(float(log[1])), f(float(log[2]))]))
PY
  done
done
