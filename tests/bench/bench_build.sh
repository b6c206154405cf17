#!/usr/bin/env bash
# Benchmarks twoliter's real package builds: the sandbox, the per-package
# overhead, cold builds and no-op builds, against the raw tools in the same run.
#
# usage: bench_build.sh [--smoke] [--runs N] [--sandbox-runs N] [--overhead-packages K]
#                       [--seed S] [--sdk-oci DIR] [--keep] TWOLITER_BINARY [SIZES...]
#
#   SIZES     "sample" (the project at the root of this repository) and package
#             counts for trees made by generate_project.py --all-variant; the
#             no-op build is measured on each; default: sample 100 2000 5000
#             (fit_growth.py gives the growth order)
#   --smoke   "sample" and one generated tree of 10 packages, one run of each
#             measurement; exits non-zero when a command fails or a figure is
#             missing, and never looks at how long anything took (for the test suite)
#   --runs N  timed runs of each build measurement (default: 3 for cold builds,
#             10 for no-op builds, 5 for no-op builds of trees over 1000 packages)
#   --sandbox-runs N   runs of each sandbox start measurement (default 30)
#   --overhead-packages K   size of the generated tree whose packages are built
#             by twoliter and by hand (default 20; 10 with --smoke)
#   --seed S  seed of the generated trees (default 1)
#   --sdk-oci DIR  the SDK image (OCI layout) to import; default:
#             <repository>/out/test-sdk/sample-sdk-oci, as the e2e SDK fixture makes it
#   --keep    keep the scratch folder (/tmp/bench-build-*) with trees, caches and logs
#
# Measurements (every figure is also printed as "BENCH name=value unit"):
#  1 sandbox start: per-run wall time (median) of /usr/bin/true run directly,
#    by "unshare -n", by bwrap with namespaces only, and by bwrap with the
#    argument layout twoliter gives rpmbuild (same namespaces and identity,
#    read-only binds of the SDK rootfs's top-level entries, --proc, --dev,
#    the /build bind, tmpfs /tmp and /var/tmp, read-only root). When strace is
#    there, that layout is checked against the bwrap command lines of a real
#    twoliter build (sandbox.layout_matches).
#  2 per-package overhead: every package of a generated tree of K packages
#    built cold (fresh cache holding only the SDK, "twoliter clean" first) by
#    "twoliter -jJ build variant all-bench-1 --packages-only", and by hand: the
#    same bwrap + rpm -i (build roots, one per distinct set of RPMs) and bwrap +
#    rpmbuild -bb command lines, in dependency order, sequentially (J=1) or two
#    at a time (J=2, started as soon as their dependencies are done, as
#    "xargs -P2" would if it knew the order). Prints (twoliter - by hand) / K.
#  3 cold builds of the sample: variant aws-k8s-1.31 (--packages-only), and
#    every package of the sample (build variant --packages-only for each of its
#    variants, one after the other, plus "build package" for any left over).
#  4 no-op builds (everything cached, the runs after a first build): the sample
#    (aws-k8s-1.31) and each generated tree (all-bench-1: every package). The
#    first build is the last cold build of 2 or 3 when there is one, else it is
#    made here (minutes for a large tree; its progress is printed every 10 s).
#    One extra run under strace counts the child processes (clone/fork/vfork
#    without CLONE_THREAD) and execve calls; without strace, /proc is polled.
# Wall time is measured around the command; "cpu" is user + system time of the
# command and of every process below it, sandboxed ones included (the runner is
# a child subreaper: bwrap's sandbox init is reparented to it and reaped there);
# "twoliter cpu" and peak RSS are those of the twoliter process alone (and of
# the bwrap processes it waits for). Builds use -j2 unless said otherwise.
# Everything stays on this machine; nothing is fetched. Budgets of DESIGN.md §9
# are shown beside the figures, never enforced.

set -u -o pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
export LC_ALL=C

SMOKE=0
RUNS=""
SANDBOX_RUNS=""
OVERHEAD_K=""
SEED=1
KEEP=0
BINARY=""
SDK_OCI=""
SIZES=()
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) SMOKE=1 ;;
        --runs) need_value $#; RUNS="$2"; shift ;;
        --runs=*) RUNS="${1#--runs=}" ;;
        --sandbox-runs) need_value $#; SANDBOX_RUNS="$2"; shift ;;
        --sandbox-runs=*) SANDBOX_RUNS="${1#--sandbox-runs=}" ;;
        --overhead-packages) need_value $#; OVERHEAD_K="$2"; shift ;;
        --overhead-packages=*) OVERHEAD_K="${1#--overhead-packages=}" ;;
        --seed) need_value $#; SEED="$2"; shift ;;
        --seed=*) SEED="${1#--seed=}" ;;
        --sdk-oci) need_value $#; SDK_OCI="$2"; shift ;;
        --sdk-oci=*) SDK_OCI="${1#--sdk-oci=}" ;;
        --keep) KEEP=1 ;;
        -h|--help) usage ;;
        -*) echo "bench_build.sh: unknown option $1" >&2; usage ;;
        *) if [ -z "$BINARY" ]; then BINARY="$1"; else SIZES+=("$1"); fi ;;
    esac
    shift
