# Shared helpers of the end-to-end scripts. Source it, then call
# `e2e_arguments "$@"`, or set TWOLITER, SOURCE_DIR and SDK_CACHE (the folder
# the SDK fixture filled) yourself.
set -u
failures=0
passes=0

# The arguments every end-to-end script takes, as absolute paths:
# TWOLITER SOURCE_DIR SDK_CACHE.
e2e_arguments() {
    TWOLITER=$(realpath "$1")
    SOURCE_DIR=$(realpath "$2")
    SDK_CACHE=$(realpath "$3")
}

pass() { passes=$((passes + 1)); }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() {  # check DESCRIPTION COMMAND...: passes when COMMAND succeeds
    local description=$1
    shift
    if "$@"; then pass; else fail "$description"; fi
}
finish() {
    echo "$passes passed, $failures failed"
    [ "$failures" -eq 0 ]
}

# The sample project's files copied to $1 (created).
copy_sample_project() {
    mkdir -p "$1"
    cp -r "$SOURCE_DIR"/{Twoliter.toml,Release.toml,Cargo.toml,packages,variants,kits,sdk,lookaside,sbkeys} "$1"/
}

# A copy of the sample project at $1, using its own cache $2 with the SDK
# image imported (and pinned in its Twoliter.lock).
sample_project() {
    local project=$1 cache=$2
    copy_sample_project "$project"
    "$TWOLITER" --project-path "$project" --cache-dir "$cache" sdk import "$SDK_CACHE/sample-sdk-oci" >/dev/null
}

# twoliter against the project $1 with cache $2, more arguments after.
tl() {
    local project=$1 cache=$2
    shift 2
    "$TWOLITER" --project-path "$project" --cache-dir "$cache" "$@"
}

# "name state" lines of the last build's summary.
summary_states() {
    python3 - "$1/build/state/x86_64/last-build.json" <<'PY'
import json, sys
for package in json.load(open(sys.argv[1]))["packages"]:
    print(package["name"], package["state"])
PY
}

# Starts twoliter itself (not through a shell function, whose subshell would
# stand between a signal and twoliter) building aws-k8s-1.31's packages of
# project $1 with cache $2 in the background, one at a time; sets $build to
# its pid and returns once the first package is published.
start_build_and_wait_for_first_package() {
    "$TWOLITER" --project-path "$1" --cache-dir "$2" -j1 build variant aws-k8s-1.31 \
        --packages-only >/dev/null 2>&1 &
    build=$!
    for _ in $(seq 600); do
        [ -n "$(ls "$1"/build/rpms 2>/dev/null)" ] && break
        sleep 0.1
    done
}

# Starts Debian's docker-registry on a free loopback port, storing into
# $1/registry-storage; sets $registry_port and $registry_pid. The caller's
# EXIT trap must kill $registry_pid.
start_registry() {
    local work=$1
    registry_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat >"$work/registry.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/registry-storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$registry_port
YAML
    docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
    registry_pid=$!
    for _ in $(seq 100); do
        python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$registry_port/v2/')" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "docker-registry did not start: $(cat "$work/registry.log")"
    return 1
}
