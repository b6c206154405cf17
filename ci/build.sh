#!/usr/bin/env bash
# Configures and builds twoliter and its tests into out/ (or $TWOLITER_BUILD_DIR).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${TWOLITER_BUILD_DIR:-$root/out}
cmake -S "$root" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out" --parallel "$(nproc)"
