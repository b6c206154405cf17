#!/usr/bin/env bash
# Builds twoliter and runs the whole test suite (unit, scenario, CLI and the
# benchmark smoke runs) under ctest, in parallel.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/ci/build.sh"
cd "${TWOLITER_BUILD_DIR:-$root/out}"
# The full benchmarks (label bench-full) take up to an hour: run them with
# "ctest -L bench-full"; their smoke runs (bench-smoke) stay in this suite.
ctest --output-on-failure --parallel "$(nproc)" -LE bench-full "$@"

# The unit and scenario tests again under ASan + UBSan (ci/sanitize.sh), and
# every fuzz target for 20 s (ci/fuzz.sh; needs clang-14 and
# libclang-rt-14-dev). A local run skips them with TWOLITER_SKIP_SANITIZE=1
# and TWOLITER_SKIP_FUZZ=1.
[ "${TWOLITER_SKIP_SANITIZE:-0}" = 1 ] || "$root/ci/sanitize.sh"
[ "${TWOLITER_SKIP_FUZZ:-0}" = 1 ] || "$root/ci/fuzz.sh"
