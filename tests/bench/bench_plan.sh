#!/usr/bin/env bash
# Benchmarks twoliter's planning on the sample project and on generated trees.
#
# usage: bench_plan.sh [--smoke] [--runs N] [--seed S] [--keep] TWOLITER_BINARY [SIZES...]
#
#   SIZES     "sample" (the project at the root of this repository) and package
#             counts for trees made by generate_project.py; default:
#             sample 100 1000 2000 5000 (fit_growth.py gives the growth order)
#   --smoke   one generated tree of 10 packages, one run of each measurement;
#             exits non-zero when a command fails or a figure is missing, and
#             never looks at how long anything took (for the test suite)
#   --runs N  timed runs per measurement (default 5; cold runs on trees of more
#             than 1000 specs default to 3)
#   --seed S  seed of the generated trees (default 1)
#   --keep    keep the scratch folder (/tmp/bench-plan.*) with the trees and logs
#
# For each tree it measures, as the median wall time of several runs and the
# largest peak RSS seen:
#   build  = twoliter --project-path T build variant V --dry-run   (V: first variant)
#   check  = twoliter --project-path T check
# cold (T/build/state removed before each run: every spec is parsed) and warm
# (spec cache filled by an untimed run first). The baseline is what parsing
# the tree's specs costs with rpm's own CLI: rpmspec -q on every spec, one
# after the other. Every figure is also printed as "BENCH name=value unit".
# Everything stays on this machine; nothing is fetched.

set -u -o pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SMOKE=0
RUNS=""
SEED=1
KEEP=0
BINARY=""
SIZES=()
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) SMOKE=1 ;;
        --runs) need_value $#; RUNS="$2"; shift ;;
        --runs=*) RUNS="${1#--runs=}" ;;
        --seed) need_value $#; SEED="$2"; shift ;;
        --seed=*) SEED="${1#--seed=}" ;;
        --keep) KEEP=1 ;;
        -h|--help) usage ;;
        -*) echo "bench_plan.sh: unknown option $1" >&2; usage ;;
        *) if [ -z "$BINARY" ]; then BINARY="$1"; else SIZES+=("$1"); fi ;;
    esac
    shift
