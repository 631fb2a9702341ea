#!/usr/bin/env bash
# Runs each fuzz target in BUILD_DIR for SECONDS, starting from the seed corpus in fuzz/corpus/<name>
# (copied, so the seeds in the repo stay small). Fails on any crash, leak or sanitizer report.
set -euo pipefail
build_dir=${1:?usage: run-fuzz.sh BUILD_DIR SECONDS}
seconds=${2:-30}
root=$(cd "$(dirname "$0")/.." && pwd)

for target in request rfb; do
  corpus="$build_dir/corpus/$target"
  mkdir -p "$corpus"
  cp -n "$root/fuzz/corpus/$target"/* "$corpus"/ 2>/dev/null || true
  echo "fuzz: $target for ${seconds}s"
  "$build_dir/fuzz/${target}_fuzz" -max_total_time="$seconds" -max_len=20000 -print_final_stats=1 \
    -artifact_prefix="$build_dir/" "$corpus" 2>&1 | tail -n 12
done
echo "fuzz: no crashes"
