#!/usr/bin/env bash
# End to end: the sample project's packages built for real (rpmbuild in the
# bubblewrap sandbox, in the SDK image), then rebuilt incrementally.
# Usage: build_sample.sh TWOLITER SOURCE_DIR SDK_CACHE
source "$(dirname "$0")/lib.sh"
e2e_arguments "$@"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
project=$work/project
cache=$work/cache
sample_project "$project" "$cache"

# 1. The variant's packages build, and their RPMs are what the specs declare.
check "first build succeeds" tl "$project" "$cache" -j2 build variant aws-k8s-1.31 --packages-only
tl "$project" "$cache" graph --format json --variant aws-k8s-1.31 >"$work/graph.json"
check "RPM names and versions match the specs" python3 - "$work/graph.json" "$project/build/rpms" <<'PY'
import json, os, subprocess, sys
graph = json.load(open(sys.argv[1]))
ok = True
for package in graph["packages"]:
    folder = os.path.join(sys.argv[2], package["name"])
    files = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    built = {}
    for name in files:
        out = subprocess.run(["rpm", "-qp", "--nosignature", "--qf", "%{NAME} %{VERSION}",
                              os.path.join(folder, name)], capture_output=True, text=True).stdout
        rpm, version = out.split()
        built[rpm] = version
    if sorted(built) != sorted(package["rpms"]) or any(v != package["version"] for v in built.values()):
        print("mismatch for", package["name"], built, package["rpms"], package["version"])
        ok = False
sys.exit(0 if ok else 1)
PY
check "every build has a log" test -s "$project/build/logs/x86_64/glibc.log"

# Every sample package builds: the other variants need the rest.
for variant in aws-ecs-2 vmware-k8s-1.31 metal-k8s-1.29 metal-dev; do
    check "$variant's packages build" tl "$project" "$cache" -j2 build variant "$variant" --packages-only
done
check "all 19 sample packages built" test "$(ls "$project/build/rpms" | wc -l)" -eq 19

# 2. A second run does nothing, and says so.
tl "$project" "$cache" -j2 build variant aws-k8s-1.31 --packages-only 2>"$work/noop.log"
check "a second run does nothing" grep -q "nothing to do" "$work/noop.log"
check "a second run takes everything from the cache" \
    test -z "$(summary_states "$project" | awk '$2 != "cached"')"
strace -f -e trace=execve -o "$work/noop.strace" "$TWOLITER" --project-path "$project" \
    --cache-dir "$cache" -j2 build variant aws-k8s-1.31 --packages-only 2>/dev/null
check "a no-op run starts no process" test "$(grep -c 'execve(' "$work/noop.strace")" -eq 1

# 3. Two builds from clean caches give byte-identical RPMs.
other=$work/other
sample_project "$other" "$work/other-cache"
check "a second clean build succeeds" tl "$other" "$work/other-cache" -j2 build package runc
for rpm in "$other"/build/rpms/*/*.rpm; do
    original="$project/build/rpms/${rpm#"$other"/build/rpms/}"
    check "$(basename "$rpm") is byte-identical" cmp -s "$rpm" "$original"
done


# 4. Changing one spec rebuilds exactly it and the packages whose build
#    roots hold its RPMs (libseccomp-devel is in runc's and containerd's).
before=$(cat "$project"/build/rpms/libseccomp/*.rpm | sha256sum)
printf '* Mon Jan 01 2024 Sample <sample@example.invalid> - 2.5.5-1\n- a change\n' \
    >>"$project/packages/libseccomp/libseccomp.spec"
tl "$project" "$cache" -j2 build variant aws-k8s-1.31 --packages-only --explain 2>"$work/changed.log"
# The RPMs keep their file names; build/rpms must still get the new ones.
check "build/rpms holds the rebuilt RPMs, not the old ones of the same name" \
    test "$(cat "$project"/build/rpms/libseccomp/*.rpm | sha256sum)" != "$before"
summary_states "$project" | awk '$2 == "built" {print $1}' | sort >"$work/rebuilt"
check "a spec change rebuilds exactly the dependent packages" \
    diff <(printf '%s\n' containerd libseccomp runc) "$work/rebuilt"
check "--explain names the changed input" grep -q "changed: file:libseccomp.spec" "$work/changed.log"
check "--explain names the changed build root" \
    grep -q "runc.*changed: build-root:bottlerocket-libseccomp-devel" "$work/changed.log"

# 5. A change that leaves a package's RPMs identical (a comment) rebuilds
#    the package but none of its dependents: their build roots are the same.
echo "# only a comment" >>"$project/packages/libcap/libcap.spec"
tl "$project" "$cache" -j2 build variant aws-k8s-1.31 --packages-only 2>"$work/comment-spec.log"
summary_states "$project" | awk '$2 == "built" {print $1}' >"$work/rebuilt"
check "a comment in a spec rebuilds only that package" diff <(echo libcap) "$work/rebuilt"

# 6. A comment in Cargo.toml outside the metadata rebuilds nothing.
sed -i '1i # a comment' "$project/packages/libcap/Cargo.toml"
tl "$project" "$cache" -j2 build variant aws-k8s-1.31 --packages-only 2>"$work/comment.log"
check "a Cargo.toml comment rebuilds nothing" grep -q "nothing to do" "$work/comment.log"

# 7. A pruned cache rebuilds what it lost, to the same bytes.
cp "$project"/build/rpms/runc/*.rpm "$work/runc-before.rpm"
check "the cache can be pruned to nothing" tl "$project" "$cache" cache prune --max-size 0
check "pruned outputs are rebuilt" tl "$project" "$cache" build package runc
check "the rebuilt RPM is byte-identical" cmp -s "$work/runc-before.rpm" "$project"/build/rpms/runc/*.rpm

# 8. A failing build names the package, its log and the log's last lines;
#    --keep-going still builds what does not depend on it.
sed -i 's/^%build$/%build\necho the-build-breaks-here; exit 3/' "$project/packages/libcap/libcap.spec"
tl "$project" "$cache" -j2 build variant aws-k8s-1.31 --packages-only --keep-going 2>"$work/failed.log"
status=$?
check "a failed build exits 1" test "$status" -eq 1
check "the failure names the package and its log" grep -q "libcap failed: rpmbuild exited with 1" "$work/failed.log"
check "the failure shows the log's last lines" grep -q "| the-build-breaks-here" "$work/failed.log"
check "--keep-going skips only the dependents" grep -q "1 failed, 1 skipped" "$work/failed.log"

finish
