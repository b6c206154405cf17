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
# every fuzz target for 20 s (ci/fuzz.sh; needs clang and libclang-rt-14-dev),
# with TWOLITER_SANITIZE=1 and TWOLITER_FUZZ=1.
if [ "${TWOLITER_SANITIZE:-0}" = 1 ]; then "$root/ci/sanitize.sh"; fi
if [ "${TWOLITER_FUZZ:-0}" = 1 ]; then "$root/ci/fuzz.sh"; fi
