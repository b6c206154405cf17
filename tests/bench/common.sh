# Shared by the benchmark scripts: usage and option checks, logging, failure
# counting, statistics and the copy of the sample project. Sourcing it only
# defines functions; set REPO_ROOT and FAILURES before calling them.

log() { echo "bench: $*" >&2; }

# usage: the comment at the top of the running script (its second line to the
# first blank line) on standard error; exits 2.
usage() {
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
    exit 2
}

# need_value COUNT: the option being parsed has a value (COUNT is "$#" where
# the option is "$1"), else usage.
need_value() { [ "$1" -ge 2 ] || usage; }

fail() {
    log "FAILED: $*"
    FAILURES=$((FAILURES + 1))
}

# median VALUES...: one decimal; fails on no values.
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {if (NR == 0) exit 1; if (NR % 2) printf "%.1f", v[(NR+1)/2]; else printf "%.1f", (v[NR/2] + v[NR/2+1]) / 2}'; }
maximum() { printf '%s\n' "$@" | sort -g | tail -n 1; }

# copy_sample DEST: the project files of the sample at the repository root.
copy_sample() {
    local dest="$1" entry
    mkdir -p "$dest"
    for entry in Twoliter.toml Twoliter.lock Release.toml Infra.toml Cargo.toml \
                 packages variants kits sdk lookaside sbkeys; do
        if [ -e "$REPO_ROOT/$entry" ]; then cp -a "$REPO_ROOT/$entry" "$dest/" || return 1; fi
    done
}
