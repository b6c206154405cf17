# Helpers of the reliability scripts (crash_safety.sh, disk_full.sh,
# concurrency.sh). Source it after lib.sh.

# "path sha256" (or "path -> target" for a link) of every output of project
# $1: RPMs, image artifacts and links, the kit repository and archive.
# The repository's .repodata-cache (an XML cache whose content depends on
# history) is left out. Sorted.
build_outputs() {
    (cd "$1/build" && find rpms images kits \( -type f -o -type l \) -not -name .repodata-cache 2>/dev/null |
        sort | while read -r path; do
        if [ -L "$path" ]; then
            echo "$path -> $(readlink "$path")"
        else
            echo "$path $(sha256sum <"$path" | cut -d' ' -f1)"
        fi
    done)
}

# Whether every content store entry of cache $1 (cas/<xx>/<sha256>) hashes to
# its name; prints the others. Temporary names a killed run left are not
# entries and are skipped.
cas_intact() {
    python3 - "$1/cas" <<'PY'
import hashlib, os, sys
root, bad = sys.argv[1], 0
for folder in sorted(os.listdir(root) if os.path.isdir(root) else []):
    for name in sorted(os.listdir(os.path.join(root, folder))):
        if ".tmp-" in name:
            continue
        path = os.path.join(root, folder, name)
        with open(path, "rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest() if hasattr(hashlib, "file_digest") \
                else hashlib.sha256(f.read()).hexdigest()
        if digest != name or folder != name[:2]:
            print("corrupt cache entry:", path)
            bad += 1
sys.exit(1 if bad else 0)
PY
}

# Empties cache $1 but for its SDK images.
cache_without_builds() {
    find "$1" -mindepth 1 -maxdepth 1 ! -name sdk -exec rm -rf {} +
}

# The variant and the kit the reliability scripts build.
reliability_variant=metal-dev
reliability_kit=core-kit

# Builds the variant (packages and image), then the kit, of project $1 with
# cache $2. Standard error is appended to $work/builds.log; when a build
# fails, its standard error is printed too.
build_variant_and_kit() {
    local log=$work/last-build.log status=0
    tl "$1" "$2" -j2 build variant "$reliability_variant" >/dev/null 2>"$log" &&
        tl "$1" "$2" build kit "$reliability_kit" >/dev/null 2>>"$log" || status=$?
    cat "$log" >>"$work/builds.log"
    [ "$status" -ne 0 ] || return 0
    echo "a build of $1 failed; free space there: $(df --output=avail -h "$1" | tail -1)," \
        "the last lines of its standard error:"
    tail -n 12 "$log" | cut -c1-400 | sed 's/^/  | /'
    return 1
}

# Whether the output lists $1 and $2 (of build_outputs) are the same; when
# not, prints how many lines differ and the first few of them.
same_outputs() {
    local differences
    differences=$(diff "$1" "$2" | grep '^[<>]')
    [ -z "$differences" ] && return 0
    echo "$(wc -l <<<"$differences") lines differ between $(basename "$1") and $(basename "$2"); the first:"
    head -n 4 <<<"$differences" | cut -c1-160 | sed 's/^/  | /'
    return 1
}
