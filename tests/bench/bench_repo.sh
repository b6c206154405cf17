#!/usr/bin/env bash
# Benchmarks twoliter's repository metadata writer against createrepo_c.
#
# usage: bench_repo.sh [--smoke] [--runs N] [--count N] [--work DIR] [--keep] BENCH_BINARY
#
#   BENCH_BINARY  the repo_metadata_bench program (tests/bench/repo_metadata_bench.cpp)
#   --count N     RPMs in the repository (default 2000): 10 specs, each a main
#                 package and N/10 - 1 subpackages of 3 files (noarch)
#   --work DIR    keeps the generated RPMs in DIR/rpms-N, reused by later runs
#                 (default: a scratch folder, removed at the end)
#   --runs N      timed runs per measurement (default 3)
#   --smoke       20 RPMs (2 specs), one run; fails when a command fails or a
#                 figure is missing, never on how long anything took (for the
#                 test suite; seconds)
#   --keep        keep the scratch folder (/tmp/bench-repo.*) with copies and logs
#
# On copies of the same folder of RPMs it measures (median wall time):
#   ours.cold         repo_metadata_bench DIR  (no repodata, no cache)
#   ours.incremental  the same after one RPM was added (the others reused)
#   crc.cold          createrepo_c --no-database DIR  (the same files as ours)
#   crc.cold_db       createrepo_c DIR  (its defaults: also sqlite databases)
#   crc.update        createrepo_c --update --no-database DIR after one RPM was added
# and prints each figure as "BENCH name=value unit", then a table with ratios.
# Both writers use their default thread counts. Everything stays on this machine.

set -u -o pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SMOKE=0
RUNS=3
COUNT=2000
WORK_ARG=""
KEEP=0
BINARY=""
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) SMOKE=1 ;;
        --runs) need_value $#; RUNS="$2"; shift ;;
        --count) need_value $#; COUNT="$2"; shift ;;
        --work) need_value $#; WORK_ARG="$2"; shift ;;
        --keep) KEEP=1 ;;
        -h|--help) usage ;;
        -*) echo "bench_repo.sh: unknown option $1" >&2; usage ;;
        *) [ -z "$BINARY" ] || usage; BINARY="$1" ;;
    esac
    shift
done
[ -n "$BINARY" ] || usage
[ -x "$BINARY" ] || { echo "bench_repo.sh: $BINARY is not an executable" >&2; exit 2; }
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "bench_repo.sh: --runs needs a positive number" >&2; exit 2; }
[[ "$COUNT" =~ ^[1-9][0-9]*$ ]] || { echo "bench_repo.sh: --count needs a positive number" >&2; exit 2; }
if [ "$SMOKE" = 1 ]; then
    COUNT=20
    RUNS=1
fi
SPECS=10
[ "$COUNT" -lt 100 ] && SPECS=2
PER_SPEC=$(( (COUNT + SPECS - 1) / SPECS ))
for tool in rpmbuild createrepo_c zcat; do
    command -v "$tool" >/dev/null || { echo "bench_repo.sh: $tool is not installed" >&2; exit 2; }
done

WORK="$(mktemp -d /tmp/bench-repo.XXXXXX)"
# shellcheck disable=SC2317  # called through the trap
cleanup() {
    if [ "$KEEP" = 1 ]; then echo "bench_repo.sh: kept $WORK" >&2; else rm -rf -- "$WORK"; fi
}
trap cleanup EXIT
POOL_PARENT="${WORK_ARG:-$WORK}"
mkdir -p "$POOL_PARENT" || exit 2
POOL_PARENT="$(cd "$POOL_PARENT" && pwd)"
POOL="$POOL_PARENT/rpms-$COUNT"

cp "$BINARY" "$WORK/repo_metadata_bench" || exit 2
BINARY="$WORK/repo_metadata_bench"

FAILURES=0
declare -A FIGURE=()

figure() {
    FIGURE["$1"]="$2"
    echo "BENCH $1=$2 $3"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }
now_ns() { date +%s%N; }

