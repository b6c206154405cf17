#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to the main job on the sample
# project: install dependencies, build twoliter, check the sample project and
# plan the aws-k8s-1.31 variant (building packages and images is not supported
# yet, so the variant's build plan is where this ends for now).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/ci/setup.sh"
"$root/ci/build.sh"
twoliter="${TWOLITER_BUILD_DIR:-$root/out}/cli/twoliter"
"$twoliter" --project-path "$root" check
"$twoliter" --project-path "$root" build variant aws-k8s-1.31 --dry-run
