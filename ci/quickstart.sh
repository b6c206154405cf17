#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to the main job on the sample
# project: install dependencies, build twoliter, check the sample project,
# create its SDK image from sdk/recipe (Debian packages; pinned in
# Twoliter.lock), and build the metal-dev variant: its packages in hermetic
# sandboxes, then its disk image in build/images/x86_64-metal-dev/latest/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/ci/setup.sh"
"$root/ci/build.sh"
twoliter="${TWOLITER_BUILD_DIR:-$root/out}/cli/twoliter"
"$twoliter" --project-path "$root" check
"$twoliter" --project-path "$root" sdk create
"$twoliter" --project-path "$root" build variant metal-dev