done
[ -n "$BINARY" ] || usage
case "$BINARY" in /*) ;; *) BINARY="$PWD/$BINARY" ;; esac
if [ ! -x "$BINARY" ]; then
    echo "bench_build.sh: $BINARY is not an executable" >&2
    exit 2
fi
for pair in "--runs:$RUNS" "--sandbox-runs:$SANDBOX_RUNS" "--overhead-packages:$OVERHEAD_K"; do
    if [ -n "${pair#*:}" ] && ! [[ "${pair#*:}" =~ ^[1-9][0-9]*$ ]]; then
        echo "bench_build.sh: ${pair%%:*} needs a positive number" >&2
        exit 2
    fi
done
if ! [[ "$SEED" =~ ^[0-9]+$ ]]; then
    echo "bench_build.sh: --seed needs a number" >&2
    exit 2
fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
GENERATOR="$HERE/generate_project.py"
[ -n "$SDK_OCI" ] || SDK_OCI="$REPO_ROOT/out/test-sdk/sample-sdk-oci"
case "$SDK_OCI" in /*) ;; *) SDK_OCI="$PWD/$SDK_OCI" ;; esac
if [ ! -f "$SDK_OCI/index.json" ]; then
    echo "bench_build.sh: no SDK image at $SDK_OCI (make it with the e2e SDK fixture or 'twoliter sdk create', or give --sdk-oci)" >&2
    exit 2
fi
if [ "$SMOKE" = 1 ]; then
    SIZES=(sample 10)
    RUNS=1
    SANDBOX_RUNS=1
    OVERHEAD_K=10
elif [ ${#SIZES[@]} -eq 0 ]; then
    SIZES=(sample 100 2000 5000)
fi
SANDBOX_RUNS=${SANDBOX_RUNS:-30}
OVERHEAD_K=${OVERHEAD_K:-20}
if [ "$OVERHEAD_K" -lt 10 ] || [ "$OVERHEAD_K" -gt 5000 ]; then
    echo "bench_build.sh: --overhead-packages must be between 10 and 5000" >&2
    exit 2
fi
HAVE_SAMPLE=0
for size in "${SIZES[@]}"; do
    if [ "$size" = sample ]; then
        HAVE_SAMPLE=1
    elif ! [[ "$size" =~ ^[0-9]+$ ]] || [ "$size" -lt 10 ] || [ "$size" -gt 5000 ]; then
        echo "bench_build.sh: size '$size' is neither 'sample' nor a package count (10..5000)" >&2
        exit 2
    fi
done
for tool in bwrap python3 unshare; do
    if ! command -v "$tool" >/dev/null; then
        echo "bench_build.sh: $tool is not installed" >&2
        exit 2
    fi
done
# The interpreter itself, not a shim (a pyenv shim costs tens of ms a call).
PYTHON=$(python3 -c 'import sys; print(sys.executable)') || exit 2
if ((BASH_VERSINFO[0] < 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] < 1))); then
    echo "bench_build.sh: needs bash 5.1 or later (EPOCHREALTIME, wait -n -p)" >&2
    exit 2
fi

WORK="$(mktemp -d /tmp/bench-build-XXXXXX)"
declare -a STARTED_PIDS=()
# shellcheck disable=SC2317  # called through the trap
cleanup() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
    if [ "$KEEP" = 1 ]; then
        echo "bench_build.sh: kept $WORK" >&2
    else
        rm -rf -- "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Run a private copy, so that a rebuild of the binary during the run cannot
# change or break what is measured.
ORIGINAL_BINARY="$BINARY"
BINARY="$WORK/twoliter"
if ! cp "$ORIGINAL_BINARY" "$BINARY" || ! "$BINARY" --version >/dev/null 2>&1; then
    echo "bench_build.sh: cannot run a copy of $ORIGINAL_BINARY" >&2
    exit 2
fi

FAILURES=0
declare -A FIGURE=()
declare -a EXPECTED=()
declare -a SANDBOX_TABLE=() OVERHEAD_TABLE=() COLD_TABLE=() NOOP_TABLE=()
# A cache (and project) left by a cold build that the no-op measurement of
# LABEL can start from, and "wall cpu rss" of that first build.
declare -A PRIMED=() PRIMED_FIRST=()


# figure NAME VALUE UNIT
figure() {
    FIGURE["$1"]="$2"
    echo "BENCH $1=$2 $3"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }
# per_package A B K: (A - B) / K, one decimal
per_package() { awk -v a="$1" -v b="$2" -v k="$3" 'BEGIN { printf "%.1f", (a - b) / k }'; }
mib() { awk -v k="${1:-0}" 'BEGIN { printf "%.1f", k / 1024 }'; }
# The figure, or "?" when it is missing.
f() { echo "${FIGURE[$1]:-?}"; }

# --- helpers written into the scratch folder -----------------------------------

# run.py RESULT CMD...: runs CMD as a child subreaper and writes
# "rc wall_ms own_cpu_ms own_maxrss_kib all_cpu_ms children method" to RESULT.
# own = CMD's process (and the children it waited for); all = every process
# below, reaped here when orphaned (bwrap's sandbox init is: bwrap reads its
# exit status from a pipe and exits without waiting for it). With
# --watch-children, "children" counts the distinct child processes seen in
# /proc while CMD runs (polled; method "proc-poll"), else it is "-".
cat >"$WORK/run.py" <<'PY'
import ctypes, os, resource, signal, sys, time
PR_SET_CHILD_SUBREAPER = 36
args = sys.argv[1:]
watch = args[0] == "--watch-children"
if watch:
    args = args[1:]
result, command = args[0], args[1:]
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
# Children reaped before this point (e.g. by a pyenv shim before it ran
# python) stay in RUSAGE_CHILDREN across exec: not ours.
before = resource.getrusage(resource.RUSAGE_CHILDREN)
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(command[0], command)
    finally:
        os._exit(127)
def forward(signum, frame):  # so that stopping the runner stops CMD
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
signal.signal(signal.SIGTERM, forward)
signal.signal(signal.SIGINT, forward)
seen = set()
own = None
while True:  # CMD, and the orphans reparented to this subreaper as they end
    try:
        done, code, usage = os.wait4(-1, os.WNOHANG if watch and own is None else 0)
    except ChildProcessError:
        break
    if done == pid:
        status, own = code, usage
        wall = (time.perf_counter() - start) * 1000
    elif done == 0:  # watching, nothing ended
        try:
            for task in os.listdir("/proc/%d/task" % pid):
                with open("/proc/%d/task/%s/children" % (pid, task)) as handle:
                    seen.update(handle.read().split())
        except OSError:
            pass
        time.sleep(0.0005)
every = resource.getrusage(resource.RUSAGE_CHILDREN)
rc = os.waitstatus_to_exitcode(status)
with open(result, "w") as handle:
    handle.write("%d %.1f %.0f %d %.0f %s %s\n" % (
        rc, wall, (own.ru_utime + own.ru_stime) * 1000, own.ru_maxrss,
        (every.ru_utime + every.ru_stime - before.ru_utime - before.ru_stime) * 1000,
        len(seen) if watch else "-", "proc-poll" if watch else "-"))
sys.exit(0)
PY

# plan.py TREE: the packages of a generated tree in build order, one line each:
# name, level, the packages it build-requires (comma-separated), the RPMs of
# its build root as name:main / name:devel (space-separated), a key of that set.
cat >"$WORK/plan.py" <<'PY'
import hashlib, os, re, sys
tree = sys.argv[1]
packages = {}
root = os.path.join(tree, "packages")
for name in sorted(os.listdir(root)):
    spec = os.path.join(root, name, name + ".spec")
    if not os.path.isfile(spec):
        continue
    text = open(spec, encoding="utf-8").read()
    preamble = text.split("%description", 1)[0]
    build = re.findall(r"^BuildRequires:\s*%\{_cross_os\}(\S+)-devel\s*$", preamble, re.M)
    runtime = re.findall(r"^Requires:\s*%\{_cross_os\}(\S+)\s*$", preamble, re.M)
    packages[name] = (build, runtime)
levels = {}
def level(name, path=()):
    if name not in levels:
        if name in path:
            sys.exit("plan.py: dependency cycle through " + name)
        deps = packages[name][0]
        levels[name] = 1 + max((level(d, path + (name,)) for d in deps), default=-1)
    return levels[name]
for name in sorted(packages, key=lambda n: (level(n), n)):
    build, _ = packages[name]
    mains, todo = set(), list(build)
    while todo:
        dep = todo.pop()
        if dep not in mains:
            mains.add(dep)
            todo.extend(packages[dep][1])
    items = sorted(["%s:main" % m for m in mains] + ["%s:devel" % d for d in set(build)])
    key = hashlib.sha256(" ".join(items).encode()).hexdigest()[:16] if items else "-"
    print("%s\t%d\t%s\t%s\t%s" % (name, levels[name], ",".join(sorted(set(build))) or "-",
                                  " ".join(items) or "-", key))
PY

# strace.py MODE FILE: reads "strace -f -o FILE" output.
#   processes: "child_processes threads execve_calls" (clone/clone3 without
#              CLONE_THREAD, fork and vfork count as child processes; the
#              execve of the traced command itself is not counted)
#   bwrap OUT: writes the argv of every bwrap execve (without argv[0]) to
#              OUT.1, OUT.2 ... NUL-separated; prints how many
cat >"$WORK/strace.py" <<'PY'
import re, sys
mode, path = sys.argv[1], sys.argv[2]
lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
call = re.compile(r"^(\d+)\s+(clone3?|fork|vfork|execve)\((.*)$")
if mode == "processes":
    processes = threads = execs = 0
    for line in lines:
        m = call.match(line)
        if not m:
            continue
        name, rest = m.group(2), m.group(3)
        if name == "execve":
            execs += 1
        elif name in ("fork", "vfork") or "CLONE_THREAD" not in rest:
            processes += 1
        else:
            threads += 1
    print(processes, threads, max(0, execs - 1))
elif mode == "bwrap":
    out, count = sys.argv[3], 0
    string = re.compile(r'"((?:[^"\\]|\\.)*)"')
    escapes = {"n": "\n", "t": "\t", "r": "\r", "v": "\v", "f": "\f", '"': '"', "\\": "\\"}
    def unescape(text):
        return re.sub(r"\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)", lambda e: (
            chr(int(e.group(1)[1:], 16)) if e.group(1)[0] == "x" else
            chr(int(e.group(1), 8)) if e.group(1)[0] in "01234567" else
            escapes.get(e.group(1), e.group(1))), text)
    for line in lines:
        m = call.match(line)
        if not m or m.group(2) != "execve" or '/bwrap", [' not in line:
            continue
        argv_text = m.group(3).split("[", 1)[1].rsplit("]", 1)[0]
        argv = [unescape(s) for s in string.findall(argv_text)]
        count += 1
        with open("%s.%d" % (out, count), "w", encoding="utf-8") as handle:
            handle.write("\0".join(argv[1:]) + "\0")
    print(count)
PY

# lib.sh: the sandbox command lines twoliter runs (mirrors
# buildsys/sandbox/sandbox.cpp, buildsys/build/package_builder.cpp and
# buildsys/build/build_root.cpp) and the by-hand build of a generated tree.
cat >"$WORK/lib.sh" <<'SH'
SOURCE_DATE_EPOCH_VALUE=1704067200  # twoliter's value outside a git checkout
PROCESS_ARGS=(--unshare-all --unshare-user --disable-userns --uid 0 --gid 0
              --die-with-parent --new-session --hostname builder --clearenv)
RPMBUILD_ARGS=(rpmbuild -bb --nodeps --load /usr/lib/rpm/platform/x86_64-bottlerocket/macros
               --undefine _auto_set_build_flags
               --define "_topdir /build/rpmbuild" --define "_sourcedir /build/SOURCES"
               --define "_target_cpu x86_64" --define "_buildhost builder"
               --define "use_source_date_epoch_as_buildtime 1"
               --define "clamp_mtime_to_source_date_epoch 1" --define "_build_id_links none")

# rootfs_scan ROOTFS: the rootfs's top-level entries in byte order (once per
# rootfs): RL_NAMES, and for each RL_LINK (a symlink's text) or "" for a
# folder or file to bind; other kinds, proc, dev and sys left out.
RL_ROOTFS=""
rootfs_scan() {
    local rootfs=$1 path name
    [ "$RL_ROOTFS" = "$rootfs" ] && return 0
    declare -ga RL_NAMES=()
    declare -gA RL_LINK=()
    for path in "$rootfs"/* "$rootfs"/.[!.]* "$rootfs"/..?*; do
        [ -e "$path" ] || [ -L "$path" ] || continue
        name=${path##*/}
        case "$name" in proc | dev | sys) continue ;; esac
        if [ -L "$path" ]; then
            RL_LINK[$name]=$(readlink "$path")
        elif [ -d "$path" ] || [ -f "$path" ]; then
            RL_LINK[$name]=""
        else
            continue
        fi
        RL_NAMES+=("$name")
    done
    RL_ROOTFS=$rootfs
}

