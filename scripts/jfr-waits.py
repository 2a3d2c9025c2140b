#!/usr/bin/env python3
"""Where a job's two threads wait (docs/PERFORMANCE.md, fourteenth session).

Reads JFR's execution samples and counts, per thread, the samples spent waiting (the calling thread
in Parallel.Job.await, a worker in Parallel.Worker.take) and, per tensor kernel that splits its loop,
the calling thread's samples working on its part against waiting for the worker's. A frame name
given with --frame is counted too (say ProbeEvaluator: the probes' share of the calling thread).

    ALIGNGUARD_JAVA_OPTS="-XX:StartFlightRecording=filename=F.jfr,settings=profile" ./alignguard.sh run ...
    jfr print --events jdk.ExecutionSample --stack-depth 30 F.jfr > F.txt
    scripts/jfr-waits.py F.txt [--from HH:MM:SS] [--to HH:MM:SS] [--frame NAME] [--rows N]
"""
import collections
import re
import sys


def opt(name, default=None):
    argv = sys.argv[2:]
    return argv[argv.index(name) + 1] if name in argv else default


def samples(text, start, end):
    """(thread, frames top first) of every sample whose start time lies in [start, end]."""
    for event in text.split("jdk.ExecutionSample")[1:]:
        when = re.search(r"startTime = (\d\d:\d\d:\d\d)", event)
        if not when or not (start <= when.group(1) <= end):
            continue
        frames = re.findall(r"\n\s+([\w.$]+\.[\w$<>]+)\(", event)
        thread = re.search(r'sampledThread = "([^"]*)"', event)
        if frames:
            yield (thread.group(1) if thread else "?"), frames


def caller(frames):
    """The first frame below the Parallel machinery: the kernel that split its loop."""
    rest = [f for f in frames if "Parallel" not in f]
    return rest[0] if rest else "?"


def main():
    text = open(sys.argv[1]).read()
    start, end, frame, rows = opt("--from", "00:00:00"), opt("--to", "99:99:99"), opt("--frame"), int(opt("--rows", "12"))
    per_thread = collections.Counter()
    waiting = collections.Counter()
    framed = 0
    ops = collections.defaultdict(collections.Counter)
    for thread, frames in samples(text, start, end):
        per_thread[thread] += 1
        top = frames[0]
        if thread == "main":
            if frame and any(frame in f for f in frames):
                framed += 1
            if top.endswith("Job.await"):
                waiting[thread] += 1
                ops[caller(frames)]["waiting"] += 1
            elif any(f.endswith("Job.runPart") for f in frames):
                below = frames[max(i for i, f in enumerate(frames) if f.endswith("Job.runPart")) + 1:]
                ops[caller(below)]["working"] += 1
        elif top.endswith("Worker.take"):
            waiting[thread] += 1
    for thread, n in per_thread.most_common(4):
        print(f"{thread}: {n} samples, {100 * waiting[thread] / n:.0f}% waiting")
    if frame:
        print(f"main in {frame}: {framed} samples, {100 * framed / max(1, per_thread['main']):.0f}%")
    print("kernel (calling thread): working / waiting")
    for op, c in sorted(ops.items(), key=lambda kv: -sum(kv[1].values()))[:rows]:
        print(f"  {c['working']:6d} {c['waiting']:6d}  {op}")


if __name__ == "__main__":
    main()
