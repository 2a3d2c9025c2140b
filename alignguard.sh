#!/usr/bin/env bash
# Launcher for the alignguard command line: builds the project if needed, then runs it.
#   ./alignguard.sh --help
# (It cannot be called ./alignguard: that name is the alignguard/ module's directory.)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$ROOT/scripts/jdk.sh"
JAR="$ROOT/alignguard/target/alignguard.jar"

# The TornadoVM backend (--backend tornado, README "GPU (TornadoVM)") runs with the SDK's argfile,
# which puts TornadoVM and its Graal compiler on the module path. Checked before any build, so a
# missing or empty argfile is one line, not a failed build.
TORNADO_OPTS=""
want_tornado=""
sub=""   # the subcommand: the first word that is neither an option nor --backend's value
prev=""
for a in "$@"; do
  { [ "$a" = "--backend=tornado" ] || { [ "$prev" = "--backend" ] && [ "$a" = "tornado" ]; }; } && want_tornado=yes
  case "$a" in -*) ;; *) [ -z "$sub" ] && [ "$prev" != "--backend" ] && sub="$a" ;; esac
  prev="$a"
done
case " ${ALIGNGUARD_JAVA_OPTS:-} " in *" -Dalignguard.backend=tornado "*) want_tornado=yes ;; esac
if [ -n "$want_tornado" ]; then
  if [ -z "${TORNADOVM_HOME:-}" ]; then
    echo "alignguard: --backend tornado: set TORNADOVM_HOME to a TornadoVM SDK (with tornado-argfile) and rebuild; see README, \"GPU (TornadoVM)\"" >&2
    exit 2
  fi
  if [ ! -s "$TORNADOVM_HOME/tornado-argfile" ]; then
    # The argfile step run without JAVA_HOME writes an empty file: refuse it as plainly as a missing one.
    echo "alignguard: --backend tornado: $TORNADOVM_HOME/tornado-argfile is missing or empty; export JAVA_HOME (a JDK 25) and redo the argfile step of README, \"GPU (TornadoVM)\"" >&2
    exit 2
  fi
  TORNADO_OPTS="@$TORNADOVM_HOME/tornado-argfile -Dtornado.recover.bailout=False"
fi

# The heap fits the machine: ALIGNGUARD_HEAP (for example 1g or 4g) sets it; by default a quarter of
# the machine's memory, at least 1 GiB and at most 1152 MiB (4 GiB for pretrain), which keeps the
# main job (`run`) under 1.5 GB of resident memory (docs/PERFORMANCE.md, "memory"). Three quarters of the heap is the
# young generation: a training step allocates a few hundred MB of activations that die within the
# step, and a young generation that holds a whole step keeps them out of the old one.
to_mb() {   # 1g, 1500m, 1048576k -> MiB
  case "$1" in
    *[gG]) echo $(( ${1%[gG]} * 1024 )) ;;
    *[mM]) echo "${1%[mM]}" ;;
    *[kK]) echo $(( ${1%[kK]} / 1024 )) ;;
    *) echo "" ;;
  esac
}
if [ -n "${ALIGNGUARD_HEAP:-}" ]; then
  heap_mb="$(to_mb "$ALIGNGUARD_HEAP")"
  case "$heap_mb" in ''|*[!0-9]*) echo "alignguard: ALIGNGUARD_HEAP=$ALIGNGUARD_HEAP: give a size such as 2g or 1500m" >&2; exit 2 ;; esac
  if [ "$heap_mb" -lt 64 ]; then echo "alignguard: ALIGNGUARD_HEAP=$ALIGNGUARD_HEAP is below 64m" >&2; exit 2; fi
else
  mem_kb="$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null || true)"
  [ -z "$mem_kb" ] && mem_kb="$(( $(sysctl -n hw.memsize 2>/dev/null || echo 8589934592) / 1024 ))"
  # Pretraining the base model (batch 32, optimizer state and an average of every weight) keeps
  # ~360 MB live: at 1152 MiB it runs two full collections a step and 10% slower (2.6 against 2.9
  # steps/s over 120 steps, docs/PERFORMANCE.md), so it gets up to 4 GiB.
  cap_mb=1152
  [ "$sub" = pretrain ] && cap_mb=4096
  heap_mb=$(( mem_kb / 1024 / 4 ))
  [ "$heap_mb" -lt 1024 ] && heap_mb=1024
  [ "$heap_mb" -gt "$cap_mb" ] && heap_mb="$cap_mb"
fi
young_mb=$(( heap_mb * 3 / 4 ))
start_mb="$heap_mb"

# Rebuild when the jar is missing or any main source, resource or pom is newer than it.
stale=""
if [ ! -f "$JAR" ]; then
  stale=yes
elif [ -n "$(find "$ROOT/pom.xml" "$ROOT"/{tensor,autograd,diffusion,alignguard}/pom.xml "$ROOT"/{tensor,autograd,diffusion,alignguard}/src/main "$ROOT"/tensor/src/tornado \
        -newer "$JAR" -type f 2>/dev/null | head -n 1)" ]; then
  stale=yes
fi
if [ -n "$stale" ]; then
  echo "alignguard: building (first run or sources changed)..." >&2
  log="$(mktemp)"
  if ! (cd "$ROOT" && mvn -q -B -Dmaven.test.skip=true -pl alignguard -am package >"$log" 2>&1); then
    cat "$log" >&2
    rm -f "$log"
    echo "alignguard: build failed" >&2
    exit 1
  fi
  rm -f "$log"
  # Maven leaves the jar alone when only another module changed; mark it fresh so the next launch
  # does not build again.
  touch "$JAR"
fi

export ALIGNGUARD_HOME="$ROOT"
# Parallel GC with a large young generation: training allocates many short-lived activation
# arrays, and G1 spends a quarter of the step on them (docs/PERFORMANCE.md, "garbage collector").
# The heap is committed at start (-Xms = -Xmx): growing it later costs full collections.
# ALIGNGUARD_GC_OPTS replaces these flags (for example with -XX:+UseG1GC to compare).
GC_OPTS="${ALIGNGUARD_GC_OPTS:--XX:+UseParallelGC -Xms${start_mb}m -Xmx${heap_mb}m -Xmn${young_mb}m}"
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  $GC_OPTS $TORNADO_OPTS ${ALIGNGUARD_JAVA_OPTS:-} -jar "$JAR" "$@"
