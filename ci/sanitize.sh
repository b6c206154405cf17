#!/usr/bin/env bash
# Builds the unit and scenario tests with AddressSanitizer and
# UndefinedBehaviorSanitizer (-DTWOLITER_SANITIZE=ON) into out-asan/ (or
# $TWOLITER_ASAN_DIR) and runs them; any report fails the run.
# Usage: ci/sanitize.sh [Catch2 test spec, e.g. "[cache]"]
#   TWOLITER_SANITIZE_JOBS  build jobs (default: nproc)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${TWOLITER_ASAN_DIR:-$root/out-asan}
cmake -S "$root" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTWOLITER_SANITIZE=ON \
    >/dev/null
cmake --build "$out" --parallel "${TWOLITER_SANITIZE_JOBS:-$(nproc)}" \
    --target unit_tests scenario_tests

# Leaks are checked (detect_leaks=1) in the test processes and in the
# children they fork (spec parsing, the sandbox's launcher), which leave
# through _exit and so are never checked. ci/lsan.supp lists what is left
# to libraries we do not own, each with its reason.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1
export LSAN_OPTIONS=suppressions=$root/ci/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for suite in unit_tests scenario_tests; do
    echo "== $suite (ASan + UBSan)"
    start=$(date +%s)
    if ! "$out/tests/$suite" "$@"; then
        echo "sanitize: $suite failed"
        status=1
    fi
    echo "== $suite: $(( $(date +%s) - start ))s"
done
exit "$status"
