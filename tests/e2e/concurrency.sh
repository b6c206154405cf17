#!/usr/bin/env bash
# End to end: runs at the same time. Two invocations on one project: one
# waits for the other's lock and says so, both succeed, the outputs are
# intact. Two projects sharing one cache build at once: both succeed with
# outputs byte-identical to a build of their own. A prune during a build
# waits for it. Every content store entry hashes to its name afterwards.
# Usage: concurrency.sh TWOLITER SOURCE_DIR SDK_CACHE
source "$(dirname "$0")/lib.sh"
e2e_arguments "$@"
source "$(dirname "$0")/reliability_lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
variant=$reliability_variant
kit=$reliability_kit

# Starts `twoliter ARGS` for project $1 and cache $2 in the background,
# standard error to $3; the pid is appended to $pids.
pids=()
start() {
    local project=$1 cache=$2 log=$3
    shift 3
    "$TWOLITER" --project-path "$project" --cache-dir "$cache" "$@" >/dev/null 2>"$log" &
    pids+=($!)
}
# Waits for every started run; true when all succeeded.
all_succeed() {
    local ok=0
    for pid in "${pids[@]}"; do wait "$pid" || ok=1; done
    pids=()
    return $ok
}
# Waits until path $1 exists (30 s at most).
wait_for() {
    for _ in $(seq 600); do
        compgen -G "$1" >/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# The reference: one project, its own cache, nothing else running.
sample_project "$work/reference" "$work/reference-cache"
check "an uninterrupted build succeeds" build_variant_and_kit "$work/reference" "$work/reference-cache"
build_outputs "$work/reference" >"$work/reference.outputs"

# 1. The same project twice at once: the second waits for the first.
P=$work/project
C=$work/cache
sample_project "$P" "$C"
start "$P" "$C" "$work/first.log" -j2 build variant "$variant"
wait_for "$P/build/state/x86_64/work/*"
start "$P" "$C" "$work/second.log" -j2 build variant "$variant"
check "two builds of one project at once both succeed" all_succeed
cat "$work/first.log" "$work/second.log" >"$work/same-project.log"
check "one of them waited for the other, and said so" \
    grep -q "waiting for pid [0-9]*, which is building this project" "$work/same-project.log"
start "$P" "$C" "$work/kit-first.log" build kit "$kit"
start "$P" "$C" "$work/kit-second.log" build kit "$kit"
check "two kit builds of one project at once both succeed" all_succeed
build_outputs "$P" >"$work/same-project.outputs"
check "the outputs are byte-identical to a build alone" \
    same_outputs "$work/reference.outputs" "$work/same-project.outputs"
check "no content store entry is corrupt" cas_intact "$C"

# 2. Two projects sharing one cache, at once.
A=$work/a
B=$work/b
S=$work/shared-cache
sample_project "$A" "$S"
sample_project "$B" "$S"
start "$A" "$S" "$work/a.log" -j2 build variant "$variant"
start "$B" "$S" "$work/b.log" -j2 build variant "$variant"
check "two projects sharing a cache build at once" all_succeed
start "$A" "$S" "$work/a-kit.log" build kit "$kit"
start "$B" "$S" "$work/b-kit.log" build kit "$kit"
check "their kits build at once" all_succeed
build_outputs "$A" >"$work/a.outputs"
build_outputs "$B" >"$work/b.outputs"
check "the first project's outputs are byte-identical to a build alone" \
    same_outputs "$work/reference.outputs" "$work/a.outputs"
check "the second project's outputs are byte-identical to a build alone" \
    same_outputs "$work/reference.outputs" "$work/b.outputs"
check "no content store entry of the shared cache is corrupt" cas_intact "$S"

# 3. Prunes while a build uses the cache wait for it; the build is intact.
rm -rf "$A/build"
cache_without_builds "$S"
start "$A" "$S" "$work/pruned-build.log" -j2 build variant "$variant"
wait_for "$A/build/state/x86_64/work/*"
tl "$A" "$S" cache prune --max-size 0 2>"$work/prune.log"
check "the prune succeeds" test $? -eq 0
check "the prune waited for the build, and said so" \
    grep -q "waiting for the builds using the cache to finish" "$work/prune.log"
# The prune ran when the packages were done; the image step uses the cache
# too (the metadata RPM, the artifacts), so a prune now waits again.
wait_for "$A/build/state/x86_64/images/$variant/work"
tl "$A" "$S" cache prune --max-size 0 2>"$work/image-prune.log"
check "a prune during the image step waits for it" \
    grep -q "waiting for the builds using the cache to finish" "$work/image-prune.log"
check "the build under the prunes succeeds" all_succeed
check "the kit builds after the prune" tl "$A" "$S" build kit "$kit"
build_outputs "$A" >"$work/pruned.outputs"
check "the outputs are byte-identical to a build alone" \
    same_outputs "$work/reference.outputs" "$work/pruned.outputs"
check "no content store entry is corrupt after the prune" cas_intact "$S"
finish
