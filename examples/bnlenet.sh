#!/usr/bin/env bash
# Builds and runs BnLeNet (d2l's Batch Normalization chapter) with the options given, e.g.
#   bash examples/bnlenet.sh                          # 28x28, batch 256, lr 1.0, 10 epochs
#   bash examples/bnlenet.sh --resize 96 --batch-size 32
# On Debian or Ubuntu it first installs the Fashion-MNIST package when no data is found; elsewhere
# the program downloads the four files into ~/.cache/grad4j/fashion-mnist.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

system_data=/usr/share/datasets/fashion-mnist
if [ -z "${GRAD4J_DATA:-}" ] && [ ! -f "$system_data/train-images-idx3-ubyte.gz" ] \
    && [ ! -f "$HOME/.cache/grad4j/fashion-mnist/train-images-idx3-ubyte.gz" ] && command -v apt-get >/dev/null; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "bnlenet.sh: installing Debian's dataset-fashion-mnist" >&2
  $sudo apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 \
    || { $sudo apt-get update -qq && $sudo apt-get install -y -qq dataset-fashion-mnist >/dev/null; }
fi

# The first screen holds what the program says: Maven's output (even -q -B prints colour resets)
# is shown only when the build fails, and the JDK's notice that an incubator module is in use (the
# SIMD kernels' Vector API) is left out.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! (cd "$root" && mvn -B -q -DskipTests package) >"$log" 2>&1; then
  cat "$log" >&2
  echo "bnlenet.sh: the build failed (mvn -B -q -DskipTests package in $root)" >&2
  exit 1
fi
set +e
{ java --add-modules jdk.incubator.vector -jar "$root/examples/target/bnlenet.jar" "$@" 2>&1 1>&3 3>&- \
    | grep -v -x --line-buffered 'WARNING: Using incubator modules: jdk.incubator.vector' >&2; } 3>&1
exit "${PIPESTATUS[0]}"
