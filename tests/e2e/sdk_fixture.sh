#!/usr/bin/env bash
# Creates the sample SDK image once per build folder (SDK_CACHE), from the
# recipe in sdk/, as an OCI image layout the other end-to-end tests import.
# Needs the Debian mirror; takes a few minutes the first time.
set -euo pipefail
TWOLITER=$(realpath "$1")
SOURCE_DIR=$(realpath "$2")
SDK_CACHE=$3
source "$(dirname "$0")/lib.sh"
mkdir -p "$SDK_CACHE"
if [ -f "$SDK_CACHE/sample-sdk-oci/index.json" ]; then
    echo "sdk fixture: $SDK_CACHE/sample-sdk-oci exists"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
copy_sample_project "$work"
start=$(date +%s)
"$TWOLITER" --project-path "$work" --cache-dir "$work/cache" sdk create --output "$SDK_CACHE/sample-sdk-oci.tmp"
mv "$SDK_CACHE/sample-sdk-oci.tmp" "$SDK_CACHE/sample-sdk-oci"
echo "sdk fixture: created in $(( $(date +%s) - start ))s"