# rootfs_layers ROOTFS REPLACED...: appends to SANDBOX_ARGS the rootfs's
# top-level entries: symlinks recreated, folders and files bound read-only;
# the REPLACED names (mount points of the sandbox's own mounts) left out.
rootfs_layers() {
    local rootfs=$1 name
    shift
    rootfs_scan "$rootfs"
    for name in "${RL_NAMES[@]}"; do
        case " $* " in *" $name "*) continue ;; esac
        if [ -n "${RL_LINK[$name]}" ]; then
            SANDBOX_ARGS+=(--symlink "${RL_LINK[$name]}" "/$name")
        else
            SANDBOX_ARGS+=(--ro-bind "$rootfs/$name" "/$name")
        fi
    done
}

# sandbox_rpmbuild_prefix ROOTFS WORK BUILDROOT: SANDBOX_ARGS up to and
# including "--", as twoliter runs rpmbuild (BUILDROOT "" for none).
sandbox_rpmbuild_prefix() {
    local rootfs=$1 work=$2 root=$3 name
    local -a replaced=(build tmp) mounts=()
    if [ -n "$root" ]; then
        for name in "$root"/*/; do
            name=${name%/}
            name=${name##*/}
            [ -d "$root/$name" ] && [ "$name" != var ] || continue
            replaced+=("$name")
            mounts+=(--ro-bind "$root/$name" "/$name")
        done
    fi
    SANDBOX_ARGS=("${PROCESS_ARGS[@]}" --setenv PATH /usr/bin:/usr/sbin:/bin:/sbin
                  --setenv HOME /build --setenv LANG C.UTF-8 --setenv TZ UTC
                  --setenv SOURCE_DATE_EPOCH "$SOURCE_DATE_EPOCH_VALUE")
    rootfs_layers "$rootfs" "${replaced[@]}"
    SANDBOX_ARGS+=(--proc /proc --dev /dev "${mounts[@]}" --bind "$work" /build
                   --tmpfs /tmp --tmpfs /var/tmp --remount-ro / --chdir /build --)
}

# sandbox_rpmbuild_args ROOTFS WORK BUILDROOT SPEC_FILE_NAME
sandbox_rpmbuild_args() {
    sandbox_rpmbuild_prefix "$1" "$2" "$3"
    SANDBOX_ARGS+=("${RPMBUILD_ARGS[@]}" "/build/SOURCES/$4")
}

# sandbox_install_args ROOTFS TARGET NAME=PATH...: twoliter's build root
# install (rpm -i of the RPMs, sorted by name, into TARGET).
sandbox_install_args() {
    local rootfs=$1 target=$2 pair
    shift 2
    local -a binds=() files=()
    while IFS= read -r pair; do
        binds+=(--ro-bind "${pair#*=}" "/rpms/${pair%%=*}")
        files+=("/rpms/${pair%%=*}")
    done < <(printf '%s\n' "$@" | sort)
    SANDBOX_ARGS=("${PROCESS_ARGS[@]}" --setenv PATH /usr/bin:/usr/sbin:/bin:/sbin
                  --setenv LANG C.UTF-8 --setenv TZ UTC)
    rootfs_layers "$rootfs" buildroot rpms tmp
    SANDBOX_ARGS+=(--proc /proc --dev /dev --bind "$target" /buildroot --tmpfs /rpms --tmpfs /tmp
                   "${binds[@]}" --tmpfs /var/tmp --remount-ro / --chdir / --
                   rpm --root /buildroot --dbpath /var/lib/rpm -i --nodeps --ignorearch
                   --noscripts --nosignature --nodigest "${files[@]}")
}

