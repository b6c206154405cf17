#!/usr/bin/env bash
# Builds twoliter and runs the whole test suite: every ctest test (unit,
# scenario, CLI, end to end, crash/disk-full/concurrency runs and the
# benchmark smoke runs, in parallel), then the unit and scenario tests again
# under ASan + UBSan (ci/sanitize.sh), then every fuzz target for a bounded
# time (ci/fuzz.sh).
#
# Arguments go to ctest (e.g. ci/test.sh -R kit); a run given arguments skips
# the sanitizer and fuzz runs unless TWOLITER_SANITIZE=1 / TWOLITER_FUZZ=1
# ask for them, and TWOLITER_SANITIZE=0 / TWOLITER_FUZZ=0 skip them always.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/ci/build.sh"
cd "${TWOLITER_BUILD_DIR:-$root/out}"
extra_runs=1
[ $# -eq 0 ] || extra_runs=0
# The full benchmarks (label bench-full) take an hour or more: run them with
# "ctest -L bench-full"; their smoke runs (bench-smoke) stay in this suite.
start=$(date +%s)
ctest --output-on-failure --parallel "$(nproc)" -LE bench-full "$@"
echo "ci/test.sh: ctest took $(($(date +%s) - start)) s"

if [ "${TWOLITER_SANITIZE:-$extra_runs}" = 1 ]; then
    start=$(date +%s)
    "$root/ci/sanitize.sh"
    echo "ci/test.sh: sanitizer run took $(($(date +%s) - start)) s"
fi
if [ "${TWOLITER_FUZZ:-$extra_runs}" = 1 ]; then
    start=$(date +%s)
    "$root/ci/fuzz.sh"
    echo "ci/test.sh: fuzz run took $(($(date +%s) - start)) s"
fi
