#!/usr/bin/env bash
# Benchmarks variant resolution against a large generated RPM repository, and
# dnf resolving the same packages in the same run.
#
# usage: bench_resolve.sh [--smoke] [--runs N] [--packages N] [--count N] [--seed S]
#                         [--work DIR] [--keep] TWOLITER_BINARY RESOLVE_BENCH_BINARY
#
#   RESOLVE_BENCH_BINARY  the resolve_bench program (tests/bench/resolve_bench.cpp)
#   --packages N  packages in the repository made by generate_repodata.py (default 60000)
#   --count N     packages the variant includes (default 50): the first N names
#                 of the generator's --roots-file (application packages)
#   --runs N      timed runs per measurement (default 5; runs that parse the
#                 XML of more than 10,000 packages default to 3)
#   --seed S      seed of the repository and of the project (default 1)
#   --work DIR    keep the generated repository in DIR/repo-<packages>-<seed>-<generator>
#                 and reuse it in later runs (default: generated in the scratch folder)
#   --smoke       a 300-package repository and a variant of 5, one run each;
#                 fails when a command fails, the resolutions disagree or a
#                 figure is missing, never on how long anything took (for the test suite)
#   --keep        keep the scratch folder (/tmp/bench-resolve.*)
#
# Measurements (median wall time; every figure also as "BENCH name=value unit"):
#   resolver.xml     resolve_bench without a cache: the repository's XML parsed
#                    (primary and filelists), then the variant resolved
#   resolver.cold    the same with a solv cache path whose file is missing: the
#                    XML parsed and the cache written
#   resolver.cache   the same with the cache file there (the budget's case)
#   dnf.cold         dnf --installroot R --assumeno install <the same packages>
#                    with an empty cache folder (dnf parses the XML, writes its solv)
#   dnf.warm         the same with dnf's cache folder filled by a first run
#   twoliter.*       twoliter build variant metal-bigkit-1 --dry-run on a
#                    generated 10-package project whose Twoliter.toml names a
#                    kit "big-kit" whose repository (linked at
#                    build/external-kits/bench/big-kit/x86_64) is the generated
#                    one, the variant including the same packages: cold
#                    (build/state removed: specs parsed, XML parsed, solv cache
#                    written), nosolv (only the solv cache removed), warm
#                    (every cache filled); baseline: the same project without
#                    the kit, its own variant aws-bench-1, warm.
# The package sets chosen by twoliter and by dnf are compared (names).
# Everything stays on this machine; nothing is fetched.

set -u -o pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
export LC_ALL=C

SMOKE=0
RUNS=""
PACKAGES=60000
COUNT=50
SEED=1
WORK_ARG=""
KEEP=0
BINARY=""
RESOLVE_BENCH=""
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) SMOKE=1 ;;
        --runs) need_value $#; RUNS="$2"; shift ;;
        --packages) need_value $#; PACKAGES="$2"; shift ;;
        --count) need_value $#; COUNT="$2"; shift ;;
        --seed) need_value $#; SEED="$2"; shift ;;
        --work) need_value $#; WORK_ARG="$2"; shift ;;
        --keep) KEEP=1 ;;
        -h|--help) usage ;;
        -*) echo "bench_resolve.sh: unknown option $1" >&2; usage ;;
        *) if [ -z "$BINARY" ]; then BINARY="$1"; elif [ -z "$RESOLVE_BENCH" ]; then
               RESOLVE_BENCH="$1"; else usage; fi ;;
    esac
    shift
done
[ -n "$RESOLVE_BENCH" ] || usage
for number in "${RUNS:-1}" "$PACKAGES" "$COUNT" "$SEED"; do
    [[ "$number" =~ ^[0-9]+$ ]] || { echo "bench_resolve.sh: '$number' is not a number" >&2; exit 2; }
done
if [ "$SMOKE" = 1 ]; then
    PACKAGES=300
    COUNT=5
    RUNS=1
fi
[ "$PACKAGES" -ge 100 ] || { echo "bench_resolve.sh: --packages must be at least 100" >&2; exit 2; }
for tool in dnf python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench_resolve.sh: $tool is not installed" >&2; exit 2; }
done

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
WORK="$(mktemp -d /tmp/bench-resolve.XXXXXX)"
# shellcheck disable=SC2317  # called through the trap
cleanup() {
    if [ "$KEEP" = 1 ]; then echo "bench_resolve.sh: kept $WORK" >&2; else rm -rf -- "$WORK"; fi
}
trap cleanup EXIT

