#!/usr/bin/env bash
# Benchmarks variant image assembly from cached RPMs against the same tools
# run by hand, in sequence, on the same RPMs, in one run.
#
# usage: bench_image.sh [--smoke] [--runs N] [--variant V] [--root-mib N] [--sdk-oci DIR] [--keep]
#                       TWOLITER_BINARY
#
#   --variant V  the sample variant (default aws-k8s-1.31: split plan, raw, A/B)
#   --root-mib N  add a package of about N MiB (copies of the SDK's /usr/lib and
#                /usr/share: real binaries and data) to the variant, for a root
#                the size DESIGN.md's budget speaks of (~1 GiB; the 2 GiB plan's
#                ROOT partition holds up to about 800); default 0, the sample as it is
#   --runs N     timed runs of each side (default 3)
#   --smoke      one run of each side; fails when a command fails or a figure is
#                missing, never on how long anything took (for the test suite)
#   --sdk-oci DIR  the SDK image to import (default: out/test-sdk/sample-sdk-oci)
#   --keep       keep the scratch folder
#
# twoliter: `build variant V` with its packages cached and a new kernel
# parameter each run (so the image is assembled, nothing else runs).
# By hand, with the host's tools (the same Debian 12 versions as the SDK's):
# rpm -i --root of the same RPMs; faketime mkfs.ext4 -d + resize2fs -M for
# ROOT and BOOT; veritysetup format; grub-mkimage; mkfs.vfat + mcopy;
# mkfs.ext4 for PRIVATE and DATA; sgdisk for the GPT; dd of each partition;
# zstd -T2 of the OS and data images and the three update parts.
# Prints "BENCH name=value unit" lines and the ratio (budget, DESIGN.md §9:
# within 1.2x of the tools by hand).

set -u -o pipefail
export LC_ALL=C
REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FAILURES=0
source "$REPO_ROOT/tests/bench/common.sh"

SMOKE=0 RUNS=3 VARIANT=aws-k8s-1.31 KEEP=0 BINARY="" ROOT_MIB=0
SDK_OCI=$REPO_ROOT/out/test-sdk/sample-sdk-oci
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) SMOKE=1; RUNS=1 ;;
        --runs) need_value $#; RUNS=$2; shift ;;
        --variant) need_value $#; VARIANT=$2; shift ;;
        --root-mib) need_value $#; ROOT_MIB=$2; shift ;;
        --sdk-oci) need_value $#; SDK_OCI=$2; shift ;;
        --keep) KEEP=1 ;;
        -*) usage ;;
        *) BINARY=$(realpath "$1") ;;
    esac
    shift
done
[ -n "$BINARY" ] || usage
work=$(mktemp -d /tmp/bench-image.XXXXXX)
[ "$KEEP" = 1 ] || trap 'rm -rf "$work"' EXIT

now_ms() { date +%s%3N; }
tl() { "$BINARY" --project-path "$work/project" --cache-dir "$work/cache" "$@"; }

copy_sample "$work/project" || fail "copying the sample"
cargo=$work/project/variants/$VARIANT/Cargo.toml

