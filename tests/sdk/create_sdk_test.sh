#!/usr/bin/env bash
# Slow test: creates the sample SDK from sdk/recipe with the real mmdebstrap
# (the only test that reaches the network: Debian's mirror), checks the OCI
# layout and the imported root filesystem, imports the layout again into a
# fresh store, and runs rpmbuild inside the SDK: --version, then a real
# build of the sample glibc package with the SDK's macros, in a bwrap
# sandbox without network (chroot when bwrap is missing).
#
# usage: create_sdk_test.sh TWOLITER SOURCE_DIR
# It works on a copy of the sample project (the commands pin the image in
# Twoliter.lock) with its own cache folder. Needs root (mmdebstrap
# --mode=root) or unprivileged user namespaces (--mode=unshare). Set
# TWOLITER_SDK_TEST_KEEP=1 to keep the work folder. Prints timings and sizes.
set -euo pipefail

twoliter=${1:?usage: create_sdk_test.sh TWOLITER SOURCE_DIR}
src=${2:?usage: create_sdk_test.sh TWOLITER SOURCE_DIR}
work=$(mktemp -d "${TMPDIR:-/tmp}/twoliter-sdk-test-XXXXXX")
if [ "${TWOLITER_SDK_TEST_KEEP:-0}" != 1 ]; then
    trap 'rm -rf "$work"' EXIT
fi