done
[ -n "$BINARY" ] || usage
case "$BINARY" in /*) ;; *) BINARY="$PWD/$BINARY" ;; esac
if [ ! -x "$BINARY" ]; then
    echo "bench_plan.sh: $BINARY is not an executable" >&2
    exit 2
fi
if [ -n "$RUNS" ] && ! [[ "$RUNS" =~ ^[1-9][0-9]*$ ]]; then
    echo "bench_plan.sh: --runs needs a positive number" >&2
    exit 2
fi
if ! [[ "$SEED" =~ ^[0-9]+$ ]]; then
    echo "bench_plan.sh: --seed needs a number" >&2
    exit 2
fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
GENERATOR="$HERE/generate_project.py"
if [ "$SMOKE" = 1 ]; then
    SIZES=(10)
    RUNS=1
elif [ ${#SIZES[@]} -eq 0 ]; then
    SIZES=(sample 100 1000 2000 5000)
fi
for size in "${SIZES[@]}"; do
    if [ "$size" != sample ] && ! [[ "$size" =~ ^[0-9]+$ ]]; then
        echo "bench_plan.sh: size '$size' is neither 'sample' nor a package count" >&2
        exit 2
    fi
done

WORK="$(mktemp -d /tmp/bench-plan.XXXXXX)"
# shellcheck disable=SC2317  # called through the trap
cleanup() {
    if [ "$KEEP" = 1 ]; then
        echo "bench_plan.sh: kept $WORK" >&2
    else
        rm -rf -- "$WORK"
    fi
}
trap cleanup EXIT

# Run a private copy, so that a rebuild of the binary during the run cannot
# change or break what is measured.
ORIGINAL_BINARY="$BINARY"
BINARY="$WORK/twoliter"
if ! cp "$ORIGINAL_BINARY" "$BINARY" || ! "$BINARY" --version >/dev/null 2>&1; then
    echo "bench_plan.sh: cannot run a copy of $ORIGINAL_BINARY" >&2
    exit 2
fi

FAILURES=0
declare -A FIGURE=()
declare -a FIGURE_ORDER=()
declare -a EXPECTED=()
declare -a TABLE=()
declare -a SUMMARY=()


# figure NAME VALUE UNIT
figure() {
    FIGURE["$1"]="$2"
    FIGURE_ORDER+=("$1")
    echo "BENCH $1=$2 $3"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'; }
now_ns() { date +%s%N; }

# BENCH_RSS_TOOL=python3 forces the fallback (for testing it).
if [ "${BENCH_RSS_TOOL:-}" != python3 ] && [ -x /usr/bin/time ]; then
    RSS_TOOL="/usr/bin/time"
else
    RSS_TOOL="python3"
fi

# run_once STDOUT STDERR CMD...: sets LAST_MS (wall), LAST_CPU_MS (user + system
# of the command and its children), LAST_RSS (KiB) and LAST_RC.
run_once() {
    local out="$1" err="$2" rssfile="$WORK/rss.$$" start end
    shift 2
    rm -f "$rssfile"
    start=$(now_ns)
    if [ "$RSS_TOOL" = /usr/bin/time ]; then
        /usr/bin/time -f '%M %U %S' -o "$rssfile" "$@" >"$out" 2>"$err"
        LAST_RC=$?
    else
        # Times the command itself, without python's own start.
        python3 -c 'import resource, subprocess, sys, time
before = resource.getrusage(resource.RUSAGE_CHILDREN)  # e.g. a pyenv shim
start = time.perf_counter()
rc = subprocess.call(sys.argv[2:])
wall = (time.perf_counter() - start) * 1000
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as f:
    f.write("%d %.3f %.3f %.1f\n" % (usage.ru_maxrss, usage.ru_utime - before.ru_utime,
                                     usage.ru_stime - before.ru_stime, wall))
sys.exit(rc)' "$rssfile" "$@" >"$out" 2>"$err"
        LAST_RC=$?
    fi
    end=$(now_ns)
    LAST_MS=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
    # /usr/bin/time puts "Command exited with non-zero status N" first.
    local user sys wall
    read -r LAST_RSS user sys wall < <(tail -n 1 "$rssfile" 2>/dev/null)
    [ -n "${wall:-}" ] && LAST_MS="$wall"
    [[ "${LAST_RSS:-}" =~ ^[0-9]+$ ]] || LAST_RSS=0
    LAST_CPU_MS=$(awk -v u="${user:-0}" -v s="${sys:-0}" 'BEGIN { printf "%.0f", (u + s) * 1000 }')
}

# copy_sample DEST: the project files of the sample, so that its cache can be
# removed without touching the repository.
# measure TREE_LABEL TREE CMD CACHE RUNS ARGS...: timed runs of twoliter.
measure() {
    local label="$1" tree="$2" cmd="$3" cache="$4" runs="$5" i
    shift 5
    local -a times=() rsses=() cpus=()
    local base="$WORK/$label.$cmd.$cache"
    if [ "$cache" = warm ]; then
        run_once "$base.prime.out" "$base.prime.err" "$BINARY" --project-path "$tree" "$@"
        if [ "$LAST_RC" != 0 ]; then
            fail "$label: twoliter $* (priming run) exited $LAST_RC: $(tail -n 3 "$base.prime.err")"
            return 1
        fi
    fi
    for ((i = 1; i <= runs; i++)); do
        [ "$cache" = cold ] && rm -rf -- "$tree/build/state"
        run_once "$base.$i.out" "$base.$i.err" "$BINARY" --project-path "$tree" "$@"
        if [ "$LAST_RC" != 0 ]; then
            fail "$label: twoliter $* ($cache) exited $LAST_RC: $(tail -n 3 "$base.$i.err")"
            return 1
        fi
        times+=("$LAST_MS")
        cpus+=("$LAST_CPU_MS")
        rsses+=("$LAST_RSS")
    done
    LAST_OUT="$base.$runs.out"
    LAST_ERR="$base.$runs.err"
    figure "$label.$cmd.$cache.wall_ms" "$(median "${times[@]}")" ms
    figure "$label.$cmd.$cache.cpu_ms" "$(median "${cpus[@]}")" ms
    figure "$label.$cmd.$cache.peak_rss_kib" "$(maximum "${rsses[@]}")" KiB
    figure "$label.$cmd.$cache.runs" "$runs" count
}

# baseline LABEL TREE RUNS: rpmspec -q on every spec, sequentially.
baseline() {
    local label="$1" tree="$2" runs="$3" i spec start end
    local macros="/usr/lib/rpm/macros:$tree/sdk/macros/x86_64:$tree/sdk/macros/shared"
    local -a times=()
    if ! command -v rpmspec >/dev/null; then
        fail "$label: rpmspec is not installed"
        return 1
    fi
    for ((i = 1; i <= runs; i++)); do
        start=$(now_ns)
        for spec in "${SPECS[@]}"; do
            if ! rpmspec -q --macros "$macros" "$spec" >/dev/null 2>"$WORK/$label.rpmspec.err"; then
                fail "$label: rpmspec -q $spec: $(tail -n 3 "$WORK/$label.rpmspec.err")"
                return 1
            fi
        done
        end=$(now_ns)
        times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')")
    done
    figure "$label.baseline_rpmspec.wall_ms" "$(median "${times[@]}")" ms
    figure "$label.baseline_rpmspec.runs" "$runs" count
}

bench_tree() {
    local label="$1" tree="$2" generated="$3"
    local variant spec_count runs cold_runs baseline_runs cmd cache warnings plan_line
    SPECS=()
    while IFS= read -r spec; do SPECS+=("$spec"); done < <(find "$tree/packages" -mindepth 2 -maxdepth 2 -name '*.spec' | sort)
    spec_count=${#SPECS[@]}
    variant=$(find "$tree/variants" -mindepth 2 -maxdepth 2 -name Cargo.toml | sort | head -n 1)
    variant=$(basename "$(dirname "$variant")")
    if [ "$spec_count" = 0 ] || [ -z "$variant" ] || [ "$variant" = . ]; then
        fail "$label: no specs or no variant under $tree"
        return 1
    fi
    figure "$label.specs" "$spec_count" count
    runs=${RUNS:-5}
    cold_runs=$runs
    if [ -z "$RUNS" ] && [ "$spec_count" -gt 1000 ]; then cold_runs=3; fi
    baseline_runs=$runs
    if [ "$spec_count" -gt 200 ]; then baseline_runs=1; fi
    log "$label: $spec_count specs, variant $variant"
    for cmd in build check; do
        EXPECTED+=("$label.$cmd.cold.wall_ms" "$label.$cmd.cold.peak_rss_kib"
                   "$label.$cmd.warm.wall_ms" "$label.$cmd.warm.peak_rss_kib"
                   "$label.$cmd.cold.cpu_ms" "$label.$cmd.warm.cpu_ms"
                   "$label.$cmd.cold.vs_rpmspec" "$label.$cmd.warm.vs_rpmspec")
    done
    EXPECTED+=("$label.specs" "$label.baseline_rpmspec.wall_ms" "$label.plan.packages"
               "$label.check.warnings")

    local -a build_args=(build variant "$variant" --dry-run) check_args=(check)
    for cache in cold warm; do
        local n=$runs
        [ "$cache" = cold ] && n=$cold_runs
        log "$label: build variant $variant --dry-run, $cache, $n runs"
        if measure "$label" "$tree" build "$cache" "$n" "${build_args[@]}"; then
            plan_line=$(grep -m 1 '^Plan for variant' "$LAST_OUT")
            if [ -z "$plan_line" ]; then
                fail "$label: build --dry-run printed no plan"
            elif [ "$cache" = cold ]; then
                figure "$label.plan.packages" "$(sed -E 's/.*: ([0-9]+) packages.*/\1/' <<<"$plan_line")" count
                figure "$label.plan.levels" "$(sed -E 's/.* in ([0-9]+) levels.*/\1/' <<<"$plan_line")" count
            fi
        fi
        log "$label: check, $cache, $n runs"
        if measure "$label" "$tree" check "$cache" "$n" "${check_args[@]}"; then
            if ! grep -q '^ok:' "$LAST_OUT"; then
                fail "$label: check did not say ok: $(head -n 3 "$LAST_OUT")"
            fi
            if [ "$cache" = cold ]; then
                warnings=$(grep -c 'warning:' "$LAST_ERR")
                figure "$label.check.warnings" "$warnings" count
                if [ "$generated" = 1 ] && [ "$warnings" != 0 ]; then
                    fail "$label: check warned about the generated tree: $(grep -m 3 'warning:' "$LAST_ERR")"
                fi
            fi
        fi
    done

    log "$label: baseline, rpmspec -q on $spec_count specs, $baseline_runs run(s)"
    baseline "$label" "$tree" "$baseline_runs"
    local base_ms="${FIGURE[$label.baseline_rpmspec.wall_ms]:-}"
    for cmd in build check; do
        for cache in cold warm; do
            local ms="${FIGURE[$label.$cmd.$cache.wall_ms]:-}"
            if [ -n "$ms" ] && [ -n "$base_ms" ]; then
                figure "$label.$cmd.$cache.vs_rpmspec" "$(ratio "$ms" "$base_ms")" x
            fi
            TABLE+=("$(printf '%-8s %7s  %-6s %-5s %12s %10s %5s %12s %12s %11s' "$label" "$spec_count" \
                "$cmd" "$cache" "${ms:-FAIL}" "${FIGURE[$label.$cmd.$cache.cpu_ms]:-FAIL}" \
                "$([ "$cache" = cold ] && echo "$cold_runs" || echo "$runs")" \
                "$(awk -v k="${FIGURE[$label.$cmd.$cache.peak_rss_kib]:-0}" 'BEGIN { printf "%.1f", k / 1024 }')" \
                "${base_ms:-FAIL}" "${FIGURE[$label.$cmd.$cache.vs_rpmspec]:-?}x")")
        done
    done
    SUMMARY+=("$(printf '%-8s %7s %9s %8s %12s %14s %10s' "$label" "$spec_count" \
        "${FIGURE[$label.plan.packages]:-?}" "${FIGURE[$label.plan.levels]:-?}" "${base_ms:-FAIL}" \
        "$(awk -v b="${base_ms:-0}" -v n="$spec_count" 'BEGIN { printf "%.2f", b / n }')" \
        "${FIGURE[$label.generate.wall_ms]:--}")")
}

