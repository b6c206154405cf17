#!/usr/bin/env bash
# End to end: kits through a registry on loopback (Debian's docker-registry,
# started here). The sample project builds its core-kit (signed repository
# and signed RPMs), dnf installs from that repository with the signature
# checked, the kit is published; a second project (tests/data/kit-consumer)
# resolves it with `update`, fetches and verifies it, and builds a package
# against the kit's RPMs; tampering is refused.
# Usage: kit_registry.sh TWOLITER SOURCE_DIR SDK_CACHE
source "$(dirname "$0")/lib.sh"
e2e_arguments "$@"
work=$(mktemp -d)
registry_pid=""
cleanup() {
    [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null
    gpgconf --homedir "$work/gnupg" --kill all 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

start_registry "$work" || exit 1
registry="127.0.0.1:$registry_port"

# The vendor's signing key, and a stranger's.
mkdir -m 700 "$work/gnupg"
export GNUPGHOME=$work/gnupg
for who in vendor stranger; do
    gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key "$who <$who@example.invalid>" ed25519 sign 1y 2>/dev/null
    gpg --batch --armor --export-secret-keys "$who" >"$work/$who.sec.asc"
    gpg --batch --armor --export "$who" >"$work/$who.pub.asc"
done
gpgconf --homedir "$work/gnupg" --kill all
unset GNUPGHOME

# The producer: the sample project, publishing to the loopback registry.
producer=$work/producer
copy_sample_project "$producer"
sed -i "s|^registry = \"localhost:5000/sample\"|registry = \"$registry/sample\"|" "$producer/Twoliter.toml"
printf '\n[signing]\nkey = "%s"\nsign-rpms = true\n' "$work/vendor.sec.asc" >>"$producer/Twoliter.toml"
tl "$producer" "$work/cache" sdk import "$SDK_CACHE/sample-sdk-oci" >/dev/null 2>&1
check "the SDK image is pushed" \
    tl "$producer" "$work/cache" sdk push "$registry/sample/sample-sdk:v0.1.0" --layout "$SDK_CACHE/sample-sdk-oci"

tar=$(tl "$producer" "$work/cache" build kit core-kit 2>"$work/build-kit.log")
check "build kit core-kit succeeds" test -f "$tar"
kitrepo=$producer/build/kits/core-kit/x86_64
check "the kit repository is signed" test -s "$kitrepo/repodata/repomd.xml.asc"
check "the kit holds the packages' RPMs" test -f "$(ls "$kitrepo"/Packages/runc/bottlerocket-runc-1.1.14-*.x86_64.rpm)"
check "debuginfo is left out" test -z "$(find "$kitrepo/Packages" -name '*-debuginfo-*')"
rpm --root "$work/rpmkeys" --dbpath /rpmdb --import "$work/vendor.pub.asc"
check "the kit's RPMs are signed by the vendor key" \
    rpmkeys --root "$work/rpmkeys" --dbpath /rpmdb -K "$kitrepo"/Packages/runc/*.rpm
first_tar=$(sha256sum <"$tar")
tl "$producer" "$work/cache" build kit core-kit >/dev/null 2>"$work/rebuild-kit.log"
check "a second kit build reads no RPM again" grep -q "(0 read" "$work/rebuild-kit.log"
check "and gives the same image tar" test "$(sha256sum <"$tar")" = "$first_tar"

# A real client: dnf installs from the kit repository, checking its signature.
cat >"$work/kit.repo" <<EOF
[core-kit]
name=core-kit
baseurl=file://$kitrepo
gpgcheck=1
repo_gpgcheck=1
gpgkey=file://$work/vendor.pub.asc
EOF
dnf_install() {  # dnf_install REPO_FILE INSTALLROOT PACKAGE
    dnf -y -q --installroot="$2" --releasever=1 --forcearch=x86_64 \
        --setopt=reposdir="$(dirname "$1")/repos.d" --setopt=cachedir="$2-cache" \
        --setopt=install_weak_deps=False --setopt=tsflags=noscripts install "$3"
}
mkdir -p "$work/repos.d" && cp "$work/kit.repo" "$work/repos.d/"
check "dnf installs runc from the kit with its dependencies" \
    dnf_install "$work/kit.repo" "$work/root" bottlerocket-runc
check "libseccomp came with it" \
    rpm --root "$work/root" --dbpath /root/.rpmdb -q bottlerocket-libseccomp
sed -i "s|vendor.pub.asc|stranger.pub.asc|" "$work/repos.d/kit.repo"
if dnf_install "$work/kit.repo" "$work/root2" bottlerocket-runc >/dev/null 2>&1; then
    fail "dnf refuses the kit when it trusts another key"
else pass; fi

published=$(tl "$producer" "$work/cache" publish kit core-kit sample 2>"$work/publish.log")
check "publish kit pushes the index" grep -q "^$registry/sample/core-kit:v1.0.0@sha256:" <<<"$published"

# The consumer: resolves, fetches, verifies and builds against the kit.
consumer=$work/consumer
cp -r "$SOURCE_DIR/tests/data/kit-consumer" "$consumer"
sed -i "s|REGISTRY|$registry|" "$consumer/Twoliter.toml"
sed -i "s|^registry = \"$registry/sample\"|&\nsigning-key = \"$work/vendor.pub.asc\"|" "$consumer/Twoliter.toml"
check "update writes Twoliter.lock" tl "$consumer" "$work/cache2" update
check "the lock pins the kit" grep -q "source = \"$registry/sample/core-kit:v1.0.0\"" "$consumer/Twoliter.lock"
check "the lock pins the SDK" grep -q "source = \"$registry/sample/sample-sdk:v0.1.0\"" "$consumer/Twoliter.lock"
check "the SDK is pulled by the locked digest" tl "$consumer" "$work/cache2" sdk pull
check "fetch unpacks and verifies the kit" tl "$consumer" "$work/cache2" fetch
fetched=$consumer/build/external-kits/sample/core-kit/x86_64
check "the fetched kit has its repository" test -f "$fetched/repodata/repomd.xml"
check "seccomp-probe builds against the kit's libseccomp" \
    tl "$consumer" "$work/cache2" build variant probe-dev --packages-only
check "its RPM is there" test -f "$(ls "$consumer"/build/rpms/seccomp-probe/bottlerocket-seccomp-probe-0.1-1.x86_64.rpm)"

# Offline: everything the lock pins is here, so no registry is needed.
kill "$registry_pid" && wait "$registry_pid" 2>/dev/null
registry_pid=""
check "fetch works offline once fetched" tl "$consumer" "$work/cache2" fetch
tl "$consumer" "$work/cache2" build variant probe-dev --packages-only 2>"$work/noop.log"
check "a second build is a no-op, offline" grep -q "nothing to do" "$work/noop.log"

# Tampering with the fetched kit, or trusting another key, is refused.
victim=$(ls "$fetched"/Packages/libseccomp/bottlerocket-libseccomp-devel-*.rpm)
printf 'x' | dd of="$victim" bs=1 seek=2000 conv=notrunc 2>/dev/null
rm "$fetched/.verified"
output=$(tl "$consumer" "$work/cache2" fetch 2>&1)
check "a tampered RPM is refused by name" grep -q "bottlerocket-libseccomp-devel" <<<"$output"
check "and the kit folder is gone" test ! -e "$fetched"
output=$(tl "$consumer" "$work/cache2" build package seccomp-probe 2>&1)
check "a build without the kit says why (registry down)" grep -q "cannot reach registry" <<<"$output"
finish
