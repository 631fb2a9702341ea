#!/usr/bin/env bash
# Runs every test registered with CTest in BUILD_DIR and prints one summary line. Exit status: 0 only
# when every test passed.
set -uo pipefail
build_dir=${1:?usage: run-tests.sh BUILD_DIR}
jobs=${CTEST_JOBS:-2}

# Each test binary opens many sockets in the load-style tests; stay under the machine's hard limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

log="$build_dir/ctest.log"
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

summary=$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$log" | tail -n 1)
total=$(sed -nE 's/.* out of ([0-9]+).*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.* ([0-9]+) tests failed.*/\1/p' <<<"$summary")
if [[ -z "$total" || "$total" == 0 ]]; then
  echo "run-tests: no tests ran" >&2
  exit 1
fi
echo
echo "$((total - failed)) passed, $failed failed"
exit "$status"