log "twoliter: $ORIGINAL_BINARY ($("$BINARY" --version 2>&1 | head -n 1)); rss from $RSS_TOOL; $(nproc) CPUs; scratch $WORK"
figure "host.cpus" "$(nproc)" count
# Wall times depend on what else runs on the machine; cpu_ms much less.
figure "host.loadavg_1min" "$(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo 0)" load
for size in "${SIZES[@]}"; do
    if [ "$size" = sample ]; then
        if [ ! -f "$REPO_ROOT/Twoliter.toml" ]; then
            fail "sample: no Twoliter.toml at $REPO_ROOT"
            continue
        fi
        if ! copy_sample "$WORK/sample"; then
            fail "sample: cannot copy the sample project"
            continue
        fi
        bench_tree sample "$WORK/sample" 0
    else
        label="n$size"
        tree="$WORK/$label"
        EXPECTED+=("$label.generate.wall_ms")
        log "$label: generating $size packages (seed $SEED)"
        run_once "$WORK/$label.gen.out" "$WORK/$label.gen.err" \
            python3 "$GENERATOR" --out "$tree" --packages "$size" --seed "$SEED" --quiet
        if [ "$LAST_RC" != 0 ]; then
            fail "$label: generate_project.py exited $LAST_RC: $(tail -n 3 "$WORK/$label.gen.err")"
            continue
        fi
        figure "$label.generate.wall_ms" "$LAST_MS" ms
        bench_tree "$label" "$tree" 1
    fi
done

echo
echo "twoliter plan benchmark ($(nproc) CPUs, load ${FIGURE[host.loadavg_1min]} at start; medians of wall and CPU (user+sys, children included) time; peak RSS = largest of the runs)"
printf '%-8s %7s  %-6s %-5s %12s %10s %5s %12s %12s %11s\n' tree specs cmd cache median_ms cpu_ms runs peak_rss_MiB rpmspec_ms vs_rpmspec
for row in "${TABLE[@]}"; do echo "$row"; done
echo
printf '%-8s %7s %9s %8s %12s %14s %10s\n' tree specs plan_pkgs levels rpmspec_ms rpmspec_ms/spec gen_ms
for row in "${SUMMARY[@]}"; do echo "$row"; done
echo "build = build variant <first variant> --dry-run; rpmspec = rpmspec -q on every spec, sequentially"

# Every expected figure must be there and be a number.
for name in "${EXPECTED[@]}"; do
    value="${FIGURE[$name]:-}"
    if ! [[ "$value" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
        fail "figure $name is missing"
    fi
done
if [ "$FAILURES" != 0 ]; then
    echo "bench_plan.sh: $FAILURES failure(s)" >&2
    exit 1
fi
exit 0
