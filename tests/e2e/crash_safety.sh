#!/usr/bin/env bash
# End to end: a variant build (packages, metadata RPM, image) and a kit build
# killed with SIGKILL at many points (while fetching, making a build root,
# running rpmbuild, inserting into the cache, building the metadata RPM,
# assembling and publishing the image, writing the kit's repository and
# archive), each time rerun to completion: the outputs must be byte-identical
# to an uninterrupted build, every content store entry must hash to its name,
# and no process of the killed run may survive it. Then a corrupt cache entry
# is found when read, reported, discarded and rebuilt.
# Usage: crash_safety.sh TWOLITER SOURCE_DIR SDK_CACHE
#   CRASH_POINTS="name ..." runs only the named kill points.
source "$(dirname "$0")/lib.sh"
e2e_arguments "$@"
source "$(dirname "$0")/reliability_lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Temporary files of killed runs (sandbox logs) stay in the work folder.
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"
kill_at=$(dirname "$0")/kill_at.py
variant=$reliability_variant
kit=$reliability_kit

# The reference: one uninterrupted build.
sample_project "$work/reference" "$work/reference-cache"
check "an uninterrupted build succeeds" build_variant_and_kit "$work/reference" "$work/reference-cache"
build_outputs "$work/reference" >"$work/reference.outputs"
check "the reference has RPMs, an image and a kit" test \
    "$(grep -c -e '^rpms/.*\.rpm ' -e '^images/.*\.img\.zst ' -e '^kits/.*\.tar ' "$work/reference.outputs")" -ge 15

P=$work/project
C=$work/cache
sample_project "$P" "$C"
state=$P/build/state/x86_64
images=$P/build/images/x86_64-$variant
kits=$P/build/kits/$kit

# name|what is run and killed|trigger (see kill_at.py). Variant points start
# from nothing (no build folder, a cache with only the SDK); kit points
# from a finished variant build without build/kits.
points=(
    "early|variant|ms:300"
    "fetch|variant|path:$C/external-files/*/*"
    "build-root|variant|path:$C/build-roots/*.tmp-*"
    "rpmbuild|variant|path:$state/work/*/rpmbuild/BUILD"
    "cache-insert|variant|path:$C/cas/*/*.tmp-*"
    "packages-published|variant|path:$P/build/rpms/*:6"
    "metadata-rpm|variant|path:$state/images/$variant/metadata-work"
    "image-root|variant|stderr:image $variant: root file system"
    "image-verity|variant|stderr:image $variant: dm-verity hash tree"
    "image-disk|variant|stderr:image $variant: disk image"
    "image-artifacts|variant|stderr:application-inventory.json"
    "image-publish|variant|path:$images/*.tmp-*/.image-key*"
    "kit-packages|kit|path:$kits/x86_64/Packages/*"
    "kit-repodata|kit|path:$kits/x86_64/repodata.tmp-*"
    "kit-archive|kit|path:$kits/*.tar.tmp-*"
)
# The kit build takes a fraction of a second: a sweep of kill times across
# its measured duration reaches steps whose files exist too briefly for a
# trigger.
rm -rf "$work/reference/build/kits"
kit_start=$(date +%s%N)
check "the reference kit builds again" tl "$work/reference" "$work/reference-cache" build kit "$kit"
kit_ms=$(( ($(date +%s%N) - kit_start) / 1000000 ))
echo "kit build: $kit_ms ms"
sweep=()
for eighth in 1 2 3 4 5 6 7; do
    ms=$(( kit_ms * eighth / 8 ))
    [ "$ms" -ge 5 ] || ms=5
    sweep+=("kit-${eighth}of8|kit|ms:$ms")
done
points+=("${sweep[@]}")

# Half-written files that killed runs left in the cache.
leftovers() {
    find "$C/cas" "$C/build-roots" "$C/external-files" "$C/actions" -maxdepth 2 \
        \( -name '*.tmp-*' -o -name '*.part-*' -o -name '*.old-*' \) 2>/dev/null
}