# write_spec FILE NAME SUBPACKAGES: a noarch spec, a main package and
# SUBPACKAGES more, each owning 3 small files.
write_spec() {
    local file="$1" name="$2" subs="$3" i
    {
        printf 'Name: %s\nVersion: 1.0\nRelease: 1\nSummary: bench\nLicense: MIT\nBuildArch: noarch\n' "$name"
        printf '%%description\nbench\n'
        for ((i = 1; i <= subs; i++)); do
            printf '%%package p%03d\nSummary: bench\nRequires: %s\n%%description p%03d\nbench\n' "$i" "$name" "$i"
        done
        printf '%%install\n'
        printf 'for d in main $(seq -f p%%03g 1 %d); do mkdir -p %%{buildroot}/usr/share/%s/$d; for f in a b c; do echo "$d $f" > %%{buildroot}/usr/share/%s/$d/$f; done; done\n' "$subs" "$name" "$name"
        printf '%%files\n/usr/share/%s/main\n' "$name"
        for ((i = 1; i <= subs; i++)); do printf '%%files p%03d\n/usr/share/%s/p%03d\n' "$i" "$name" "$i"; done
    } >"$file"
}

# build_spec NAME SUBPACKAGES OUTPUT: rpmbuild, reproducible.
build_spec() {
    local name="$1" subs="$2" output="$3" top="$WORK/build-$1"
    mkdir -p "$top"
    write_spec "$top/$name.spec" "$name" "$subs"
    SOURCE_DATE_EPOCH=1704067200 rpmbuild -bb --define "_topdir $top" --define "_rpmdir $output" \
        --define "_buildhost bench" --define "use_source_date_epoch_as_buildtime 1" \
        --define "clamp_mtime_to_source_date_epoch 1" --define "_build_id_links none" \
        "$top/$name.spec" >"$top/rpmbuild.log" 2>&1 || { fail "rpmbuild $name: $(tail -n 3 "$top/rpmbuild.log")"; return 1; }
}

# The pool: COUNT RPMs in POOL/Packages and one more in POOL/extra, made once.
make_pool() {
    [ -f "$POOL/complete" ] && { log "reusing $POOL"; return 0; }
    rm -rf -- "$POOL"
    mkdir -p "$POOL/Packages" "$POOL/extra"
    local s start=$(now_ns)
    log "building $COUNT RPMs from $SPECS specs into $POOL"
    for ((s = 1; s <= SPECS; s++)); do
        build_spec "$(printf 'bench%02d' "$s")" $((PER_SPEC - 1)) "$POOL/Packages" || return 1
    done
    build_spec benchextra 0 "$POOL/extra" || return 1
    log "built in $(( ($(now_ns) - start) / 1000000 )) ms"
    touch "$POOL/complete"
}