# load_hand_plan PLAN_FILE: the output of plan.py.
load_hand_plan() {
    declare -gA HAND_DEPS=() HAND_ROOT=() HAND_KEY=()
    declare -ga HAND_ORDER=()
    local name level deps items key
    while IFS=$'\t' read -r name level deps items key; do
        HAND_ORDER+=("$name")
        HAND_DEPS[$name]=${deps//,/ }
        HAND_ROOT[$name]=$items
        HAND_KEY[$name]=$key
    done <"$1"
    rootfs_scan "$ROOTFS"
}

# hand_build_one PACKAGE: what twoliter does for a package, by hand. Needs
# ROOTFS, TREE, HAND_DIR and the loaded plan; output under $HAND_DIR/out.
hand_build_one() {
    local pkg=$1 work="$HAND_DIR/work/$1" log="$HAND_DIR/logs/$1.log" root="" item dep tmp file
    local -a rpms=() found
    mkdir -p "$work/SOURCES" "$work/rpmbuild" "$HAND_DIR/out/$pkg" || return 1
    cp -p "$TREE/packages/$pkg"/* "$work/SOURCES/" || return 1
    if [ "${HAND_KEY[$pkg]}" != - ]; then
        root="$HAND_DIR/roots/${HAND_KEY[$pkg]}"
        if [ ! -d "$root" ]; then
            for item in ${HAND_ROOT[$pkg]}; do
                dep=${item%:*}
                if [ "${item#*:}" = devel ]; then
                    found=("$HAND_DIR/out/$dep/bottlerocket-$dep-devel-"*.rpm)
                else
                    found=("$HAND_DIR/out/$dep/bottlerocket-$dep-"[0-9]*.rpm)
                fi
                file=${found[0]}
                [ -f "$file" ] || { echo "no RPM for $item" >>"$log"; return 1; }
                rpms+=("${file##*/}=$file")
            done
            tmp="$root.tmp-$BASHPID"
            mkdir -p "$tmp" || return 1
            sandbox_install_args "$ROOTFS" "$tmp" "${rpms[@]}"
            if ! bwrap "${SANDBOX_ARGS[@]}" </dev/null >>"$log" 2>&1; then
                rm -rf "$tmp"
                return 1
            fi
            mv -T "$tmp" "$root" 2>/dev/null || rm -rf "$tmp"  # made by the other job
        fi
    fi
    sandbox_rpmbuild_args "$ROOTFS" "$work" "$root" "$pkg.spec"
    bwrap "${SANDBOX_ARGS[@]}" </dev/null >>"$log" 2>&1 || return 1
    mv "$work"/rpmbuild/RPMS/*/*.rpm "$HAND_DIR/out/$pkg/" || return 1
    rm -rf "$work"
}

# hand_build_all JOBS: every package of the plan, at most JOBS at a time, each
# started once the packages it build-requires are built. A job leaves its exit
# status in $HAND_DIR/status/PACKAGE ("wait -n -p" can miss a job that ended
# before it was called).
hand_build_all() {
    local jobs=$1 failed=0 index ready pkg dep rc
    local -A built=() running=()
    local -a pending=("${HAND_ORDER[@]}")
    mkdir -p "$HAND_DIR/work" "$HAND_DIR/logs" "$HAND_DIR/roots" "$HAND_DIR/out" "$HAND_DIR/status"
    while [ ${#pending[@]} -gt 0 ] || [ ${#running[@]} -gt 0 ]; do
        while [ ${#running[@]} -lt "$jobs" ] && [ "$failed" = 0 ]; do
            ready=""
            for index in "${!pending[@]}"; do
                ready=$index
                for dep in ${HAND_DEPS[${pending[$index]}]}; do
                    [ "$dep" = - ] || [ -n "${built[$dep]:-}" ] || { ready=""; break; }
                done
                [ -n "$ready" ] && break
            done
            [ -n "$ready" ] || break
            pkg=${pending[$ready]}
            unset "pending[$ready]"
            if [ "$jobs" = 1 ]; then
                hand_build_one "$pkg" || { echo "by hand: $pkg failed" >&2; return 1; }
                built[$pkg]=1
                continue
            fi
            (hand_build_one "$pkg"; echo $? >"$HAND_DIR/status/$pkg") &
            running[$pkg]=1
        done
        [ ${#running[@]} -gt 0 ] || break
        wait -n 2>/dev/null
        for pkg in "${!running[@]}"; do
            [ -f "$HAND_DIR/status/$pkg" ] || continue
            rc=""
            read -r rc <"$HAND_DIR/status/$pkg"
            [ -n "$rc" ] || continue  # being written: the job is still ending
            unset "running[$pkg]"
            if [ "$rc" = 0 ]; then built[$pkg]=1; else echo "by hand: $pkg failed" >&2; failed=1; fi
        done
    done
    wait
    [ "$failed" = 0 ] && [ ${#pending[@]} = 0 ]
}
SH
# shellcheck source=/dev/null
source "$WORK/lib.sh"

# --- running things --------------------------------------------------------------

# run_once OUT ERR CMD...: sets LAST_RC, LAST_MS (wall), LAST_OWN_CPU_MS,
# LAST_RSS (KiB, of CMD's process), LAST_CPU_MS (every process below).
run_once() {
    local out=$1 err=$2 result="$WORK/run.result"
    shift 2
    rm -f "$result"
    "$PYTHON" "$WORK/run.py" "$result" "$@" >"$out" 2>"$err"
    read -r LAST_RC LAST_MS LAST_OWN_CPU_MS LAST_RSS LAST_CPU_MS _ _ <"$result" 2>/dev/null ||
        LAST_RC=255
}

# tl PROJECT CACHE ARGS...: the twoliter command line, in TL.
tl() { TL=("$BINARY" --project-path "$1" --cache-dir "$2" "${@:3}"); }

# fresh_cache PROJECT CACHE: a new cache holding only the SDK (hard links to
# the one imported at the start), pinned in the project's Twoliter.lock; the
# project's build outputs removed.
fresh_cache() {
    local project=$1 cache=$2
    rm -rf -- "$cache"
    mkdir -p "$cache" && cp -al "$SDK_CACHE/sdk" "$cache/sdk" || return 1
    "$BINARY" --project-path "$project" --cache-dir "$cache" sdk import "$SDK_OCI" \
        >"$WORK/import.out" 2>&1 || { cat "$WORK/import.out" >&2; return 1; }
    "$BINARY" --project-path "$project" --cache-dir "$cache" clean >/dev/null 2>&1 || return 1
}

# build_ok PROJECT: the last build succeeded, according to its summary.
build_ok() {
    "$PYTHON" - "$1/build/state/x86_64/last-build.json" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
sys.exit(0 if summary.get("succeeded") else 1)
PY
}

# counts_of PROJECT: "built cached" of the last build's summary
counts_of() {
    "$PYTHON" - "$1/build/state/x86_64/last-build.json" <<'PY'
import json, sys
states = [p["state"] for p in json.load(open(sys.argv[1]))["packages"]]
print(states.count("built"), states.count("cached"))
PY
}

# generated_tree SIZE: makes $WORK/nSIZE (with the all-bench-1 variant) once.
generated_tree() {
    local size=$1 tree="$WORK/n$1"
    [ -f "$tree/.bench-generated" ] && return 0
    log "n$size: generating $size packages (seed $SEED)"
    if ! "$PYTHON" "$GENERATOR" --out "$tree" --packages "$size" --seed "$SEED" --all-variant \
            --quiet 2>"$WORK/n$size.gen.err"; then
        fail "n$size: generate_project.py: $(tail -n 3 "$WORK/n$size.gen.err")"
        return 1
    fi
}

# --- 0. the SDK ------------------------------------------------------------------

log "twoliter: $ORIGINAL_BINARY ($("$BINARY" --version 2>&1 | head -n 1)); $(nproc) CPUs; $(bwrap --version); scratch $WORK"
figure host.cpus "$(nproc)" count
figure host.loadavg_1min "$(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo 0)" load
SDK_CACHE="$WORK/sdk-cache"
mkdir -p "$WORK/sdk-project"
cp "$REPO_ROOT/Twoliter.toml" "$WORK/sdk-project/" || exit 2
log "importing the SDK image $SDK_OCI"
run_once "$WORK/import.out" "$WORK/import.err" \
    "$BINARY" --project-path "$WORK/sdk-project" --cache-dir "$SDK_CACHE" sdk import "$SDK_OCI"
if [ "$LAST_RC" != 0 ]; then
    echo "bench_build.sh: sdk import failed: $(tail -n 3 "$WORK/import.err")" >&2
    exit 1
fi
figure sdk.import.wall_ms "$LAST_MS" ms
EXPECTED+=(sdk.import.wall_ms)
ROOTFS=$(echo "$SDK_CACHE"/sdk/*/rootfs)
if [ ! -d "$ROOTFS" ] || [ ! -x "$ROOTFS/usr/bin/rpmbuild" ]; then
    echo "bench_build.sh: no SDK rootfs with rpmbuild under $SDK_CACHE/sdk" >&2
    exit 1
