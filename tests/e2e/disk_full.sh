#!/usr/bin/env bash
# End to end: the project (its build folder) and the cache on a small file
# system (a tmpfs, so this runs as root). With little space left, a variant
# and kit build fails with an error that says there is no space and names
# the path, and crashes nothing; every content store entry still hashes to
# its name; once space is freed the rerun succeeds with outputs
# byte-identical to a build with room. Repeated at several amounts of free
# space, so that different steps run out.
# Usage: disk_full.sh TWOLITER SOURCE_DIR SDK_CACHE
source "$(dirname "$0")/lib.sh"
e2e_arguments "$@"
source "$(dirname "$0")/reliability_lib.sh"
work=$(mktemp -d)
small=$work/small
mkdir -p "$small"
cleanup() {
    mountpoint -q "$small" && umount "$small"
    rm -rf "$work"
}
trap cleanup EXIT
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"
if [ "$(id -u)" -ne 0 ]; then
    echo "disk_full: skipped: mounting the small file system needs root"
    exit 77
fi
# Small pages only, whatever the kernel's default: each file then takes the
# space of its contents, so the amounts below mean the same everywhere.
if ! mount -t tmpfs -o size=1g,huge=never tmpfs "$small"; then
    echo "disk_full: cannot mount a tmpfs"
    exit 1
fi

# resize MIB: the small file system with MIB MiB free (tmpfs resizes live).
resize() {
    local used
    used=$(df --output=used -B1M "$small" | tail -1)
    mount -o remount,size=$((used + $1))m "$small"
}

# The reference, with room.
sample_project "$work/reference" "$work/reference-cache"
check "a build with room succeeds" build_variant_and_kit "$work/reference" "$work/reference-cache"
build_outputs "$work/reference" >"$work/reference.outputs"

# The project and its cache on the small file system. The SDK image (large,
# unpacked once, only read by builds) stays outside through a link.
P=$small/project
C=$small/cache
mkdir -p "$C" "$work/sdk"
ln -s "$work/sdk" "$C/sdk"
sample_project "$P" "$C"

# Free space (MiB) each attempt starts with: none, then enough for the
# package builds but not the cache, then for the packages but not the
# image, then for the image's work files but not its artifacts.
for free in 0 4 16 48 96; do
    rm -rf "$P/build"
    cache_without_builds "$C"
    resize "$free"
    tl "$P" "$C" -j2 build variant "$reliability_variant" >/dev/null 2>"$work/full-$free.log" &&
        tl "$P" "$C" build kit "$reliability_kit" >/dev/null 2>>"$work/full-$free.log"
    status=$?
    echo "with ${free} MiB free: exit $status: $(grep -i -m1 'space' "$work/full-$free.log")"
    check "${free} MiB free: the build fails, without crashing" test "$status" -eq 1
    check "${free} MiB free: the error says there is no space, naming a path on it" \
        grep -qi "no space left.*$small\|$small.*no space left" "$work/full-$free.log"
    check "${free} MiB free: no content store entry is corrupt" cas_intact "$C"
    resize 2048
    check "${free} MiB free: once space is freed the rerun succeeds" build_variant_and_kit "$P" "$C"
    build_outputs "$P" >"$work/rerun-$free.outputs"
    check "${free} MiB free: the outputs are byte-identical to a build with room" \
        same_outputs "$work/reference.outputs" "$work/rerun-$free.outputs"
    check "${free} MiB free: no content store entry is corrupt after the rerun" cas_intact "$C"
done
finish