# timed OUTFILE CMD...: sets LAST_MS; fails on a non-zero exit.
timed() {
    local out="$1" start
    shift
    start=$(now_ns)
    if ! "$@" >"$out" 2>&1; then
        fail "$*: $(tail -n 3 "$out")"
        return 1
    fi
    LAST_MS=$(awk -v a="$start" -v b="$(now_ns)" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
}

# primary_count DIR: packages listed in DIR's primary.xml.gz.
primary_count() { zcat "$1"/repodata/*primary.xml.gz | grep -c '<package '; }

# fresh_copy NAME: a copy of the pool's packages (mtimes kept) at $WORK/NAME.
fresh_copy() {
    rm -rf -- "${WORK:?}/$1"
    mkdir -p "$WORK/$1"
    cp -a "$POOL/Packages" "$WORK/$1/"
}

EXTRA=""
add_extra() { cp -a "$EXTRA" "$WORK/$1/Packages/"; }

bench() {
    local i
    local -a ours_cold=() ours_incr=() crc_cold=() crc_db=() crc_update=()
    EXTRA=$(find "$POOL/extra" -name '*.rpm' | head -n 1)
    [ -n "$EXTRA" ] || { fail "no extra RPM in $POOL/extra"; return 1; }
    for ((i = 1; i <= RUNS; i++)); do
        fresh_copy ours
        timed "$WORK/ours.cold.$i" "$BINARY" "$WORK/ours" || return 1
        ours_cold+=("$LAST_MS")
        grep -q "packages=$COUNT_ACTUAL reused=0 read=$COUNT_ACTUAL " "$WORK/ours.cold.$i" ||
            { fail "ours cold: $(cat "$WORK/ours.cold.$i")"; return 1; }
        add_extra ours
        timed "$WORK/ours.incr.$i" "$BINARY" "$WORK/ours" || return 1
        ours_incr+=("$LAST_MS")
        grep -q "packages=$((COUNT_ACTUAL + 1)) reused=$COUNT_ACTUAL read=1 " "$WORK/ours.incr.$i" ||
            { fail "ours incremental: $(cat "$WORK/ours.incr.$i")"; return 1; }

        fresh_copy crc
        timed "$WORK/crc.cold_db.$i" createrepo_c "$WORK/crc" || return 1
        crc_db+=("$LAST_MS")
        rm -rf -- "$WORK/crc/repodata"
        timed "$WORK/crc.cold.$i" createrepo_c --no-database "$WORK/crc" || return 1
        crc_cold+=("$LAST_MS")
        add_extra crc
        timed "$WORK/crc.update.$i" createrepo_c --update --no-database "$WORK/crc" || return 1
        crc_update+=("$LAST_MS")
        [ "$(primary_count "$WORK/crc")" = $((COUNT_ACTUAL + 1)) ] ||
            { fail "createrepo_c --update lists $(primary_count "$WORK/crc") packages"; return 1; }
        [ "$(primary_count "$WORK/ours")" = $((COUNT_ACTUAL + 1)) ] ||
            { fail "ours lists $(primary_count "$WORK/ours") packages"; return 1; }
    done
    figure rpms "$COUNT_ACTUAL" count
    figure runs "$RUNS" count
    figure ours.cold.wall_ms "$(median "${ours_cold[@]}")" ms
    figure ours.incremental.wall_ms "$(median "${ours_incr[@]}")" ms
    figure crc.cold.wall_ms "$(median "${crc_cold[@]}")" ms
    figure crc.cold_db.wall_ms "$(median "${crc_db[@]}")" ms
    figure crc.update.wall_ms "$(median "${crc_update[@]}")" ms
    figure ours.cold.vs_crc "$(ratio "${FIGURE[ours.cold.wall_ms]}" "${FIGURE[crc.cold.wall_ms]}")" ratio
    figure ours.incremental.vs_crc_update "$(ratio "${FIGURE[ours.incremental.wall_ms]}" "${FIGURE[crc.update.wall_ms]}")" ratio
    figure ours.incremental.vs_cold "$(ratio "${FIGURE[ours.incremental.wall_ms]}" "${FIGURE[ours.cold.wall_ms]}")" ratio
}

make_pool || exit 1
COUNT_ACTUAL=$(find "$POOL/Packages" -name '*.rpm' | wc -l)
log "$COUNT_ACTUAL RPMs, $(du -sh "$POOL/Packages" | cut -f1), $(nproc) hardware threads"
bench

if [ "$FAILURES" = 0 ]; then
    printf '\n%-42s %12s\n' "measurement ($COUNT_ACTUAL RPMs, median of $RUNS)" "wall ms"
    printf '%-42s %12s\n' "twoliter cold" "${FIGURE[ours.cold.wall_ms]}" \
        "twoliter incremental (+1 RPM)" "${FIGURE[ours.incremental.wall_ms]}" \
        "createrepo_c --no-database cold" "${FIGURE[crc.cold.wall_ms]}" \
        "createrepo_c cold (with sqlite)" "${FIGURE[crc.cold_db.wall_ms]}" \
        "createrepo_c --update --no-database (+1)" "${FIGURE[crc.update.wall_ms]}"
    printf '%-42s %12s\n' "ratio twoliter/createrepo_c cold" "${FIGURE[ours.cold.vs_crc]}" \
        "ratio twoliter/createrepo_c incremental" "${FIGURE[ours.incremental.vs_crc_update]}" \
        "ratio twoliter incremental/cold" "${FIGURE[ours.incremental.vs_cold]}"
fi
if [ "$FAILURES" != 0 ]; then
    log "$FAILURES failure(s)"
    exit 1
fi