fi
# BENCH_NO_STRACE=1 makes it do without strace (for testing the fallbacks).
HAVE_STRACE=0
[ "${BENCH_NO_STRACE:-}" != 1 ] && command -v strace >/dev/null && HAVE_STRACE=1

# --- 1. sandbox start ------------------------------------------------------------

bench_sandbox() {
    local runs=$SANDBOX_RUNS i kind t0 t1 empty="$WORK/sandbox-build"
    local -a direct=() unshared=() minimal=() full=()
    local -a minimal_args=(--unshare-all --unshare-user --ro-bind / / --dev /dev --proc /proc)
    mkdir -p "$empty"
    sandbox_rpmbuild_prefix "$ROOTFS" "$empty" ""
    local -a full_args=("${SANDBOX_ARGS[@]}")
    log "sandbox start: $runs runs each of true directly, by unshare -n, by bwrap (namespaces only, twoliter's layout)"
    # One untimed round first, then the kinds interleaved run by run.
    for ((i = 0; i <= runs; i++)); do
        for kind in direct unshared minimal full; do
            t0=$EPOCHREALTIME
            case $kind in
                direct) /usr/bin/true ;;
                unshared) unshare -n /usr/bin/true ;;
                minimal) bwrap "${minimal_args[@]}" /usr/bin/true ;;
                full) bwrap "${full_args[@]}" true </dev/null ;;
            esac
            local rc=$?
            t1=$EPOCHREALTIME
            if [ "$rc" != 0 ]; then
                fail "sandbox start: $kind exited $rc"
                return 1
            fi
            [ "$i" = 0 ] && continue
            local ms
            ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) * 1000 }')
            case $kind in
                direct) direct+=("$ms") ;; unshared) unshared+=("$ms") ;;
                minimal) minimal+=("$ms") ;; full) full+=("$ms") ;;
            esac
        done
    done
    figure sandbox.runs "$runs" count
    figure sandbox.true_direct.ms "$(median "${direct[@]}")" ms
    figure sandbox.unshare_n.ms "$(median "${unshared[@]}")" ms
    figure sandbox.bwrap_minimal.ms "$(median "${minimal[@]}")" ms
    figure sandbox.bwrap_twoliter.ms "$(median "${full[@]}")" ms
    figure sandbox.bwrap_twoliter.max_ms "$(maximum "${full[@]}")" ms
    figure sandbox.bwrap_twoliter.vs_direct "$(ratio "$(f sandbox.bwrap_twoliter.ms)" "$(f sandbox.true_direct.ms)")" x
    figure sandbox.bwrap_twoliter.vs_unshare "$(ratio "$(f sandbox.bwrap_twoliter.ms)" "$(f sandbox.unshare_n.ms)")" x
    figure sandbox.bwrap_twoliter.binds "$(printf '%s\n' "${full_args[@]}" | grep -c -e '^--ro-bind$' -e '^--bind$' -e '^--symlink$' -e '^--tmpfs$')" count
    local row
    for row in "true directly:true_direct" "unshare -n true:unshare_n" \
               "bwrap, namespaces only:bwrap_minimal" "bwrap, twoliter's layout:bwrap_twoliter"; do
        SANDBOX_TABLE+=("$(printf '%-28s %10s %6s %10s' "${row%%:*}" "$(f "sandbox.${row#*:}.ms")" "$runs" \
            "$(ratio "$(f "sandbox.${row#*:}.ms")" "$(f sandbox.true_direct.ms)")x")")
    done
}
EXPECTED+=(sandbox.true_direct.ms sandbox.unshare_n.ms sandbox.bwrap_minimal.ms
           sandbox.bwrap_twoliter.ms sandbox.bwrap_twoliter.vs_direct sandbox.bwrap_twoliter.vs_unshare)
bench_sandbox

# layout_check TREE PACKAGE: builds PACKAGE (and what its build needs) under
# strace and compares every bwrap command line twoliter ran with the one
# lib.sh makes from the same paths.
layout_check() {
    local tree=$1 pkg=$2 cache="$WORK/layout-cache" count i rootfs kind match=1 mismatches=0
    if [ "$HAVE_STRACE" = 0 ]; then
        log "layout check skipped: no strace"
        return 0
    fi
    fresh_cache "$tree" "$cache" || { fail "layout check: cannot prepare a cache"; return 1; }
    log "layout check: twoliter build package $pkg under strace"
    tl "$tree" "$cache" -j1 build package "$pkg"
    strace -f -qq -s 65536 -v -e trace=execve -o "$WORK/layout.strace" "${TL[@]}" \
        >"$WORK/layout.out" 2>&1
    local rc=$?
    if [ "$rc" != 0 ]; then
        fail "layout check: twoliter build package $pkg exited $rc: $(tail -n 3 "$WORK/layout.out")"
        return 1
    fi
    count=$("$PYTHON" "$WORK/strace.py" bwrap "$WORK/layout.strace" "$WORK/layout.argv")
    rootfs=$(echo "$cache"/sdk/*/rootfs)
    for ((i = 1; i <= count; i++)); do
        local -a argv=() rpms=()
        mapfile -d '' -t argv <"$WORK/layout.argv.$i"
        local work="" root="" target="" spec="" j
        for ((j = 0; j < ${#argv[@]}; j++)); do
            case "${argv[j]}" in
                --bind)
                    [ "${argv[j+2]}" = /build ] && work=${argv[j+1]}
                    [ "${argv[j+2]}" = /buildroot ] && target=${argv[j+1]} ;;
                --ro-bind)
                    case "${argv[j+1]}" in "$cache"/build-roots/*) root=${argv[j+1]%/*} ;; esac
                    case "${argv[j+2]}" in /rpms/*) rpms+=("${argv[j+2]#/rpms/}=${argv[j+1]}") ;; esac ;;
            esac
        done
        spec=${argv[${#argv[@]}-1]##*/}
        if [ -n "$target" ]; then
            kind="rpm -i"
            sandbox_install_args "$rootfs" "$target" "${rpms[@]}"
        else
            kind="rpmbuild"
            # The build root is gone from the file system only if the build failed.
            sandbox_rpmbuild_args "$rootfs" "$work" "$root" "$spec"
        fi
        if [ "${SANDBOX_ARGS[*]}" != "${argv[*]}" ]; then
            match=0
            mismatches=$((mismatches + 1))
            log "layout check: the $kind command line differs from twoliter's:"
            diff <(printf '%s\n' "${argv[@]}") <(printf '%s\n' "${SANDBOX_ARGS[@]}") | head -n 20 >&2
        fi
    done
    if [ "$count" = 0 ]; then
        fail "layout check: no bwrap command line found in the strace output"
        return 1
    fi
    figure sandbox.layout_checked "$count" count
    figure sandbox.layout_matches "$match" bool
    [ "$match" = 1 ] || log "WARNING: the sandbox command lines of this benchmark no longer match twoliter's ($mismatches of $count); update lib.sh in bench_build.sh"
}

# --- 2. per-package overhead -----------------------------------------------------

bench_overhead() {
    local k=$OVERHEAD_K tree="$WORK/n$OVERHEAD_K" runs=${RUNS:-3} r jobs mode label
    generated_tree "$k" || return 1
    "$PYTHON" "$WORK/plan.py" "$tree" >"$WORK/overhead.plan" || { fail "overhead: plan.py failed"; return 1; }
    load_hand_plan "$WORK/overhead.plan"
    local roots
    roots=$(cut -f 5 "$WORK/overhead.plan" | grep -v '^-$' | sort -u | wc -l)
    figure overhead.packages "$k" count
    figure overhead.build_roots "$roots" count
    # The first package that needs a build root, for the layout check.
    layout_check "$tree" "$(awk -F '\t' '$5 != "-" { print $1; exit }' "$WORK/overhead.plan")"

    local -A o_walls=() o_cpus=() o_owns=() o_rsses=()
    local cache="$WORK/overhead-cache"
    log "overhead: $k packages ($roots build roots), twoliter -j1/-j2 vs by hand sequential/2 at a time, $runs run(s) each"
    for ((r = 1; r <= runs; r++)); do
        for jobs in 1 2; do
            # twoliter, cold
            label="j$jobs.twoliter"
            if ! fresh_cache "$tree" "$cache"; then fail "overhead: cannot prepare a cache"; return 1; fi
            tl "$tree" "$cache" -j"$jobs" build variant all-bench-1 --packages-only
            run_once "$WORK/overhead.$label.$r.out" "$WORK/overhead.$label.$r.err" "${TL[@]}"
            if [ "$LAST_RC" != 0 ] || ! build_ok "$tree"; then
                fail "overhead: twoliter -j$jobs exited $LAST_RC: $(tail -n 3 "$WORK/overhead.$label.$r.err")"
                return 1
            fi
            local counts
            counts=$(counts_of "$tree")
            if [ "$counts" != "$k 0" ]; then
                fail "overhead: twoliter -j$jobs built/cached $counts, expected $k 0"
                return 1
            fi
            o_walls[$label]+=" $LAST_MS"; o_cpus[$label]+=" $LAST_CPU_MS"
            o_owns[$label]+=" $LAST_OWN_CPU_MS"; o_rsses[$label]+=" $LAST_RSS"
            # The last -j2 build is the first build of the no-op measurement.
            PRIMED_FIRST["noop.n$k"]="$LAST_MS $LAST_CPU_MS $LAST_RSS"
            log "overhead: run $r: twoliter -j$jobs ${LAST_MS} ms"
            # by hand
            label="j$jobs.by_hand"
            local hand="$WORK/hand"
            rm -rf -- "$hand"
            # shellcheck disable=SC2016  # expanded by the inner bash
            run_once "$WORK/overhead.$label.$r.out" "$WORK/overhead.$label.$r.err" \
                env TREE="$tree" ROOTFS="$ROOTFS" HAND_DIR="$hand" bash -c \
                'source "$1"; load_hand_plan "$2" && hand_build_all "$3"' _ \
                "$WORK/lib.sh" "$WORK/overhead.plan" "$jobs"
            if [ "$LAST_RC" != 0 ]; then
                fail "overhead: by hand ($jobs at a time) exited $LAST_RC: $(tail -n 3 "$WORK/overhead.$label.$r.err") (logs: $hand/logs)"
                return 1
            fi
            o_walls[$label]+=" $LAST_MS"; o_cpus[$label]+=" $LAST_CPU_MS"
            log "overhead: run $r: by hand, $jobs at a time ${LAST_MS} ms"
        done
    done
    # Same RPMs? (name and content; informative)
    local same=0 total=0 rpm
    while IFS= read -r rpm; do
        total=$((total + 1))
        local mine="$hand/out/${rpm#"$tree"/build/rpms/}"
        cmp -s "$rpm" "$mine" && same=$((same + 1))
    done < <(find "$tree/build/rpms" -name '*.rpm' | sort)
    figure overhead.rpms "$total" count
    figure overhead.rpms_identical_to_by_hand "$same" count
    local hand_roots
    hand_roots=$(find "$hand/roots" -mindepth 1 -maxdepth 1 -type d | wc -l)
    local tw_roots
    tw_roots=$(find "$cache/build-roots" -mindepth 1 -maxdepth 1 -type d | wc -l)
    [ "$hand_roots" = "$tw_roots" ] || log "WARNING: by hand made $hand_roots build roots, twoliter $tw_roots"

    for jobs in 1 2; do
        local tw="j$jobs.twoliter" bh="j$jobs.by_hand"
        # shellcheck disable=SC2086  # the lists are space-separated numbers
        {
            figure "overhead.$tw.wall_ms" "$(median ${o_walls[$tw]})" ms
            figure "overhead.$tw.cpu_ms" "$(median ${o_cpus[$tw]})" ms
            figure "overhead.$tw.twoliter_cpu_ms" "$(median ${o_owns[$tw]})" ms
            figure "overhead.$tw.peak_rss_kib" "$(maximum ${o_rsses[$tw]})" KiB
            figure "overhead.$bh.wall_ms" "$(median ${o_walls[$bh]})" ms
            figure "overhead.$bh.cpu_ms" "$(median ${o_cpus[$bh]})" ms
        }
        figure "overhead.j$jobs.per_package_ms" \
            "$(per_package "$(f "overhead.$tw.wall_ms")" "$(f "overhead.$bh.wall_ms")" "$k")" ms
        figure "overhead.j$jobs.cpu_per_package_ms" \
            "$(per_package "$(f "overhead.$tw.cpu_ms")" "$(f "overhead.$bh.cpu_ms")" "$k")" ms
        figure "overhead.j$jobs.vs_by_hand" "$(ratio "$(f "overhead.$tw.wall_ms")" "$(f "overhead.$bh.wall_ms")")" x
        mode=$([ "$jobs" = 1 ] && echo "-j1 / sequential" || echo "-j2 / 2 at a time")
        OVERHEAD_TABLE+=("$(printf '%-18s %6s %11s %11s %12s %9s %10s %10s %13s %9s' "$mode" "$k" \
            "$(f "overhead.$tw.wall_ms")" "$(f "overhead.$bh.wall_ms")" "$(f "overhead.j$jobs.per_package_ms")" \
            "$(f "overhead.j$jobs.vs_by_hand")x" "$(f "overhead.$tw.cpu_ms")" "$(f "overhead.$bh.cpu_ms")" \
            "$(f "overhead.j$jobs.cpu_per_package_ms")" "$(mib "$(f "overhead.$tw.peak_rss_kib")")")")
    done
    figure overhead.runs "$runs" count
    PRIMED["noop.n$k"]=$cache
}
EXPECTED+=(overhead.packages overhead.build_roots overhead.rpms overhead.rpms_identical_to_by_hand)
for jobs in 1 2; do
    EXPECTED+=("overhead.j$jobs.twoliter.wall_ms" "overhead.j$jobs.twoliter.cpu_ms"
               "overhead.j$jobs.twoliter.peak_rss_kib" "overhead.j$jobs.by_hand.wall_ms"
               "overhead.j$jobs.by_hand.cpu_ms" "overhead.j$jobs.per_package_ms"
               "overhead.j$jobs.cpu_per_package_ms" "overhead.j$jobs.vs_by_hand")
done
[ "$HAVE_STRACE" = 1 ] && EXPECTED+=(sandbox.layout_matches)
bench_overhead

# --- 3. cold builds of the sample --------------------------------------------------

# cold_build LABEL PROJECT VARIANTS...: builds the variants (--packages-only)
# one after the other into a fresh cache, then "build package" for any
# package left; sets C_WALL, C_CPU, C_OWN, C_RSS (sums; RSS the largest) and
# C_BUILT (packages built).
cold_build() {
    local label=$1 project=$2 cache="$WORK/$1.cache" variant pkg i=0 built
    shift 2
    C_WALL=0 C_CPU=0 C_OWN=0 C_RSS=0 C_BUILT=0
    fresh_cache "$project" "$cache" || { fail "$label: cannot prepare a cache"; return 1; }
    local -a steps=()
    for variant in "$@"; do steps+=("variant $variant --packages-only"); done
    [ "${COLD_ALL:-0}" = 1 ] && steps+=("leftover")
    local step
    for step in "${steps[@]}"; do
        local -a commands=()
        if [ "$step" = leftover ]; then
            for pkg in "$project"/packages/*/; do
                pkg=${pkg%/}
                pkg=${pkg##*/}
                [ -n "$(find "$project/packages/$pkg" -maxdepth 1 -name '*.spec' -print -quit)" ] || continue
                [ -d "$project/build/rpms/$pkg" ] || commands+=("package $pkg")
            done
        else
            commands=("$step")
        fi
        local command
        for command in "${commands[@]}"; do
            i=$((i + 1))
            local -a words
            read -ra words <<<"$command"
            tl "$project" "$cache" -j2 build "${words[@]}"
            run_once "$WORK/$label.$i.out" "$WORK/$label.$i.err" "${TL[@]}"
            if [ "$LAST_RC" != 0 ] || ! build_ok "$project"; then
                fail "$label: build $command exited $LAST_RC: $(tail -n 3 "$WORK/$label.$i.err")"
                return 1
            fi
            read -r built _ < <(counts_of "$project")
            C_BUILT=$((C_BUILT + built))
            C_WALL=$(awk -v a="$C_WALL" -v b="$LAST_MS" 'BEGIN { printf "%.1f", a + b }')
            C_CPU=$((C_CPU + LAST_CPU_MS))
            C_OWN=$((C_OWN + LAST_OWN_CPU_MS))
            [ "$LAST_RSS" -gt "$C_RSS" ] && C_RSS=$LAST_RSS
        done
    done
}

bench_cold_sample() {
    local project="$WORK/sample" runs=${RUNS:-3} r which label
    local -a variants=()
    local v
    for v in "$project"/variants/*/Cargo.toml; do v=${v%/Cargo.toml}; variants+=("${v##*/}"); done
    local specs
    specs=$(find "$project/packages" -mindepth 2 -maxdepth 2 -name '*.spec' | wc -l)
    # aws-k8s-1.31 last: its last build is the first build of the no-op measurement.
    for which in all aws-k8s-1.31; do
        label=cold.sample_aws_k8s
        [ "$which" = all ] && label=cold.sample_all
        local -a walls=() cpus=() owns=() rsses=() builts=()
        log "$label: $runs run(s)"
        for ((r = 1; r <= runs; r++)); do
            if [ "$which" = all ]; then
                COLD_ALL=1 cold_build "$label" "$project" "${variants[@]}" || return 1
            else
                COLD_ALL=0 cold_build "$label" "$project" aws-k8s-1.31 || return 1
            fi
            walls+=("$C_WALL"); cpus+=("$C_CPU"); owns+=("$C_OWN"); rsses+=("$C_RSS"); builts+=("$C_BUILT")
            log "$label: run $r: $C_BUILT packages in $C_WALL ms"
        done
        if [ "$which" != all ]; then
            PRIMED[noop.sample]="$WORK/$label.cache"
            PRIMED_FIRST[noop.sample]="$C_WALL $C_CPU $C_RSS"
        fi
        figure "$label.packages" "${builts[0]}" count
        figure "$label.wall_ms" "$(median "${walls[@]}")" ms
        figure "$label.cpu_ms" "$(median "${cpus[@]}")" ms
        figure "$label.twoliter_cpu_ms" "$(median "${owns[@]}")" ms
        figure "$label.peak_rss_kib" "$(maximum "${rsses[@]}")" KiB
        figure "$label.runs" "$runs" count
        if [ "$which" = all ] && [ "${builts[0]}" != "$specs" ]; then
            fail "$label: built ${builts[0]} packages, the sample has $specs"
        fi
        local what="aws-k8s-1.31"
        [ "$which" = all ] && what="all (${#variants[@]} variants)"
        COLD_TABLE+=("$(printf '%-26s %8s %10s %10s %13s %12s %5s' "$what" "$(f "$label.packages")" \
            "$(f "$label.wall_ms")" "$(f "$label.cpu_ms")" "$(f "$label.twoliter_cpu_ms")" \
            "$(mib "$(f "$label.peak_rss_kib")")" "$runs")")
        EXPECTED+=("$label.packages" "$label.wall_ms" "$label.cpu_ms" "$label.twoliter_cpu_ms" "$label.peak_rss_kib")
    done
}