fail() { echo "FAIL: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

if ! command -v mmdebstrap >/dev/null; then
    fail "mmdebstrap is not installed (apt-get install mmdebstrap)"
fi

project="$work/project"
mkdir -p "$project"
cp "$src/Twoliter.toml" "$src/Release.toml" "$src/Cargo.toml" "$project/"
for folder in packages variants kits sdk lookaside; do
    cp -r "$src/$folder" "$project/"
done
tl() { "$twoliter" --project-path "$project" --cache-dir "$work/cache" "$@"; }

start=$(now)
digest=$(tl sdk create --output "$work/layout" | tail -n 1)
create_seconds=$(since "$start")
[[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || fail "create printed '$digest', not a digest"
[ -f "$work/layout/oci-layout" ] || fail "no oci-layout"
grep -q "\"$digest\"" "$work/layout/index.json" || fail "index.json does not name $digest"
[ -f "$work/layout/blobs/sha256/${digest#sha256:}" ] || fail "no manifest blob"
for blob in "$work"/layout/blobs/sha256/*; do
    [ "$(sha256sum "$blob" | cut -d' ' -f1)" = "$(basename "$blob")" ] ||
        fail "blob $(basename "$blob") does not match its name"
done
[ -z "$(ls -A "$work/layout" | grep -v -x -e blobs -e index.json -e oci-layout || true)" ] ||
    fail "create left other files in the layout: $(ls -A "$work/layout")"
[ -f "$project/Twoliter.lock" ] || fail "create did not pin the SDK in Twoliter.lock"
layout_size=$(du -sb "$work/layout" | cut -f1)

# create imported it already; check that tree.
rootfs="$work/cache/sdk/${digest#sha256:}/rootfs"
[ -d "$rootfs" ] || fail "create did not import the image into the cache"
for file in usr/bin/rpmbuild usr/bin/gcc usr/bin/make usr/bin/patch usr/include/stdio.h \
    usr/lib/rpm/platform/x86_64-bottlerocket/macros \
    usr/lib/rpm/platform/aarch64-bottlerocket/macros \
    usr/share/twoliter/sdk-provides; do
    [ -e "$rootfs/$file" ] || fail "the SDK has no $file"
done
grep -q '^%_cross_arch x86_64' "$rootfs/usr/lib/rpm/platform/x86_64-bottlerocket/macros" ||
    fail "the x86_64 macros lack %_cross_arch"
grep -q '^%_cross_vendor bottlerocket' "$rootfs/usr/lib/rpm/platform/aarch64-bottlerocket/macros" ||
    fail "the aarch64 macros lack the shared macros"
[ ! -e "$rootfs/usr/share/doc/rpm" ] || fail "path-exclude did not keep /usr/share/doc out"
[ -z "$(ls -A "$rootfs/var/lib/apt/lists" | grep -v -x -e lock -e partial || true)" ] ||
    fail "apt lists were left in the image"
rootfs_size=$(du -sb "$rootfs" | cut -f1)

# A fresh import of the layout, into another store, gives the same digest.
start=$(now)
imported=$("$twoliter" --project-path "$project" --cache-dir "$work/cache2" \
    sdk import "$work/layout" | tail -n 1)
import_seconds=$(since "$start")
[ "$imported" = "$digest" ] || fail "import printed '$imported', create '$digest'"
[ -x "$work/cache2/sdk/${digest#sha256:}/rootfs/usr/bin/rpmbuild" ] || fail "import made no rootfs"
rm -rf "$work/cache2"

# A second import into the same store is a no-op.
start=$(now)
again=$(tl sdk import "$work/layout" | tail -n 1)
reimport_seconds=$(since "$start")
[ "$again" = "$digest" ] || fail "second import printed '$again'"

# rpmbuild inside the SDK.
mkdir -p "$work/build/SOURCES" "$work/build/SPECS"
cp "$src/packages/glibc/glibc.spec" "$work/build/SPECS/"
cp "$src/packages/glibc/stubc.c" "$src/packages/glibc/stubc.h" "$work/build/SOURCES/"
inside=(rpmbuild --load /usr/lib/rpm/platform/x86_64-bottlerocket/macros
    --define "_topdir /tmp/build" --define "_buildhost sdk" --dbpath /var/lib/rpm
    --nodeps -bb /tmp/build/SPECS/glibc.spec)
if command -v bwrap >/dev/null; then
    run_in_sdk() {
        bwrap --unshare-all --die-with-parent --ro-bind "$rootfs" / --dev /dev --proc /proc \
            --tmpfs /tmp --tmpfs /var/tmp --bind "$work/build" /tmp/build --chdir /tmp/build \
            --clearenv --setenv PATH /usr/bin:/usr/sbin --setenv HOME /tmp/build \
            --setenv LANG C.UTF-8 --setenv SOURCE_DATE_EPOCH 1704067200 "$@"
    }
    launcher=bwrap
else
    run_in_sdk() {
        mkdir -p "$rootfs/tmp/build"
        mount --bind "$work/build" "$rootfs/tmp/build"
        local rc=0
        env -i PATH=/usr/bin:/usr/sbin HOME=/tmp/build LANG=C.UTF-8 SOURCE_DATE_EPOCH=1704067200 \
            chroot "$rootfs" "$@" || rc=$?
        umount "$rootfs/tmp/build"
        return $rc
    }
    launcher=chroot
fi
version=$(run_in_sdk rpmbuild --version) || fail "rpmbuild --version failed inside the SDK"
[[ $version == RPM\ version\ * ]] || fail "rpmbuild --version printed '$version'"
start=$(now)
run_in_sdk "${inside[@]}" >"$work/rpmbuild.log" 2>&1 ||
    { tail -n 20 "$work/rpmbuild.log" >&2; fail "rpmbuild of the sample glibc failed inside the SDK"; }
build_seconds=$(since "$start")
ls "$work"/build/RPMS/x86_64/bottlerocket-glibc-2.38-1.x86_64.rpm \
    "$work"/build/RPMS/x86_64/bottlerocket-glibc-devel-2.38-1.x86_64.rpm >/dev/null ||
    fail "the sample glibc RPMs were not built"

echo "sdk digest:      $digest"
echo "create:          ${create_seconds} s (mmdebstrap + layout)"
echo "import:          ${import_seconds} s; again: ${reimport_seconds} s"
echo "layout size:     $((layout_size / 1048576)) MiB"
echo "rootfs size:     $((rootfs_size / 1048576)) MiB"
echo "inside ($launcher): $version; sample glibc built in ${build_seconds} s"
echo "1 passed, 0 failed"