# Private copies: a rebuild during the run cannot change what is measured.
for program in "$BINARY" "$RESOLVE_BENCH"; do
    [ -x "$program" ] || { echo "bench_resolve.sh: $program is not an executable" >&2; exit 2; }
done
cp "$BINARY" "$WORK/twoliter" && cp "$RESOLVE_BENCH" "$WORK/resolve_bench" || exit 2
BINARY="$WORK/twoliter"
RESOLVE_BENCH="$WORK/resolve_bench"

FAILURES=0
declare -A FIGURE=()
declare -a EXPECTED=()

figure() {
    FIGURE["$1"]="$2"
    echo "BENCH $1=$2 $3"
}
expect() { EXPECTED+=("$@"); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'; }

# timed OUT ERR CMD...: sets LAST_MS (wall), LAST_CPU_MS (user + system),
# LAST_RSS (peak, KiB) and LAST_RC.
timed() {
    local out="$1" err="$2" start end user sys
    shift 2
    start=$(date +%s%N)
    /usr/bin/time -f '%M %U %S' -o "$WORK/time.txt" "$@" >"$out" 2>"$err"
    LAST_RC=$?
    end=$(date +%s%N)
    LAST_MS=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
    read -r LAST_RSS user sys < <(tail -n 1 "$WORK/time.txt")
    [[ "${LAST_RSS:-}" =~ ^[0-9]+$ ]] || LAST_RSS=0
    LAST_CPU_MS=$(awk -v u="${user:-0}" -v s="${sys:-0}" 'BEGIN { printf "%.0f", (u + s) * 1000 }')
}

# series NAME RUNS SETUP CMD...: SETUP (a shell command) before each timed run;
# figures NAME.{wall_ms,cpu_ms,peak_rss_kib,runs}; the last run's output in
# $WORK/NAME.out.
series() {
    local name="$1" runs="$2" setup="$3" i
    shift 3
    local -a walls=() cpus=() rsses=()
    for ((i = 1; i <= runs; i++)); do
        eval "$setup"
        timed "$WORK/$name.out" "$WORK/$name.err" "$@"
        if [ "$LAST_RC" != 0 ] && ! [[ "$name" == dnf.* && "$LAST_RC" == 1 ]]; then
            fail "$name: $* exited $LAST_RC: $(tail -n 3 "$WORK/$name.err")"
            return 1
        fi
        walls+=("$LAST_MS")
        cpus+=("$LAST_CPU_MS")
        rsses+=("$LAST_RSS")
    done
    figure "$name.wall_ms" "$(median "${walls[@]}")" ms
    figure "$name.cpu_ms" "$(median "${cpus[@]}")" ms
    figure "$name.peak_rss_kib" "$(maximum "${rsses[@]}")" KiB
    figure "$name.runs" "$runs" count
}

RUNS_FAST=${RUNS:-5}
RUNS_XML=${RUNS:-5}
[ -z "$RUNS" ] && [ "$PACKAGES" -gt 10000 ] && RUNS_XML=3
figure host.cpus "$(nproc)" count
figure host.loadavg_1min "$(cut -d ' ' -f 1 /proc/loadavg)" load

# --- the repository --------------------------------------------------------------
if [ -n "$WORK_ARG" ]; then
    mkdir -p "$WORK_ARG" || exit 2
    # Named after the generator's code too: a changed generator makes a new one.
    generator_id=$(cat "$HERE/generate_repodata.py" "$HERE/repodata_writer.py" | sha256sum | cut -c 1-8)
    REPO="$(cd "$WORK_ARG" && pwd)/repo-$PACKAGES-$SEED-$generator_id"
else
    REPO="$WORK/repo-$PACKAGES-$SEED"
fi
ROOTS="$REPO.roots"
if [ -f "$REPO/repodata/repomd.xml" ] && [ -f "$ROOTS" ]; then
    log "reusing $REPO"
else
    log "generating $PACKAGES packages into $REPO (seed $SEED)"
    timed "$WORK/gen.out" "$WORK/gen.err" python3 "$HERE/generate_repodata.py" --out "$REPO" \
        --packages "$PACKAGES" --seed "$SEED" --roots-file "$ROOTS"
    if [ "$LAST_RC" != 0 ]; then
        fail "generate_repodata.py exited $LAST_RC: $(tail -n 3 "$WORK/gen.err")"
        exit 1
    fi
    cat "$WORK/gen.out" >&2
    figure repo.generate_ms "$LAST_MS" ms
fi
figure repo.packages "$PACKAGES" count
figure repo.metadata_kib "$(du -sk "$REPO/repodata" | cut -f 1)" KiB
mapfile -t NAMES < <(head -n "$COUNT" "$ROOTS")
if [ "${#NAMES[@]}" != "$COUNT" ]; then
    fail "the repository has only ${#NAMES[@]} application packages"
    exit 1
fi
figure variant.included "$COUNT" count

# --- 1. the resolver in-process --------------------------------------------------
CACHE="$WORK/big-kit.solv"
RESOLVE=("$RESOLVE_BENCH" --repo "$REPO" --roots "$ROOTS" --count "$COUNT")
# resolver_line NAME: figures of resolve_bench's own line in the last output.
resolver_line() {
    local name="$1" line key
    line=$(head -n 1 "$WORK/$name.out")
    for key in load_ms resolve_ms total_ms cpu_ms packages; do
        local value
        value=$(sed -nE "s/.*\\b$key=([0-9.]+).*/\\1/p" <<<"$line")
        # total_ms and cpu_ms: inside the process (the series' wall_ms and
        # cpu_ms include its start and exit).
        [ -n "$value" ] && figure "$name.inside.$key" "$value" "$([ "$key" = packages ] && echo count || echo ms)"
    done
}
log "resolver: XML, $RUNS_XML run(s)"
series resolver.xml "$RUNS_XML" ":" "${RESOLVE[@]}" && resolver_line resolver.xml
log "resolver: solv cache missing (written), $RUNS_XML run(s)"
series resolver.cold "$RUNS_XML" "rm -f '$CACHE'" "${RESOLVE[@]}" --cache "$CACHE" &&
    resolver_line resolver.cold
figure resolver.cache_kib "$(du -k "$CACHE" 2>/dev/null | cut -f 1)" KiB
log "resolver: solv cache, $RUNS_FAST run(s)"
series resolver.cache "$RUNS_FAST" ":" "${RESOLVE[@]}" --cache "$CACHE" &&
    resolver_line resolver.cache
grep -q '^cache=loaded ' "$WORK/resolver.cache.out" || fail "resolver.cache: the solv cache was not used"
"${RESOLVE[@]}" --cache "$CACHE" --list | tail -n +2 | sed -E 's/-[^-]+-[^-]+$//' | sort >"$WORK/ours.names"
expect resolver.xml.wall_ms resolver.cold.wall_ms resolver.cache.wall_ms \
    resolver.cache.inside.load_ms resolver.cache.inside.resolve_ms resolver.cache.inside.total_ms \
    resolver.cache.inside.cpu_ms resolver.cache.inside.packages resolver.cache_kib

# --- 2. dnf on the same repository ----------------------------------------------
DNF=(dnf -y --installroot="$WORK/dnf-root" --releasever=1 --setopt=reposdir=/dev/null
     --setopt=cachedir="$WORK/dnf-cache" --setopt=install_weak_deps=False --nogpgcheck
     --repofrompath=big,"file://$REPO" --repo=big --assumeno install)
for name in "${NAMES[@]}"; do DNF+=("bottlerocket-$name"); done
# dnf_packages NAME: the count from its summary, the names from its table.
dnf_packages() {
    local out="$WORK/$1.out" count
    count=$(sed -nE 's/^Install +([0-9]+) Package.*/\1/p' "$out")
    [ -n "$count" ] && figure "$1.packages" "$count" count
    sed -n '/^Installing/,/^Transaction Summary/p' "$out" | grep -oE '(^| )bottlerocket-[^ ]+' |
        sed 's/^ //' | sort -u >"$WORK/$1.names"
}
log "dnf: empty cache, $RUNS_XML run(s)"
series dnf.cold "$RUNS_XML" "rm -rf '$WORK/dnf-cache' '$WORK/dnf-root'; mkdir -p '$WORK/dnf-root'" \
    "${DNF[@]}" && dnf_packages dnf.cold
log "dnf: warm cache, $RUNS_FAST run(s)"
series dnf.warm "$RUNS_FAST" ":" "${DNF[@]}" && dnf_packages dnf.warm
expect dnf.cold.wall_ms dnf.warm.wall_ms dnf.warm.packages
if [ -s "$WORK/dnf.warm.names" ]; then
    # The metadata package is twoliter's own.
    grep -v '^bottlerocket-metadata$' "$WORK/ours.names" >"$WORK/ours.kit.names"
    figure compare.only_twoliter "$(comm -23 "$WORK/ours.kit.names" "$WORK/dnf.warm.names" | wc -l)" count
    figure compare.only_dnf "$(comm -13 "$WORK/ours.kit.names" "$WORK/dnf.warm.names" | wc -l)" count
    if [ "${FIGURE[compare.only_twoliter]}" != 0 ] || [ "${FIGURE[compare.only_dnf]}" != 0 ]; then
        log "package sets differ: $(comm -3 "$WORK/ours.kit.names" "$WORK/dnf.warm.names" | head -n 5 | tr -s ' \t\n' ' ')"
    fi
fi
expect compare.only_twoliter compare.only_dnf

# --- 3. twoliter build variant --dry-run ---------------------------------------------
PROJECT="$WORK/project"
log "twoliter: generating a 10-package project with the kit big-kit"
if ! python3 "$HERE/generate_project.py" --out "$PROJECT.base" --packages 10 --seed "$SEED" \
        --quiet >"$WORK/project.gen.err" 2>&1; then
    fail "generate_project.py: $(tail -n 3 "$WORK/project.gen.err")"
else
    cp -a "$PROJECT.base" "$PROJECT"
    printf '\n[[kit]]\nname = "big-kit"\nversion = "1.0.0"\nvendor = "bench"\n' >>"$PROJECT/Twoliter.toml"
    # Pinned and "fetched": the lock names the kit; its folder carries the
    # marker fetch leaves, so no registry is asked. The SDK digest names no
    # image in any cache, so the project's sdk/ folder is used.
    kit_source="localhost:5000/bench/big-kit:v1.0.0"
    b64sha() { python3 -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.sha256(sys.argv[1].encode()).digest()).decode())' "$1"; }
    kit_digest="$(b64sha "$REPO")"
    lock_entry() { printf 'name = "%s"\nversion = "%s"\nvendor = "bench"\nsource = "%s"\ndigest = "%s"\n' "$@"; }
    {
        printf 'schema-version = 1\n\n[sdk]\n'
        lock_entry bench-sdk 0.1.0 "localhost:5000/bench/bench-sdk:v0.1.0" \
            "$(b64sha "no sdk image")"
        printf '\n[[kit]]\n'
        lock_entry big-kit 1.0.0 "$kit_source" "$kit_digest"
    } >"$PROJECT/Twoliter.lock"
    KIT_DIR="$PROJECT/build/external-kits/bench/big-kit/x86_64"
    mkdir -p "$KIT_DIR"
    ln -s "$REPO/repodata" "$KIT_DIR/repodata"
    printf '%s\n%s\n' "$kit_source" "$kit_digest" >"$KIT_DIR/.lock-digest"
    mkdir -p "$PROJECT/variants/metal-bigkit-1"
    {
        printf '[package]\nname = "metal-bigkit-1"\nversion = "0.1.0"\nedition = "2021"\npublish = false\n\n'
        printf '[package.metadata.build-variant]\nincluded-packages = [\n'
        printf '    "%s",\n' "${NAMES[@]}"
        printf ']\n\n[lib]\npath = "../variants.rs"\n'
    } >"$PROJECT/variants/metal-bigkit-1/Cargo.toml"
    PLAN=("$BINARY" --project-path "$PROJECT" --sdk "$PROJECT/sdk" --cache-dir "$WORK/cache" build variant metal-bigkit-1 --dry-run)
    log "twoliter: dry-run, cold, $RUNS_XML run(s)"
    series twoliter.cold "$RUNS_XML" "rm -rf '$PROJECT/build/state'" "${PLAN[@]}"
    log "twoliter: dry-run, solv cache removed, $RUNS_XML run(s)"
    series twoliter.nosolv "$RUNS_XML" "rm -rf '$PROJECT/build/state/x86_64/solv'" "${PLAN[@]}"
    log "twoliter: dry-run, warm, $RUNS_FAST run(s)"
    series twoliter.warm "$RUNS_FAST" ":" "${PLAN[@]}"
    image=$(sed -nE 's/^Image packages \(([0-9]+)\).*/\1/p' "$WORK/twoliter.warm.out")
    [ -n "$image" ] && figure twoliter.warm.packages "$image" count
    log "twoliter: baseline, the project without the kit, warm, $RUNS_FAST run(s)"
    BASE=("$BINARY" --project-path "$PROJECT.base" --cache-dir "$WORK/cache" build variant aws-bench-1 --dry-run)
    "${BASE[@]}" >/dev/null 2>&1
    series twoliter.baseline "$RUNS_FAST" ":" "${BASE[@]}"