# add_bulk_package MIB: packages/bench-bulk, about MIB MiB of the SDK's own
# files, included in the variant. The RPM is built once (first build).
add_bulk_package() {
    local package=$work/project/packages/bench-bulk
    mkdir -p "$package"
    cat >"$package/Cargo.toml" <<'TOML'
[package]
name = "bench-bulk"
version = "0.1.0"
edition = "2021"
publish = false
build = "../build.rs"

[lib]
path = "../packages.rs"

[package.metadata.build-package]
TOML
    cat >"$package/bench-bulk.spec" <<SPEC
%global debug_package %{nil}
%global __spec_install_post %{nil}
%global _build_id_links none
%global _binary_payload w1.gzdio

Name: %{_cross_os}bench-bulk
Version: 1.0
Release: 1%{?dist}
Summary: Bulk files for the image benchmark
License: MIT
AutoReqProv: no

%description
%{summary}.

%prep
%setup -T -c

%build

%install
target=%{buildroot}%{_cross_datadir}/bench-bulk
mkdir -p "\$target"
copy=0
while [ "\$(du -sm "\$target" | cut -f1)" -lt $1 ]; do
    mkdir -p "\$target/\$copy"
    cp -a /usr/lib /usr/share "\$target/\$copy/"
    copy=\$((copy + 1))
done

%files
%{_cross_datadir}/bench-bulk
SPEC
    sed -i 's|^included-packages = \[|included-packages = [\n    "bench-bulk",|' "$cargo"
}
[ "$ROOT_MIB" -gt 0 ] && { add_bulk_package "$ROOT_MIB" || fail "adding the bulk package"; }
tl sdk import "$SDK_OCI" >/dev/null 2>&1 || fail "importing the SDK"
tl build variant "$VARIANT" >"$work/first.out" 2>"$work/first.err" || fail "first build (see $work/first.err)"
dir=$work/project/build/images/$(ls "$work/project/build/images")/latest

# twoliter, image only: a kernel parameter that differs each run.
ours=()
for run in $(seq "$RUNS"); do
    sed -i "s|^kernel-parameters = \[|kernel-parameters = [\n    \"bench.run=$run$RANDOM\",|" "$cargo"
    start=$(now_ms)
    tl build variant "$VARIANT" >/dev/null 2>"$work/ours.err" || fail "twoliter image build (see $work/ours.err)"
    ours+=($(($(now_ms) - start)))
    grep -q "image $VARIANT: built" "$work/ours.err" || fail "the image was not rebuilt"
done

