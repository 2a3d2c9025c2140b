#!/usr/bin/env python3
"""Where a run's garbage comes from (docs/PERFORMANCE.md, ninth session).

Sums JFR's allocation samples by class and by the first two frames of this project, over the second
half of the recording (the warm part: the JIT has compiled the hot code by then).

    ALIGNGUARD_JAVA_OPTS="-XX:StartFlightRecording=filename=F.jfr,settings=profile" ./alignguard.sh bench --only dpo
    jfr print --events jdk.ObjectAllocationSample --stack-depth 12 F.jfr > F.txt
    scripts/jfr-alloc.py F.txt [ROWS]
"""
import collections
import re
import sys

UNITS = {"bytes": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}


def samples(text):
    for event in text.split("jdk.ObjectAllocationSample")[1:]:
        cls = re.search(r"objectClass = (\S+)", event)
        weight = re.search(r"weight = ([\d.]+) (\w+)", event)
        start = re.search(r"startTime = (\S+)", event)
        if not (cls and weight and start):
            continue
        frames = re.findall(r"\n\s+([\w.$]+\.[\w$<>]+)\(", event)
        yield start.group(1), cls.group(1), frames, float(weight.group(1)) * UNITS.get(weight.group(2), 1)


def main():
    rows = sorted(samples(open(sys.argv[1]).read()))
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    warm = rows[len(rows) // 2:]
    total, by = 0.0, collections.Counter()
    for _, cls, frames, weight in warm:
        ours = " < ".join([f for f in frames if f.startswith("org.alignguard")][:2])
        by[(cls, ours)] += weight
        total += weight
    print(f"warm half: {total / 1e6:.1f} MB sampled")
    for (cls, ours), weight in by.most_common(limit):
        print(f"{weight / 1e6:9.1f} MB  {cls:35s} {ours}")


if __name__ == "__main__":
    main()