fi
expect twoliter.cold.wall_ms twoliter.nosolv.wall_ms twoliter.warm.wall_ms twoliter.baseline.wall_ms \
    twoliter.warm.packages
if [ -n "${FIGURE[twoliter.warm.packages]:-}" ] && [ -n "${FIGURE[resolver.cache.inside.packages]:-}" ] &&
    [ "${FIGURE[twoliter.warm.packages]}" != "${FIGURE[resolver.cache.inside.packages]}" ]; then
    fail "twoliter's plan has ${FIGURE[twoliter.warm.packages]} image packages, resolve_bench ${FIGURE[resolver.cache.inside.packages]}"
fi

# --- summary ---------------------------------------------------------------------
f() { echo "${FIGURE[$1]:-?}"; }
echo
echo "variant resolution, $PACKAGES-package repository, variant of $COUNT packages ($(nproc) CPUs, load $(f host.loadavg_1min) at start; medians)"
printf '%-40s %10s %8s %10s %10s\n' measurement wall_ms cpu_ms rss_MiB packages
for row in resolver.xml resolver.cold resolver.cache dnf.cold dnf.warm \
           twoliter.cold twoliter.nosolv twoliter.warm twoliter.baseline; do
    printf '%-40s %10s %8s %10s %10s\n' "$row" "$(f "$row.wall_ms")" "$(f "$row.cpu_ms")" \
        "$(awk -v k="${FIGURE[$row.peak_rss_kib]:-0}" 'BEGIN { printf "%.1f", k / 1024 }')" \
        "${FIGURE[$row.packages]:-${FIGURE[$row.inside.packages]:-}}"
