#!/usr/bin/env bash
# End to end: variant images from the sample project, checked by offsets and
# files (no device-mapper, no partition scanning here): the GPT against the
# plan, the root against its dm-verity hash tree and the root hash in
# grub.cfg, the packages' files in the root, qcow2/vmdk with qemu-img, the
# OVA's manifest; rebuilds are no-ops, a kernel-parameters change rebuilds
# only the image, and two clean builds give the same bytes.
# Usage: images.sh TWOLITER SOURCE_DIR SDK_CACHE
source "$(dirname "$0")/lib.sh"
e2e_arguments "$@"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

project=$work/project
sample_project "$project" "$work/cache"
images=$project/build/images

# partition NAME DISK: "start-sector end-sector" of the partition labelled NAME.
partition() {
    sgdisk -p "$2" | awk -v name="$1" '$7 == name { print $2, $3 }'
}
# extract DISK NAME OUTPUT: the partition's bytes, by offset.
extract() {
    local range
    range=$(partition "$2" "$1")
    set -- "$1" "$2" "$3" ${range}
    dd if="$1" of="$3" bs=512 skip="$4" count=$(($5 - $4 + 1)) status=none
}
# verity_ok DISK: ROOT-A verifies against HASH-A with the root hash of grub.cfg.
verity_ok() {
    local disk=$1 dir=$work/verity
    mkdir -p "$dir"
    extract "$disk" BOTTLEROCKET-BOOT-A "$dir/boot"
    extract "$disk" BOTTLEROCKET-ROOT-A "$dir/root"
    extract "$disk" BOTTLEROCKET-HASH-A "$dir/hash"
    local hash
    hash=$(debugfs -R "cat /grub/grub.cfg" "$dir/boot" 2>/dev/null | grep -o 'sha256 [0-9a-f]\{64\}' | cut -d' ' -f2)
    [ -n "$hash" ] && veritysetup verify "$dir/root" "$dir/hash" "$hash"
}

# aws-k8s-1.31: split plan, raw, A/B.
tl "$project" "$work/cache" build variant aws-k8s-1.31 >"$work/aws.out" 2>"$work/aws.err"
check "aws-k8s-1.31 builds" test -s "$work/aws.out"
dir=$images/x86_64-aws-k8s-1.31/latest
prefix=bottlerocket-aws-k8s-1.31-x86_64-1.0.0
check "the OS image is there under its friendly name" test -f "$dir/$prefix.img.zst"
check "the split plan has a data image" test -f "$dir/$prefix-data.img.zst"
zstd -dqf "$dir/$prefix.img.zst" -o "$work/aws.img"
zstd -dqf "$dir/$prefix-data.img.zst" -o "$work/aws-data.img"
labels=$(for i in $(seq 13); do sgdisk -i "$i" "$work/aws.img" | sed -n "s/^Partition name: '\(.*\)'/\1/p"; done | paste -sd,)
check "the GPT has upstream's A/B layout" test "$labels" = \
    "BIOS-BOOT,EFI-SYSTEM,BOTTLEROCKET-BOOT-A,BOTTLEROCKET-ROOT-A,BOTTLEROCKET-HASH-A,BOTTLEROCKET-RESERVED-A,EFI-BACKUP,BOTTLEROCKET-BOOT-B,BOTTLEROCKET-ROOT-B,BOTTLEROCKET-HASH-B,BOTTLEROCKET-RESERVED-B,BOTTLEROCKET-PRIVATE,"
check "sgdisk finds no problem" sh -c "sgdisk -v '$work/aws.img' | grep -q 'No problems found'"
check "BOOT-A is ROOT-A's size /23 and starts at 20 MiB" test "$(partition BOTTLEROCKET-BOOT-A "$work/aws.img")" = "20480 102399"
check "BOOT-A has the gptprio bits" sh -c "sgdisk -i 3 '$work/aws.img' | grep -q 'Attribute flags: 0101000000000000'"
check "the data image holds DATA-B" test "$(sgdisk -p "$work/aws-data.img" | awk '/^ +1 / { print $2, $3 }')" = "2048 2095103"
check "the root verifies against its hash tree and grub.cfg's root hash" verity_ok "$work/aws.img"
check "the root holds the packages' files" sh -c \
    "debugfs -R 'stat /x86_64-bottlerocket-linux-gnu/sys-root/usr/bin/kubelet' '$work/verity/root' 2>/dev/null | grep -q 'Type: regular'"
check "os-release names the variant" sh -c \
    "debugfs -R 'cat /x86_64-bottlerocket-linux-gnu/sys-root/usr/lib/os-release' '$work/verity/root' 2>/dev/null | grep -q '^VARIANT_ID=aws-k8s-1.31'"
check "the rpm database is not in the image" sh -c \
    "! debugfs -R 'stat /var/lib/rpm' '$work/verity/root' 2>/dev/null | grep -q Inode"
check "the inventory lists kubelet" grep -q '"Name": "bottlerocket-kubelet-1.31"' "$dir/application-inventory.json"
extract "$work/aws.img" EFI-SYSTEM "$work/efi"
check "the EFI partition holds GRUB" sh -c "mdir -i '$work/efi' ::/EFI/BOOT | grep -q BOOTX64"

