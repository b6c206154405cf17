#!/usr/bin/env bash
# End to end: what a package build cannot reach (network, host files),
# external files verified before use, and a build killed with SIGKILL that a
# rerun finishes. Usage: hermetic.sh TWOLITER SOURCE_DIR SDK_CACHE
source "$(dirname "$0")/lib.sh"
e2e_arguments "$@"
work=$(mktemp -d)
secret=/etc/twoliter-hermetic-secret
listener=""
cleanup() {
    [ -n "$listener" ] && kill "$listener" 2>/dev/null
    rm -f "$secret"
    rm -rf "$work"
}
trap cleanup EXIT

# 1. Network and host files, as the build observed them.
probe=$work/probe
cp -r "$SOURCE_DIR/tests/data/hermetic-project" "$probe"
cp -r "$SOURCE_DIR/sdk" "$probe/sdk"
tl "$probe" "$work/cache" sdk import "$SDK_CACHE/sample-sdk-oci" >/dev/null
echo "not for builds" >"$secret"
python3 -c 'import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 17654)); s.listen(); time.sleep(300)' &
listener=$!
sleep 0.5
check "the host itself can reach the listener" bash -c 'exec 4<>/dev/tcp/127.0.0.1/17654'
export TWOLITER_HERMETIC_MARKER=leaked  # must not reach the build
check "the probe builds" tl "$probe" "$work/cache" build package probe
rpm2archive - <"$(ls "$probe"/build/rpms/probe/*.rpm)" | tar -xzO --wildcards '*observed.txt' >"$work/observed.txt"
cat "$work/observed.txt"
check "the build could not reach the network" grep -qx "network: unreachable" "$work/observed.txt"
check "the build could not read a host file" grep -qx "host-file: unreadable" "$work/observed.txt"
check "the build ran on its own hostname" grep -qx "hostname: builder" "$work/observed.txt"
check "the build saw none of the caller's environment" bash -c "! grep -q TWOLITER_HERMETIC_MARKER '$work/observed.txt'"
check "the build saw its own environment" grep -q "SOURCE_DATE_EPOCH" "$work/observed.txt"

# 2. A tampered external file is refused, and nothing of it is kept.
project=$work/sample
sample_project "$project" "$work/cache"
mkdir -p "$work/tampered"
cp -r "$project/lookaside/." "$work/tampered/"
for file in "$work"/tampered/zlib-*/*/zlib-*.tar.gz; do echo tampered >>"$file"; done
tl "$project" "$work/cache" build package libz --lookaside "$work/tampered" 2>"$work/tampered.log"
check "a tampered external file fails the build" grep -q "SHA-512 mismatch" "$work/tampered.log"
check "nothing of it is kept" test -z "$(find "$work/cache/external-files" -name 'zlib-*' -type f)"

# 3. SIGKILL in the middle of a build loses nothing; a rerun finishes it.
start_build_and_wait_for_first_package "$project" "$work/cache"
check "the build was still running when killed" kill -0 "$build"
kill -9 "$build"
wait "$build" 2>/dev/null
check "the rerun after SIGKILL succeeds" tl "$project" "$work/cache" -j2 build variant aws-k8s-1.31 --packages-only
check "no temporary leftovers in build/rpms" test -z "$(find "$project/build/rpms" -name '*.tmp-*')"
# 4. A second invocation waits for the project lock, and says so.
rm -rf "$project/build/rpms" "$project/build/state/x86_64/build-state"
flock "$project/build/state/lock" sleep 2 &
holder=$!
sleep 0.3
tl "$project" "$work/cache" build package glibc 2>"$work/waiting.log"
wait "$holder"
check "a second invocation waits for the lock" grep -q "waiting for" "$work/waiting.log"

# 5. Ctrl-C stops a build cleanly: exit 130, nothing half-written, and the
#    next run finishes.
rm -rf "$project/build/rpms" "$project/build/state/x86_64/build-state" "$work/cache/cas" "$work/cache/actions"
start_build_and_wait_for_first_package "$project" "$work/cache"
check "the build was still running when interrupted" kill -0 "$build"
kill -INT "$build"
wait "$build"
check "an interrupted build exits 130" test "$?" -eq 130
check "no temporary leftovers after Ctrl-C" test -z "$(find "$project/build/rpms" -name '*.tmp-*')"
check "the build after Ctrl-C succeeds" tl "$project" "$work/cache" -j2 build variant aws-k8s-1.31 --packages-only

finish
