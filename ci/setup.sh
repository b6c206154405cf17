#!/usr/bin/env bash
# Installs everything twoliter needs to build and to run its tests, from
# Debian 12 packages. Run as root (or through sudo).
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then exec sudo "$0" "$@"; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
    build-essential cmake ninja-build ccache pkgconf git ca-certificates python3 time \
    librpm-dev rpm libgit2-dev libsolv-dev libsolvext-dev libsolv-tools libssl-dev \
    libtoml11-dev libcli11-dev catch2 createrepo-c libcreaterepo-c-dev libcurl4-openssl-dev \
    bubblewrap mmdebstrap uidmap zstd docker-registry openssl strace \
    libgpgme-dev gnupg dnf gdisk cryptsetup-bin lz4 liblz4-dev libzstd-dev zlib1g-dev jq \
    e2fsprogs erofs-utils dosfstools mtools faketime grub-efi-amd64-bin grub-pc-bin grub-common \
    qemu-utils qemu-system-x86 ovmf clang libclang-rt-14-dev
# The TUF client test runs tuf-js on node. Debian's nodejs needs Debian's
# npm; a nodejs that bundles npm (e.g. NodeSource's) conflicts with it. Without
# them the test skips its client checks and says so.
if ! command -v npm >/dev/null 2>&1; then
    apt-get install -y --no-install-recommends nodejs npm ||
        echo "setup: nodejs/npm not installed; the TUF client checks will be skipped" >&2
fi