# Nothing changed: nothing runs.
tl "$project" "$work/cache" build variant aws-k8s-1.31 >/dev/null 2>"$work/noop.err"
check "an unchanged variant is a no-op" grep -q "image aws-k8s-1.31: up to date" "$work/noop.err"

# kernel-parameters changed: the image is rebuilt, no package is.
sed -i 's|^kernel-parameters = \[|kernel-parameters = [\n    "twoliter.test=1",|' "$project/variants/aws-k8s-1.31/Cargo.toml"
tl "$project" "$work/cache" build variant aws-k8s-1.31 >/dev/null 2>"$work/params.err"
check "a kernel-parameters change rebuilds no package" grep -q "nothing to do" "$work/params.err"
check "... but the image" grep -q "image aws-k8s-1.31: built" "$work/params.err"
zstd -dqf "$dir/$prefix-boot.ext4.zst" -o "$work/boot.ext4"
check "... whose grub.cfg has the new parameter" sh -c \
    "debugfs -R 'cat /grub/grub.cfg' '$work/boot.ext4' 2>/dev/null | grep -q '^       twoliter.test=1'"

# vmware-k8s-1.31: vmdk and an OVA from template.ovf.
tl "$project" "$work/cache" build variant vmware-k8s-1.31 >/dev/null 2>"$work/vmware.err"
vdir=$images/x86_64-vmware-k8s-1.31/latest
vprefix=bottlerocket-vmware-k8s-1.31-x86_64-1.0.0
check "vmware-k8s-1.31 has a vmdk" qemu-img check -q "$vdir/$vprefix.vmdk"
check "... and an OVA with the OVF first, then the manifest" sh -c \
    "tar -tf '$vdir/$vprefix.ova' | head -2 | paste -sd, | grep -q '\.ovf,.*\.mf$'"
mkdir -p "$work/ova" && tar -xf "$vdir/$vprefix.ova" -C "$work/ova"
check "the OVA manifest's checksums match" sh -c \
    "cd '$work/ova' && sed -E 's/^SHA256\\((.*)\\)= (.*)/\\2  \\1/' *.mf | sha256sum -c --quiet"

# metal-dev variations: erofs root, one bank, qcow2, lz4.
cargo=$project/variants/metal-dev/Cargo.toml
sed -i 's|^image-format = "raw"|image-format = "qcow2"|' "$cargo"
sed -i 's|^\[package.metadata.build-variant.image-features\]|&\nerofs-root-partition = true\nin-place-updates = false|' "$cargo"
printf '\n[image]\ncompression = "lz4"\n' >>"$project/Twoliter.toml"
tl "$project" "$work/cache" build variant metal-dev >/dev/null 2>"$work/metal.err"
mdir=$images/x86_64-metal-dev/latest
mprefix=bottlerocket-metal-dev-x86_64-1.0.0
check "metal-dev is a qcow2 image" qemu-img check -q "$mdir/$mprefix.qcow2"
check "update parts are lz4" lz4 -tq "$mdir/$mprefix-root.ext4.lz4"
qemu-img convert -f qcow2 -O raw "$mdir/$mprefix.qcow2" "$work/metal.img"
check "without in-place updates there is one bank" sh -c \
    "! sgdisk -p '$work/metal.img' | grep -q BOOT-B && sgdisk -p '$work/metal.img' | grep -q BOTTLEROCKET-ROOT-A"
check "the erofs root verifies" verity_ok "$work/metal.img"
check "the erofs root is erofs" sh -c "head -c 1028 '$work/verity/root' | tail -c 4 | od -An -tx1 | grep -q 'e2 e1 f5 e0'"
check "the erofs root checks out and holds the packages' files" sh -c \
    "fsck.erofs --extract='$work/erofs-tree' '$work/verity/root' >/dev/null && test -x '$work/erofs-tree/x86_64-bottlerocket-linux-gnu/sys-root/usr/bin/dockerd'"

# Two clean builds of the same commit give the same bytes: a second copy of
# the project with its own cache, against the first (parameters restored).
again=$work/again
sample_project "$again" "$work/cache2"
tl "$again" "$work/cache2" build variant aws-k8s-1.31 >/dev/null 2>&1
sed -i '/^    "twoliter.test=1",$/d' "$project/variants/aws-k8s-1.31/Cargo.toml"
sed -i '/^\[image\]$/,$d' "$project/Twoliter.toml"
tl "$project" "$work/cache" build variant aws-k8s-1.31 >/dev/null 2>"$work/restored.err"
check "restoring the parameters takes the image from the cache" grep -q "taken from the cache" "$work/restored.err"
for file in $prefix.img.zst $prefix-data.img.zst $prefix-boot.ext4.zst $prefix-root.ext4.zst $prefix-root.verity.zst application-inventory.json; do
    check "two clean builds give the same $file" \
        cmp "$images/x86_64-aws-k8s-1.31/latest/$file" "$again/build/images/x86_64-aws-k8s-1.31/latest/$file"
done
finish
