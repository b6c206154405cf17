#!/usr/bin/env bash
# End to end: the SDK image pushed to a registry on loopback (Debian's
# docker-registry, started here), pulled by tag into a fresh project, then
# pulled again by the digest Twoliter.lock pinned, and used for a build.
# Usage: sdk_registry.sh TWOLITER SOURCE_DIR SDK_CACHE
source "$(dirname "$0")/lib.sh"
e2e_arguments "$@"
work=$(mktemp -d)
registry_pid=""
trap '[ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null; rm -rf "$work"' EXIT

start_registry "$work" || exit 1
port=$registry_port

image="127.0.0.1:$port/sample/sample-sdk:v0.1.0"
project=$work/project
copy_sample_project "$project"
pushed=$(tl "$project" "$work/cache" sdk push "$image" --layout "$SDK_CACHE/sample-sdk-oci")
check "the SDK image is pushed" test -n "$pushed"
pulled=$(tl "$project" "$work/cache" sdk pull "$image" 2>/dev/null)
check "pulling by tag gives the pushed manifest" test "$pulled" = "$pushed"
check "the pulled image is pinned in Twoliter.lock" grep -q "^digest = " "$project/Twoliter.lock"
sed -i "s|^source = .*|source = \"$image\"|" "$project/Twoliter.lock"
check "pulling what the lock pins, by digest, into a fresh cache" \
    tl "$project" "$work/fresh-cache" sdk pull
check "a package builds in the pulled SDK" tl "$project" "$work/fresh-cache" build package glibc
finish