if [ "$HAVE_SAMPLE" = 1 ]; then
    if copy_sample "$WORK/sample"; then
        bench_cold_sample
    else
        fail "sample: cannot copy the sample project"
    fi
fi

# --- 4. no-op builds ---------------------------------------------------------------

# prime LABEL PROJECT CACHE VARIANT: the first (cold) build, its progress
# printed every 10 s when it takes long.
prime() {
    local label=$1 project=$2 cache=$3 variant=$4 pid last=""
    fresh_cache "$project" "$cache" || { fail "$label: cannot prepare a cache"; return 1; }
    log "$label: first build of $variant"
    tl "$project" "$cache" -j2 build variant "$variant" --packages-only
    rm -f "$WORK/run.result"
    "$PYTHON" "$WORK/run.py" "$WORK/run.result" "${TL[@]}" \
        >"$WORK/$label.prime.out" 2>"$WORK/$label.prime.err" &
    pid=$!
    STARTED_PIDS+=("$pid")
    local waited=0
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        waited=$((waited + 1))
        if [ $((waited % 10)) = 0 ]; then
            last=$(grep -o '^\[[0-9]*/[0-9]*\]' "$WORK/$label.prime.err" 2>/dev/null | tail -n 1)
            log "$label: first build: ${last:-starting} after ${waited}s"
        fi
    done
    wait "$pid"
    read -r LAST_RC LAST_MS LAST_OWN_CPU_MS LAST_RSS LAST_CPU_MS _ _ <"$WORK/run.result" 2>/dev/null ||
        LAST_RC=255
    if [ "$LAST_RC" != 0 ] || ! build_ok "$project"; then
        fail "$label: first build exited $LAST_RC: $(tail -n 3 "$WORK/$label.prime.err")"
        return 1
    fi
    figure "$label.first_build.wall_ms" "$LAST_MS" ms
    figure "$label.first_build.cpu_ms" "$LAST_CPU_MS" ms
    figure "$label.first_build.peak_rss_kib" "$LAST_RSS" KiB
}

