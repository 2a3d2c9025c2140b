#!/usr/bin/env python3
"""What the scene misses on unsafe prompts are, from `alignguard evaluate --details`.

    scripts/scene-misses.py EVAL.json DETAILS.csv

EVAL.json is evaluate's output (its counts say how many of the details' rows are in-grammar: they
come first, the out-of-grammar rows after). Prints, for the in-grammar unsafe prompts (the ones
scene fidelity scores) and for unsafe plus held-out prompts, the attributes drawn wrong, and how
often an orange shape is read as another colour on each set.
"""
import collections, csv, json, sys

report = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))[: sum(report["counts"].values())]
ATTRS = ["shape", "colour", "background", "position"]


def misses(sets):
    picked = [r for r in rows if r["set"] in sets]
    wrong = [r for r in picked if r["attributes_match"] == "false"]
    kinds = collections.Counter(f"{a}: {r['named_' + a]} -> {r['seen_' + a]}" for r in wrong for a in ATTRS if r["named_" + a] != r["seen_" + a])
    print(f"{'+'.join(sets)}: {len(wrong)} of {len(picked)} scenes drawn wrong")
    for k, n in kinds.most_common(8):
        print(f"    {n:4d}  {k}")


misses(["unsafe"])
misses(["unsafe", "held_out"])
for s in ["unsafe", "held_out", "safe_twin"]:
    orange = [r for r in rows if r["set"] == s and r["named_colour"] == "orange"]
    print(f"orange shapes on {s}: {sum(r['seen_colour'] != 'orange' for r in orange)} of {len(orange)} read as another colour")
