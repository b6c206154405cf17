#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to the main job on the sample
# project: install dependencies, build twoliter, check the sample project,
# create its SDK image from sdk/recipe (Debian packages; pinned in
# Twoliter.lock), and build the aws-k8s-1.31 variant's packages in hermetic
# sandboxes. Variant images are not supported yet, so this stops at the RPMs
# in build/rpms/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/ci/setup.sh"
"$root/ci/build.sh"
twoliter="${TWOLITER_BUILD_DIR:-$root/out}/cli/twoliter"
"$twoliter" --project-path "$root" check
"$twoliter" --project-path "$root" sdk create
"$twoliter" --project-path "$root" build variant aws-k8s-1.31 --packages-only
