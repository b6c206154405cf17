#!/usr/bin/env bash
# End to end: TUF update repositories from the sample project's metal-dev
# update parts. The repository is built, validated, served on 127.0.0.1 by
# python3's http.server and read by a standard TUF client, tuf-js (the
# client sigstore-js uses, from the npm registry, run with node), from the
# trusted root.json; then `twoliter repo validate` and tuf-js each refuse a
# target whose bytes changed, metadata signed by a wrong key, signatures
# below the threshold, an expired timestamp and a rolled-back timestamp.
# Without node/npm or the npm registry the tuf-js checks are skipped with a
# message and the script exits 77 (ctest: SKIP_RETURN_CODE 77) after the
# other checks.
# Usage: tuf_repo.sh TWOLITER SOURCE_DIR SDK_CACHE
TWOLITER=$(realpath "$1")
SOURCE_DIR=$(realpath "$2")
SDK_CACHE=$(realpath "$3")
source "$(dirname "$0")/lib.sh"
TUF_JS_VERSION=3.1.0
work=$(mktemp -d)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

project=$work/project
sample_project "$project" "$work/cache"
repo() { tl "$project" "$work/cache" repo "$@"; }
# fails DESCRIPTION TEXT COMMAND...: passes when COMMAND fails saying TEXT.
fails() {
    local description=$1 text=$2
    shift 2
    if "$@" >"$work/out" 2>&1; then
        fail "$description (it succeeded)"
    elif grep -q -- "$text" "$work/out"; then
        pass
    else
        fail "$description: '$text' not in: $(cat "$work/out")"
    fi
}

# tuf-js, installed into the work folder (needs the npm registry).
client_ready=false
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "SKIP tuf-js checks: node and npm are not installed (apt-get install nodejs npm)"
elif ! npm install --prefix "$work/tuf-js" --no-audit --no-fund --loglevel=error \
    "tuf-js@$TUF_JS_VERSION" >"$work/npm.log" 2>&1; then
    echo "SKIP tuf-js checks: npm could not install tuf-js@$TUF_JS_VERSION (is the npm registry reachable?): $(grep -v '^npm error *$' "$work/npm.log" | head -3 | tr '\n' ' ')"
else
    client_ready=true
fi
# client NAME REPO TARGET...: tuf-js refreshes from the served REPO with the
# local metadata folder client-NAME (root.json of roles/<repo>.root.json the
# first time) and downloads the targets into downloads-NAME.
client() {
    local name=$1 base=$2 root=$3
    shift 3
    mkdir -p "$work/client-$name" "$work/downloads-$name"
    [ -f "$work/client-$name/root.json" ] || cp "$root" "$work/client-$name/root.json"
    NODE_PATH=$work/tuf-js/node_modules node "$SOURCE_DIR/tests/data/tuf/tuf_client.js" \
        "$url/$base/metal-dev/x86_64/" "$url/$base/targets/" "$work/client-$name" \
        "$work/downloads-$name" "$@"
}
# client_check and client_refuses run only when tuf-js is installed.
client_check() {
    $client_ready || return 0
    local description=$1
    shift
    check "$description" client "$@"
}
client_refuses() {
    $client_ready || return 0
    fails "tuf-js refuses $1" "$2" client "${@:3}"
}

# The variant's update parts.
tl "$project" "$work/cache" build variant metal-dev >"$work/build.out" 2>"$work/build.err" ||
    { cat "$work/build.err"; exit 1; }
images=$project/build/images/x86_64-metal-dev/latest
prefix=$(basename "$(find "$images/" -maxdepth 1 -type f -name '*-boot.ext4.zst')" -boot.ext4.zst)
check "the variant has its update parts" test -s "$images/$prefix-root.verity.zst"

# Keys: never made without being asked.
fails "repo create without a root role explains what to do" "repo init" repo create metal-dev
fails "repo init without keys asks for --generate-root-key" "--generate-root-key" repo init
check "repo init --generate-root-key makes a development root role" \
    repo init --generate-root-key
root=$project/roles/default.root.json
check "... and key" test -s "$project/keys/default.pem"
check "... with upstream's RSA key" grep -q '"keytype": "rsa"' "$root"

# The repository.
start=$(date -u +%Y-%m-%dT%H:%M:%SZ)
check "repo create builds the repository" repo create metal-dev --release-start-time "$start"
built=$project/build/repos/default/latest
metadata=$built/metal-dev/x86_64
check "it is linked as latest" test -L "$project/build/repos/default/latest"
check "its metadata uses consistent snapshots" sh -c "ls '$metadata' | grep -q '^[0-9]*\.snapshot\.json$'"
check "its targets are named by their sha256" \
    test -f "$built/targets/$(sha256sum <"$images/$prefix-root.ext4.zst" | cut -d' ' -f1).$prefix-root.ext4.zst"