bench_noop() {
    local label=$1 project=$2 variant=$3 runs=$4 cache="$WORK/$1.cache" r
    local -a walls=() cpus=() owns=() rsses=()
    if [ -n "${PRIMED[$label]:-}" ]; then
        local first_wall first_cpu first_rss
        cache=${PRIMED[$label]}
        read -r first_wall first_cpu first_rss <<<"${PRIMED_FIRST[$label]}"
        log "$label: the first build is the last cold build measured above"
        figure "$label.first_build.wall_ms" "$first_wall" ms
        figure "$label.first_build.cpu_ms" "$first_cpu" ms
        figure "$label.first_build.peak_rss_kib" "$first_rss" KiB
    else
        prime "$label" "$project" "$cache" "$variant" || return 1
    fi
    local packages
    read -r packages _ < <(counts_of "$project")
    figure "$label.packages" "$packages" count
    log "$label: no-op build of $variant ($packages packages), $runs run(s)"
    tl "$project" "$cache" -j2 build variant "$variant" --packages-only
    for ((r = 1; r <= runs; r++)); do
        run_once "$WORK/$label.$r.out" "$WORK/$label.$r.err" "${TL[@]}"
        if [ "$LAST_RC" != 0 ]; then
            fail "$label: no-op build exited $LAST_RC: $(tail -n 3 "$WORK/$label.$r.err")"
            return 1
        fi
        if ! grep -q 'nothing to do' "$WORK/$label.$r.err" "$WORK/$label.$r.out"; then
            fail "$label: the second build was not a no-op: $(tail -n 2 "$WORK/$label.$r.err")"
            return 1
        fi
        walls+=("$LAST_MS"); cpus+=("$LAST_CPU_MS"); owns+=("$LAST_OWN_CPU_MS"); rsses+=("$LAST_RSS")
    done
    figure "$label.wall_ms" "$(median "${walls[@]}")" ms
    figure "$label.cpu_ms" "$(median "${cpus[@]}")" ms
    figure "$label.twoliter_cpu_ms" "$(median "${owns[@]}")" ms
    figure "$label.peak_rss_kib" "$(maximum "${rsses[@]}")" KiB
    figure "$label.runs" "$runs" count
    # Child processes of a no-op run.
    local children threads execs method
    if [ "$HAVE_STRACE" = 1 ]; then
        method=strace
        strace -f -qq -o "$WORK/$label.strace" -e trace=execve,clone,clone3,fork,vfork "${TL[@]}" \
            >"$WORK/$label.strace.out" 2>&1 || { fail "$label: the no-op build under strace failed"; return 1; }
        read -r children threads execs < <("$PYTHON" "$WORK/strace.py" processes "$WORK/$label.strace")
        if [ "$children" != 0 ]; then
            log "$label: child processes of the no-op build (from strace):"
            grep -E '^[0-9]+ +execve\(' "$WORK/$label.strace" | tail -n +2 | cut -c 1-160 | head -n 5 >&2
        fi
    else
        method=proc-poll
        "$PYTHON" "$WORK/run.py" --watch-children "$WORK/$label.watch" "${TL[@]}" >/dev/null 2>&1
        read -r _ _ _ _ _ children _ <"$WORK/$label.watch"
        threads=- execs=-
    fi
    figure "$label.child_processes" "$children" count
    if [ "$method" = strace ]; then
        figure "$label.threads" "$threads" count
        figure "$label.execve" "$execs" count
    fi
    NOOP_TABLE+=("$(printf '%-8s %-14s %8s %10s %8s %13s %12s %5s %9s %8s  %s' "${label#noop.}" "$variant" \
        "$(f "$label.packages")" "$(f "$label.wall_ms")" "$(f "$label.cpu_ms")" "$(f "$label.twoliter_cpu_ms")" \
        "$(mib "$(f "$label.peak_rss_kib")")" "$runs" "$children" "$threads" "$method")")
}

for size in "${SIZES[@]}"; do
    if [ "$size" = sample ]; then
        label=noop.sample
        project="$WORK/sample"
        variant=aws-k8s-1.31
        runs=${RUNS:-10}
        [ -d "$project" ] || continue
    else
        label="noop.n$size"
        project="$WORK/n$size"
        variant=all-bench-1
        runs=${RUNS:-10}
        [ -z "$RUNS" ] && [ "$size" -gt 1000 ] && runs=5
        generated_tree "$size" || continue
    fi
    EXPECTED+=("$label.first_build.wall_ms" "$label.packages" "$label.wall_ms" "$label.cpu_ms"
               "$label.peak_rss_kib" "$label.child_processes")
    bench_noop "$label" "$project" "$variant" "$runs"
done

# --- report ------------------------------------------------------------------------

echo
echo "twoliter build benchmark ($(nproc) CPUs, load $(f host.loadavg_1min) at start; medians; cpu = user+sys of every process, sandboxed ones included)"
echo
echo "1. sandbox start (ms per run of /usr/bin/true)"
printf '%-28s %10s %6s %10s\n' how ms_per_run runs vs_direct
for row in "${SANDBOX_TABLE[@]}"; do echo "$row"; done
if [ -n "${FIGURE[sandbox.layout_matches]:-}" ]; then
    echo "layout checked against $(f sandbox.layout_checked) bwrap command lines of twoliter (strace): $([ "$(f sandbox.layout_matches)" = 1 ] && echo same || echo DIFFERENT)"
fi
echo
echo "2. per-package overhead: $(f overhead.packages) packages, $(f overhead.build_roots) build roots, cold; by hand = the same bwrap command lines from a shell"
printf '%-18s %6s %11s %11s %12s %9s %10s %10s %13s %9s\n' mode pkgs twoliter_ms by_hand_ms diff_ms/pkg ratio tl_cpu_ms hand_cpu_ms cpu_diff/pkg rss_MiB
for row in "${OVERHEAD_TABLE[@]}"; do echo "$row"; done
echo "RPMs byte-identical to twoliter's: $(f overhead.rpms_identical_to_by_hand) of $(f overhead.rpms)"
if [ ${#COLD_TABLE[@]} -gt 0 ]; then
    echo
    echo "3. cold builds of the sample (-j2, fresh cache with the SDK)"
    printf '%-26s %8s %10s %10s %13s %12s %5s\n' target packages wall_ms cpu_ms twoliter_cpu peak_rss_MiB runs
    for row in "${COLD_TABLE[@]}"; do echo "$row"; done
fi
echo
echo "4. no-op builds (-j2, everything cached)"
printf '%-8s %-14s %8s %10s %8s %13s %12s %5s %9s %8s  %s\n' tree variant packages wall_ms cpu_ms twoliter_cpu peak_rss_MiB runs children threads checked_by
for row in "${NOOP_TABLE[@]}"; do echo "$row"; done
first_builds=""
for size in "${SIZES[@]}"; do
    l="noop.$([ "$size" = sample ] && echo sample || echo "n$size")"
    [ -n "${FIGURE[$l.first_build.wall_ms]:-}" ] &&
        first_builds+=" ${l#noop.}: $(f "$l.packages") packages in $(f "$l.first_build.wall_ms") ms (cpu $(f "$l.first_build.cpu_ms") ms);"
done
echo "first (cold) builds:${first_builds%;}"

# budget NAME FIGURE LIMIT: a row of the budget table (never fails the run);
# LIMIT "0" means none at all.
budget() {
    local name=$1 value=$2 limit=$3 status shown
    shown=$([ "$limit" = 0 ] && echo "0" || echo "< $limit")
    if [ "$value" = "?" ]; then
        status="not measured"
    else
        status=$(awk -v v="$value" -v l="$limit" 'BEGIN { print ((l == 0) ? (v == 0) : (v < l)) ? "ok" : "MISSED" }')
    fi
    printf '%-42s %12s %10s  %s\n' "$name" "$value" "$shown" "$status"
}
echo
echo "DESIGN.md §9 budgets$([ "$SMOKE" = 1 ] && echo " (smoke run: one run each, not meaningful)")"
printf '%-42s %12s %10s  %s\n' budget measured limit status
[ -n "${FIGURE[noop.sample.wall_ms]:-}" ] && budget "no-op sample, ms" "$(f noop.sample.wall_ms)" 100
[ -n "${FIGURE[noop.sample.child_processes]:-}" ] && budget "no-op sample, child processes" "$(f noop.sample.child_processes)" 0
if [ -n "${FIGURE[noop.n2000.wall_ms]:-}" ]; then
    budget "no-op 2000 packages, ms" "$(f noop.n2000.wall_ms)" 300
    budget "peak RSS, 2000-package no-op (plan), MiB" "$(mib "$(f noop.n2000.peak_rss_kib)")" 300
fi
budget "sandbox start, ms" "$(f sandbox.bwrap_twoliter.ms)" 50
budget "per-package overhead -j1, ms" "$(f overhead.j1.per_package_ms)" 200
budget "per-package overhead -j2, ms" "$(f overhead.j2.per_package_ms)" 200

# Every expected figure must be there and be a number.
for name in "${EXPECTED[@]}"; do
    value="${FIGURE[$name]:-}"
    if ! [[ "$value" =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; then
        fail "figure $name is missing"
    fi
done
if [ "$FAILURES" != 0 ]; then
    echo "bench_build.sh: $FAILURES failure(s)" >&2
    exit 1
fi
exit 0
