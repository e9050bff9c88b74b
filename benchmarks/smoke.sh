#!/usr/bin/env bash
# Smoke run of the JMH suite for CI: every benchmark and every parameter combination once, for
# about 100 ms, in this JVM (-f 0), stopping at the first benchmark that throws (-foe true), so the
# suite never rots. The numbers it prints are NOT measurements (no warm-up, no fork).
#
# It runs twice: with the Vector API module (the SIMD kernels; with -f 0 the flag must be on this
# java command, the benchmarks' @Fork arguments do not apply) and without it (the portable path).
# DecodeBenchmark is left out, with a note, when the Fashion-MNIST files are not installed.
#
# Usage: benchmarks/smoke.sh [extra JMH options]   (after: mvn -B -DskipTests package)
# Environment: JAVA (default: java), FASHION_MNIST (default: /usr/share/datasets/fashion-mnist)
set -euo pipefail
cd "$(dirname "$0")/.."

jar=benchmarks/target/benchmarks.jar
java=${JAVA:-java}
data=${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
if [ ! -f "$jar" ]; then
  echo "smoke: $jar not found; build it first: mvn -B -DskipTests package" >&2
  exit 2
fi

# ResNet-18's steps take seconds at the benchmarks' 96x96, batch 32: the smoke run uses tiny ones.
args=(-f 0 -wi 0 -i 1 -r 100ms -foe true -p "dir=$data" -p imageSize=32 -p batchSize=2)
if [ ! -f "$data/train-images-idx3-ubyte.gz" ] && [ ! -f "$data/train-images-idx3-ubyte" ]; then
  echo "smoke: no Fashion-MNIST training set in $data: DecodeBenchmark left out"
  args+=(-e DecodeBenchmark)
fi

run() {  # run NAME JVM-FLAGS...: one pass over the suite; full log in benchmarks/target/smoke-NAME.log
  local name=$1
  shift
  local log=benchmarks/target/smoke-$name.log
  local start=$SECONDS
  if "$java" "$@" -jar "$jar" "${args[@]}" "${extra[@]}" >"$log" 2>&1; then
    echo "smoke ($name): $(grep -c '^# Benchmark: ' "$log") benchmark runs passed in $((SECONDS - start)) s ($(grep -m1 -o 'kernels .*' "$log" | sed 's/, [0-9]* threads*$//'))"
  else
    echo "smoke ($name): FAILED after $((SECONDS - start)) s; log: $log" >&2
    grep -n -B3 -A30 -e '<failure>' -e '^ERROR' -e 'Exception' "$log" | head -n 120 >&2 || tail -n 60 "$log" >&2
    exit 1
  fi
}

extra=("$@")
run simd --add-modules jdk.incubator.vector
run portable
