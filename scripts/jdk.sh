# Sourced by ./alignguard and .ci/run: makes sure JAVA_HOME points at a JDK 25 or newer.
# The machine's default java may be older (17); a Temurin 25 is looked for beside it.
java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1; }
if [ -z "${JAVA_HOME:-}" ] || [ ! -x "$JAVA_HOME/bin/java" ] || [ "$(java_major "$JAVA_HOME")" -lt 25 ] 2>/dev/null; then
  for cand in /usr/lib/jvm/temurin-25* /usr/lib/jvm/*25* /usr/lib/jvm/*; do
    if [ -x "$cand/bin/javac" ] && [ "$(java_major "$cand")" -ge 25 ] 2>/dev/null; then
      export JAVA_HOME="$cand"
      break
    fi
  done
fi
if [ -z "${JAVA_HOME:-}" ] || [ "$(java_major "$JAVA_HOME")" -lt 25 ] 2>/dev/null; then
  echo "alignguard: needs JDK 25 or newer; set JAVA_HOME to one (found none under /usr/lib/jvm)" >&2
  exit 2
fi
export PATH="$JAVA_HOME/bin:$PATH"