done
if [ -n "${FIGURE[resolver.cache.wall_ms]:-}" ] && [ -n "${FIGURE[dnf.warm.wall_ms]:-}" ]; then
    figure ratio.cache_vs_dnf_warm "$(ratio "$(f resolver.cache.wall_ms)" "$(f dnf.warm.wall_ms)")" x
    figure ratio.xml_vs_dnf_cold "$(ratio "$(f resolver.xml.wall_ms)" "$(f dnf.cold.wall_ms)")" x
    figure ratio.dryrun_warm_vs_dnf_warm "$(ratio "$(f twoliter.warm.wall_ms)" "$(f dnf.warm.wall_ms)")" x
fi
echo
printf '%-40s %10s %10s %10s %10s\n' "inside resolve_bench" load_ms resolve_ms total_ms cpu_ms
for row in resolver.xml resolver.cold resolver.cache; do
    printf '%-40s %10s %10s %10s %10s\n' "$row" "$(f "$row.inside.load_ms")" \
        "$(f "$row.inside.resolve_ms")" "$(f "$row.inside.total_ms")" "$(f "$row.inside.cpu_ms")"
done
echo "budget (DESIGN.md §9): resolution against a 60,000-package repository < 150 ms with the solv cache"
echo "dry-run with the kit, warm, minus the same project without it: $(awk -v a="$(f twoliter.warm.wall_ms)" -v b="$(f twoliter.baseline.wall_ms)" 'BEGIN { printf "%.1f", a - b }') ms"
echo "package sets: $(f compare.only_twoliter) only in twoliter's, $(f compare.only_dnf) only in dnf's"
expect ratio.cache_vs_dnf_warm

for name in "${EXPECTED[@]}"; do
    [[ "${FIGURE[$name]:-}" =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "figure $name is missing"
done
if [ "${FIGURE[compare.only_twoliter]:-0}" != 0 ] || [ "${FIGURE[compare.only_dnf]:-0}" != 0 ]; then
    fail "twoliter and dnf chose different packages"
fi
if [ "$FAILURES" != 0 ]; then
    echo "bench_resolve.sh: $FAILURES failure(s)" >&2
    exit 1
fi
exit 0