check "repo validate accepts it" repo validate metal-dev
check "check-expirations passes with 3 days left" repo check-expirations metal-dev
fails "check-expirations reports the timestamp expiring within 8 days" "timestamp expires at" \
    repo check-expirations metal-dev --expiration-limit "8 days"
manifest=$(ls "$built"/targets/*.manifest.json)
check "manifest.json lists the update with upstream's waves" python3 - "$manifest" "$prefix" "$start" <<'PY'
import json, sys, datetime
manifest, prefix, start = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
update = manifest["updates"][0]
begin = datetime.datetime.strptime(start, "%Y-%m-%dT%H:%M:%SZ")
first = datetime.datetime.strptime(update["waves"]["0"], "%Y-%m-%dT%H:%M:%SZ")
assert (update["variant"], update["arch"], update["version"], update["max_version"]) == \
    ("metal-dev", "x86_64", "1.0.0", "1.0.0"), update
assert update["images"] == {"boot": prefix + "-boot.ext4.zst", "root": prefix + "-root.ext4.zst",
                            "hash": prefix + "-root.verity.zst"}, update["images"]
assert list(update["waves"]) == ["0", "20", "102", "307", "819", "1228", "1843"], update["waves"]
assert first - begin == datetime.timedelta(hours=1), (first, begin)
assert manifest["migrations"] == {"(0.9.0, 1.0.0)": []}, manifest["migrations"]
PY

# Served on loopback; each case is a folder of the served tree.
www=$work/www
mkdir -p "$www"
cp -r "$built/." "$www/good"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$www" && exec python3 -m http.server --bind 127.0.0.1 "$port") >"$work/http.log" 2>&1 &
server_pid=$!
url=http://127.0.0.1:$port
for _ in $(seq 50); do
    python3 -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1])" "$url/good/metal-dev/x86_64/timestamp.json" 2>/dev/null && break
    sleep 0.1
done

check "repo validate reads it over HTTP, every target" \
    repo validate metal-dev --from "$url/good" --state-dir "$work/validate-state"
client_check "tuf-js downloads and verifies manifest.json and the update parts" \
    main good "$root" manifest.json "$prefix-boot.ext4.zst" "$prefix-root.verity.zst"
if $client_ready; then
    check "... the boot part is the image's" cmp "$work/downloads-main/$prefix-boot.ext4.zst" "$images/$prefix-boot.ext4.zst"
    check "... and manifest.json the repository's" cmp "$work/downloads-main/manifest.json" "$manifest"
fi

# Tampering 1: a target whose bytes changed.
cp -r "$built/." "$www/changed"
boot=$(ls "$www/changed"/targets/*."$prefix-boot.ext4.zst")
python3 -c "import sys; f=open(sys.argv[1], 'r+b'); f.seek(100); b=f.read(1); f.seek(100); f.write(bytes([b[0] ^ 1]))" "$boot"
fails "repo validate refuses a changed target" "boot.ext4.zst: sha256" \
    repo validate metal-dev --from "$url/changed"
client_refuses "a changed target" "Expected hash" changed changed "$root" "$prefix-boot.ext4.zst"

# Tampering 2: metadata signed by a key the root does not trust (a second
# root role and key, the repository built with them, read with the first).
check "a second root role for another repository" repo init --repo other --generate-root-key --key-type ed25519
check "... signs the same update" repo create metal-dev --repo other --outdir "$www/wrong-key"
fails "repo validate refuses metadata signed by a wrong key" "has 0 valid signature(s)" \
    repo validate metal-dev --from "$url/wrong-key" --root-role "$root"
client_refuses "metadata signed by a wrong key" "timestamp was signed by 0/1 keys" wrong-key wrong-key "$root" manifest.json

# Tampering 3: below the threshold. A root role needing 2 of an ed25519 and an
# ECDSA key (from openssl) for targets, snapshot and timestamp.
openssl genpkey -algorithm ed25519 -out "$work/ed25519.pem" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$work/ecdsa.pem" 2>/dev/null
printf '[repo.pair]\npub_key_threshold = 2\n' >"$project/Infra.toml"
check "repo init makes a root role over two keys with threshold 2" \
    repo init --repo pair --signing-key "$work/ed25519.pem" --signing-key "$work/ecdsa.pem"
pair_root=$project/roles/pair.root.json
fails "repo create refuses one key where two are needed" "hold 1 of the 2 keys" \
    repo create metal-dev --repo pair --signing-key "$work/ed25519.pem" --outdir "$work/one-key"
check "repo create signs with both" repo create metal-dev --repo pair --outdir "$www/pair" \
    --signing-key "$work/ed25519.pem" --signing-key "$work/ecdsa.pem"
check "repo validate accepts ed25519 and ECDSA signatures" \
    repo validate metal-dev --from "$url/pair" --root-role "$pair_root"
client_check "tuf-js accepts ed25519 and ECDSA signatures" pair pair "$pair_root" manifest.json
cp -r "$www/pair" "$www/below"
python3 - "$www/below/metal-dev/x86_64/timestamp.json" <<'PY'
import json, sys
path = sys.argv[1]
document = json.load(open(path))
document["signatures"] = document["signatures"][:1]
json.dump(document, open(path, "w"), indent=2)
PY
fails "repo validate refuses signatures below the threshold" "threshold is 2" \
    repo validate metal-dev --from "$url/below" --root-role "$pair_root"
client_refuses "signatures below the threshold" "timestamp was signed by 1/2 keys" below below "$pair_root" manifest.json

# Tampering 4: an expired timestamp (released 8 days ago: 1 week expiry).
eight_days_ago=$(date -u -d '8 days ago' +%Y-%m-%dT%H:%M:%SZ)
check "repo create accepts a start time in the past" \
    repo create metal-dev --release-start-time "$eight_days_ago" --outdir "$www/expired"
fails "repo validate refuses an expired timestamp" "timestamp metadata expired" \
    repo validate metal-dev --from "$url/expired"
fails "check-expirations reports it" "timestamp expired at" \
    repo check-expirations metal-dev --from "$url/expired"
client_refuses "an expired timestamp" "timestamp.json is expired" expired expired "$root" manifest.json

# Tampering 5: a rolled-back timestamp. The served repository is refreshed
# (higher versions, which the validator and the client then trust), then
# its old timestamp.json, still validly signed, is served again.
cp "$www/good/metal-dev/x86_64/timestamp.json" "$work/old-timestamp.json"
old_version=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['signed']['version'])" "$work/old-timestamp.json")
check "repo refresh re-signs the repository in place" repo refresh metal-dev --from "$www/good"
new_version=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['signed']['version'])" "$www/good/metal-dev/x86_64/timestamp.json")
check "... with a higher version" test "$new_version" -gt "$old_version"
check "repo validate accepts the refreshed repository" \
    repo validate metal-dev --from "$url/good" --state-dir "$work/validate-state"
client_check "tuf-js accepts the refreshed repository" main good "$root" manifest.json
cp "$work/old-timestamp.json" "$www/good/metal-dev/x86_64/timestamp.json"
fails "repo validate refuses the rolled-back timestamp" "is lower than the version $new_version trusted before" \
    repo validate metal-dev --from "$url/good" --state-dir "$work/validate-state"
client_refuses "the rolled-back timestamp" "New timestamp version $old_version is less than current version $new_version" main good "$root" manifest.json

# Extending: the next release of metal-dev added to the repository.
sed -i 's/^version = "1.0.0"/version = "1.0.1"/' "$project/Release.toml"
sed -i 's/^release-version = "1.0.0"/release-version = "1.0.1"/' "$project/Twoliter.toml"
printf '"(1.0.0, 1.0.1)" = []\n' >>"$project/Release.toml"
tl "$project" "$work/cache" build variant metal-dev >/dev/null 2>"$work/build2.err" ||
    { cat "$work/build2.err"; exit 1; }
check "repo create --extend adds 1.0.1 to the 1.0.0 repository" \
    repo create metal-dev --extend "$built"
extended=$project/build/repos/default/latest
check "... in a folder of its own" sh -c "readlink '$extended' | grep -q 1.0.1"
check "repo validate accepts it" repo validate metal-dev
check "... which keeps 1.0.0's targets and lists both updates" python3 - "$extended" <<'PY'
import glob, json, sys
repo = sys.argv[1]
manifest = json.load(open(glob.glob(repo + "/targets/*.manifest.json")[0]))
versions = [(u["version"], u["max_version"]) for u in manifest["updates"]]
assert versions == [("1.0.0", "1.0.1"), ("1.0.1", "1.0.1")], versions
assert sorted(manifest["migrations"]) == ["(0.9.0, 1.0.0)", "(1.0.0, 1.0.1)"], manifest["migrations"]
assert len(glob.glob(repo + "/targets/*-1.0.0-*")) == 3 and len(glob.glob(repo + "/targets/*-1.0.1-*")) == 3
PY
cp -r "$extended/." "$www/extended"
client_check "tuf-js reads the extended repository" extended extended "$root" manifest.json "$prefix-root.ext4.zst"

# Key sources other than files are refused clearly.
printf '[repo.kms]\nsigning_keys = { kms = { key_id = "alias/k" } }\n' >"$project/Infra.toml"
fails "a KMS key source is not supported yet" "kms key sources are not supported yet" \
    repo create metal-dev --repo kms --generate-root-key

finish || exit 1
if ! $client_ready; then
    echo "tuf-js checks were skipped (see SKIP above)"
    exit 77
fi