# The same RPMs the image holds: every package build's RPMs the inventory names.
rpms=()
for name in $(python3 -c 'import json,sys; [print(p["Name"]) for p in json.load(open(sys.argv[1]))["Content"]]' "$dir/application-inventory.json"); do
    for file in "$work"/project/build/rpms/*/"$name"-[0-9]*.rpm; do
        [ -f "$file" ] && rpms+=("$file")
    done
done
[ "${#rpms[@]}" -gt 0 ] || fail "no RPMs found for the image"

by_hand() {
    local h=$1 epoch=1704067200
    rm -rf "$h" && mkdir -p "$h/root" "$h/private" "$h/data"
    rpm -i --root "$h/root" --dbpath /var/lib/rpm --nodeps --ignorearch --noscripts "${rpms[@]}" 2>/dev/null || return 1
    rm -rf "$h/root/var/lib" && mv "$h/root/boot" "$h/boot" && mkdir -p "$h/boot/grub" "$h/root/boot"
    echo "set timeout=0" >"$h/boot/grub/grub.cfg"
    truncate -s 920M "$h/root.img" && faketime -f "2024-01-01 00:00:00" mkfs.ext4 -q -F -d "$h/root" -U clear -E lazy_itable_init=0,stride=1024,stripe_width=1024 -O ^has_journal -b 4096 "$h/root.img" || return 1
    resize2fs -M "$h/root.img" >/dev/null 2>&1 || return 1
    truncate -s 10M "$h/root.verity" && veritysetup format --format 1 --hash sha256 --data-block-size 4096 --hash-block-size 4096 "$h/root.img" "$h/root.verity" >/dev/null || return 1
    truncate -s 40M "$h/boot.img" && faketime -f "2024-01-01 00:00:00" mkfs.ext4 -q -F -d "$h/boot" -O ^has_journal "$h/boot.img" && resize2fs -M "$h/boot.img" >/dev/null 2>&1 || return 1
    grub-mkimage -O x86_64-efi -p /EFI/BOOT -o "$h/BOOTX64.EFI" part_gpt fat ext2 normal configfile linux search echo test serial terminal || return 1
    truncate -s 5M "$h/efi.img" && faketime -f "2024-01-01 00:00:00" mkfs.vfat -I -S 512 "$h/efi.img" >/dev/null && mmd -i "$h/efi.img" ::/EFI ::/EFI/BOOT && mcopy -i "$h/efi.img" "$h/BOOTX64.EFI" ::/EFI/BOOT/ || return 1
    echo "kernel {}" >"$h/private/bootconfig.data"
    truncate -s 41M "$h/private.img" && faketime -f "2024-01-01 00:00:00" mkfs.ext4 -q -F -d "$h/private" -b 4096 -i 4096 -I 256 "$h/private.img" || return 1
    truncate -s 1022M "$h/data.img" && faketime -f "2024-01-01 00:00:00" mkfs.ext4 -q -F -m 0 -d "$h/data" "$h/data.img" || return 1
    truncate -s 2G "$h/os.raw" && sgdisk --clear \
        -n 0:1M:+4M -c 0:BIOS-BOOT -t 0:ef02 -n 0:5M:+5M -c 0:EFI-SYSTEM -t 0:ef00 \
        -n 0:10M:+40M -c 0:BOTTLEROCKET-BOOT-A -n 0:50M:+920M -c 0:BOTTLEROCKET-ROOT-A \
        -n 0:970M:+10M -c 0:BOTTLEROCKET-HASH-A -n 0:980M:+25M -c 0:BOTTLEROCKET-RESERVED-A \
        -n 0:1005M:+5M -c 0:EFI-BACKUP -n 0:1010M:+40M -c 0:BOTTLEROCKET-BOOT-B \
        -n 0:1050M:+920M -c 0:BOTTLEROCKET-ROOT-B -n 0:1970M:+10M -c 0:BOTTLEROCKET-HASH-B \
        -n 0:1980M:+25M -c 0:BOTTLEROCKET-RESERVED-B -n 0:2005M:+41M -c 0:BOTTLEROCKET-PRIVATE \
        "$h/os.raw" >/dev/null || return 1
    local part offset
    for part in efi.img:5 boot.img:10 root.img:50 root.verity:970 private.img:2005; do
        offset=${part#*:}
        dd if="$h/${part%:*}" of="$h/os.raw" bs=1M seek="$offset" conv=notrunc,sparse status=none || return 1
    done
    truncate -s 1G "$h/data.raw" && sgdisk --clear -n 0:1M:+1022M "$h/data.raw" >/dev/null &&
        dd if="$h/data.img" of="$h/data.raw" bs=1M seek=1 conv=notrunc,sparse status=none || return 1
    local file
    for file in os.raw data.raw boot.img root.img root.verity; do
        zstd -q -f -3 -T2 "$h/$file" -o "$h/$file.zst" || return 1
    done
}

hand=()
for run in $(seq "$RUNS"); do
    start=$(now_ms)
    by_hand "$work/by-hand" || fail "the tools by hand"
    hand+=($(($(now_ms) - start)))
done

ours_ms=$(median "${ours[@]}")
hand_ms=$(median "${hand[@]}")
echo "BENCH image.twoliter_ms=$ours_ms ms"
echo "BENCH image.by_hand_ms=$hand_ms ms"
ratio=$(awk -v a="$ours_ms" -v b="$hand_ms" 'BEGIN { if (b > 0) printf "%.2f", a / b }')
[ -n "$ratio" ] || fail "no ratio"
echo "BENCH image.ratio=$ratio x"
printf '\n%-52s %10s\n' "measurement ($VARIANT, ${#rpms[@]} RPMs, median of $RUNS)" "wall ms"
printf '%-52s %10s\n' "twoliter build variant (image assembly only)" "$ours_ms"
printf '%-52s %10s\n' "the same tools by hand, in sequence" "$hand_ms"
printf '%-52s %10s   (budget: 1.2x)\n' "ratio" "$ratio"
[ "$FAILURES" -eq 0 ]
