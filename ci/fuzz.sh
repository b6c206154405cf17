#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ (clang, -DTWOLITER_FUZZ=ON)
# into out-fuzz/ (or $TWOLITER_FUZZ_DIR) and runs each for a bounded time
# from its seed corpus; a crash, a leak or a timeout fails the run and leaves
# the input under <out>/fuzz/artifacts/. Seeds: fuzz_seeds' output, the
# project's own files of the target's kind, and the inputs that once crashed
# it (tests/fuzz/regressions/<target>/). The corpus each run grows is kept
# in <out>/fuzz/corpus/<target>/ for the next run.
# Usage: ci/fuzz.sh [--seconds N | --long] [TARGET...]
#   default 20 s per target (CI); --long: an hour each (or --seconds N)
#   TWOLITER_FUZZ_JOBS  build jobs (default: nproc)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${TWOLITER_FUZZ_DIR:-$root/out-fuzz}
seconds=20
targets=()
while [ $# -gt 0 ]; do
    case $1 in
        --long) seconds=3600 ;;
        --seconds) seconds=$2; shift ;;
        -*) echo "usage: ci/fuzz.sh [--seconds N | --long] [TARGET...]" >&2; exit 2 ;;
        *) targets+=("$1") ;;
    esac
    shift
done

cmake -S "$root" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
    -DCMAKE_CXX_COMPILER=clang++ -DTWOLITER_FUZZ=ON >/dev/null
cmake --build "$out" --parallel "${TWOLITER_FUZZ_JOBS:-$(nproc)}" --target fuzz_targets
[ ${#targets[@]} -gt 0 ] || mapfile -t targets <"$out/tests/fuzz/fuzz_targets.txt"

fuzz=$out/fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$fuzz/corpus" "$fuzz/artifacts" "$work/tmp"
"$out/tests/fuzz/fuzz_seeds" "$work/seeds"

# The project's own files of a target's kind, as seeds.
project_files() {
    local name
    case $1 in
        twoliter_toml_fuzzer) name=Twoliter.toml ;;
        twoliter_lock_fuzzer) name=Twoliter.lock ;;
        release_toml_fuzzer) name=Release.toml ;;
        infra_toml_fuzzer) name=Infra.toml ;;
        cargo_manifest_fuzzer) name=Cargo.toml ;;
        *) return 0 ;;
    esac
    find "$root" -name "$name" -not -path "$root/out*" -not -path "$root/build/*" \
        -not -path "$root/.git/*"
}

# Runs a target with only its corpus, artifacts and scratch folder writable
# (bubblewrap, own user and PID namespaces), so a target that writes where it
# must not (the layer and archive targets check exactly that) cannot reach
# the host.
sandboxed() {
    bwrap --unshare-user --uid 0 --gid 0 --unshare-pid --die-with-parent \
        --ro-bind / / --dev /dev --proc /proc --bind "$fuzz" "$fuzz" --bind "$work" "$work" "$@"
}

status=0
summary=()
for target in "${targets[@]}"; do
    corpus=$fuzz/corpus/$target
    seeds=$work/seeds/$target
    mkdir -p "$corpus" "$seeds"
    project_files "$target" | while read -r file; do
        cp "$file" "$seeds/$(echo "$file" | sha256sum | cut -c1-16)"
    done
    # Inputs that once crashed the target (tests/fuzz/regressions/): run
    # again every time.
    if [ -d "$root/tests/fuzz/regressions/$target" ]; then
        cp "$root/tests/fuzz/regressions/$target"/* "$seeds/"
    fi
    log=$fuzz/$target.log
    start=$(date +%s)
    if sandboxed env TMPDIR="$work/tmp" ASAN_OPTIONS=detect_leaks=1 \
        "$out/tests/fuzz/$target" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2560 \
        -print_final_stats=1 -artifact_prefix="$fuzz/artifacts/$target-" "$corpus" "$seeds" \
        >"$log" 2>&1; then
        result=ok
    else
        result=FAILED
        status=1
        echo "== $target failed; the log's end ($log):"
        tail -n 40 "$log"
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    summary+=("$(printf '%-24s %5ss %10s runs  cov %6s  corpus %5s  %s' "$target" \
        "$(( $(date +%s) - start ))" "${runs:-?}" "${coverage:-?}" "$(ls "$corpus" | wc -l)" "$result")")
done
printf '%s\n' "${summary[@]}"
exit "$status"