reached=0
not_reached=()
for point in "${points[@]}"; do
    IFS='|' read -r name what trigger <<<"$point"
    if [ -n "${CRASH_POINTS:-}" ] && [[ " $CRASH_POINTS " != *" $name "* ]]; then continue; fi
    if [ "$what" = variant ]; then
        rm -rf "$P/build"
        cache_without_builds "$C"
        command=(-j2 build variant "$variant")
    else
        rm -rf "$P/build/kits"
        command=(build kit "$kit")
    fi
    start=$(date +%s)
    outcome=$(python3 "$kill_at" "$trigger" "$work/killed-$name.log" -- \
        "$TWOLITER" --project-path "$P" --cache-dir "$C" "${command[@]}")
    status=$?
    echo "crash point $name: $outcome"
    if [ "$status" -eq 2 ]; then
        not_reached+=("$name")
        continue
    fi
    reached=$((reached + 1))
    check "$name: the build was killed, and none of its processes survived" test "$status" -eq 0
    check "$name: no content store entry is corrupt after the kill" cas_intact "$C"
    if [ "$name" = cache-insert ]; then
        # Killed while storing: what it left half-written goes with the next
        # prune (which holds the cache lock exclusively, so no running build
        # owns any of it), and the rerun below starts from the pruned cache.
        echo "crash point $name: $(leftovers | wc -l) temporaries left in the cache"
        # (Usually one or two; none when the store finished between the
        # trigger and the kill.)
        check "$name: cache prune succeeds" tl "$P" "$C" cache prune --max-size 1T
        check "$name: no temporary is left in the cache after a prune" test -z "$(leftovers)"
    fi
    if build_variant_and_kit "$P" "$C"; then
        pass
    else
        fail "$name: the rerun succeeds"
        echo "the killed run's last lines of standard error:"
        tail -n 4 "$work/killed-$name.log" | cut -c1-300 | sed 's/^/  | /'
    fi
    build_outputs "$P" >"$work/$name.outputs"
    check "$name: the outputs are byte-identical to an uninterrupted build" \
        same_outputs "$work/reference.outputs" "$work/$name.outputs"
    check "$name: no content store entry is corrupt after the rerun" cas_intact "$C"
    echo "crash point $name: $(( $(date +%s) - start ))s with the rerun"
done
# A step can end before its trigger is seen (it was too quick); most must not.
echo "crash points reached: $reached; finished before their trigger: ${not_reached[*]:-none}"
check "most crash points were reached" test "$reached" -ge $(( (reached + ${#not_reached[@]}) * 3 / 4 ))

# A corrupt entry is found when a build reads it: the package (and the image)
# are rebuilt, with a warning naming the entry, to the same bytes.
rpm=$(find "$P/build/rpms/libcap" -name '*.rpm' | head -1)
rpm_digest=$(sha256sum <"$rpm" | cut -d' ' -f1)
artifact=$(find "$images/" -name "*-boot.ext4.zst" -type f | head -1)
artifact_digest=$(sha256sum <"$artifact" | cut -d' ' -f1)
rm -rf "$P/build/rpms" "$P/build/state" "$images"
for digest in "$rpm_digest" "$artifact_digest"; do
    entry=$C/cas/${digest:0:2}/$digest
    chmod u+w "$entry"
    printf 'corrupt' | dd of="$entry" bs=1 seek=64 conv=notrunc status=none
done
tl "$P" "$C" -j2 build variant "$variant" >/dev/null 2>"$work/corrupt.log"
check "a build over corrupt entries succeeds" test $? -eq 0
check "the kit builds after it" tl "$P" "$C" build kit "$kit"
check "the corrupt RPM entry is named in a warning" \
    grep -q "warning: cache entry $C/cas/${rpm_digest:0:2}/$rpm_digest of libcap does not match its digest" "$work/corrupt.log"
check "the corrupt image entry is named in a warning" \
    grep -q "warning: cache entry $C/cas/${artifact_digest:0:2}/$artifact_digest of image $variant does not match" "$work/corrupt.log"
check "libcap is rebuilt" grep -q "built libcap" "$work/corrupt.log"
check "the image is rebuilt" grep -q "image $variant: built" "$work/corrupt.log"
build_outputs "$P" >"$work/corrupt.outputs"
check "the rebuilt outputs are byte-identical" same_outputs "$work/reference.outputs" "$work/corrupt.outputs"
check "no content store entry is corrupt after the rebuild" cas_intact "$C"
finish
