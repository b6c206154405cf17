#!/usr/bin/env bash
# Builds twoliter and runs the whole test suite (unit, scenario, CLI and the
# benchmark smoke run) under ctest, in parallel.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/ci/build.sh"
cd "${TWOLITER_BUILD_DIR:-$root/out}"
ctest --output-on-failure --parallel "$(nproc)" "$@"
