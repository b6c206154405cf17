#!/usr/bin/env bash
# End to end: the sample's metal-dev image boots for real. QEMU (TCG, q35,
# OVMF) runs GRUB from EFI-A, which boots BOOT-A's kernel (Debian's cloud
# kernel, repackaged by kernel-6.1) with its initramfs; that loads the virtio
# and dm-verity modules, creates the verity device of dm-mod.create= over
# ROOT-A and HASH-A, mounts it and starts the root's /sbin/init (package
# init), which prints "twoliter-ready VERSION_ID=<v> VARIANT_ID=<v>" from the
# image's os-release and powers off. Then one byte of /sbin/init is flipped
# inside ROOT-A of a copy: that boot must not print the line, dm-verity must
# report the corrupted block and restart (QEMU runs with -no-reboot, so a
# restart ends it).
# Usage: boot.sh TWOLITER SOURCE_DIR SDK_CACHE
# Needs qemu-system-x86_64 and OVMF (Debian: qemu-system-x86, ovmf);
# BOOT_TIMEOUT (seconds, default 300) bounds each boot.
source "$(dirname "$0")/lib.sh"
e2e_arguments "$@"
OVMF=${OVMF:-/usr/share/ovmf/OVMF.fd}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
work=$(mktemp -d)
qemu=
trap '[ -n "$qemu" ] && kill "$qemu" 2>/dev/null; rm -rf "$work"' EXIT

for tool in qemu-system-x86_64 sgdisk debugfs zstd; do
    if ! command -v "$tool" >/dev/null; then
        echo "FAIL: $tool is missing (apt-get install qemu-system-x86 ovmf gdisk e2fsprogs zstd)"
        exit 1
    fi
done
if [ ! -f "$OVMF" ]; then
    echo "FAIL: no UEFI firmware at $OVMF (apt-get install ovmf, or set OVMF)"
    exit 1
fi

project=$work/project
sample_project "$project" "$work/cache"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$project/Release.toml")

# boot DISK NAME: boots DISK, serial console to $work/NAME.log (carriage
# returns and terminal escapes removed); sets $boot_status (124 when the
# timeout ended it) and prints how long it took.
boot() {
    local disk=$1 name=$2 start end
    start=$(date +%s%N)
    timeout --kill-after=10 "$BOOT_TIMEOUT" qemu-system-x86_64 -machine q35 -m 512 \
        -bios "$OVMF" -drive "file=$disk,format=raw,if=virtio" -nographic -monitor none \
        -serial "file:$work/$name.serial" -no-reboot -net none </dev/null >"$work/$name.qemu" 2>&1 &
    qemu=$!
    wait "$qemu"
    boot_status=$?
    qemu=
    end=$(date +%s%N)
    tr -d '\r' <"$work/$name.serial" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' >"$work/$name.log"
    local tenths=$(((end - start) / 100000000))
    echo "boot $name: $((tenths / 10)).$((tenths % 10)) s (qemu exit $boot_status)"
}
ready_line="twoliter-ready VERSION_ID=$version VARIANT_ID=metal-dev"
# show_log NAME: the console's last lines, when a check of that boot failed.
show_log() {
    echo "--- GRUB's errors and the last lines of the $1 boot's console:"
    grep -a '^error:' "$work/$1.log"
    grep -a -v '^\s*$' "$work/$1.log" | tail -25
    echo "---"
}

# 1. The image as built boots to the root's init.
tl "$project" "$work/cache" build variant metal-dev >"$work/build.out" 2>"$work/build.err"
check "metal-dev builds" test -s "$work/build.out"
zstd -dqf "$project/build/images/x86_64-metal-dev/latest/bottlerocket-metal-dev-x86_64.img.zst" \
    -o "$work/disk.img"
boot "$work/disk.img" good
failed_before=$failures
check "the VM powered off by itself (no timeout)" test "$boot_status" -eq 0
check "the initramfs created the verity device" grep -aq '^initramfs: device-mapper device root created' "$work/good.log"
check "... and mounted it read-only" grep -aq '^initramfs: mounted /dev/dm-0 (ext4, read-only)' "$work/good.log"
check "the root's init printed the ready line once" test "$(grep -aFxc "$ready_line" "$work/good.log")" -eq 1
[ "$failures" -eq "$failed_before" ] || show_log good

# 2. One flipped byte in ROOT-A (inside /sbin/init's first block, which
#    exec reads) must stop the boot before the root's init runs.
cp --sparse=always "$work/disk.img" "$work/bad.img"
read -r root_start _ < <(sgdisk -p "$work/bad.img" | awk '$7 == "BOTTLEROCKET-ROOT-A" { print $2, $3 }')
root_fs="$work/bad.img?offset=$((root_start * 512))"
init_path=/x86_64-bottlerocket-linux-gnu/sys-root/usr/sbin/init
block=$(debugfs -R "blocks $init_path" "$root_fs" 2>/dev/null | awk '{ print $1 }')
block_size=$(debugfs -R stats "$root_fs" 2>/dev/null | awk '/^Block size:/ { print $3 }')
check "ROOT-A holds $init_path" test -n "$block" -a -n "$block_size"
# The byte's offset in ROOT-A, and the 4 KiB verity data block holding it.
in_root=$((${block:-0} * ${block_size:-0} + 64))
offset=$((root_start * 512 + in_root))
python3 - "$work/bad.img" "$offset" <<'PY'
import sys
with open(sys.argv[1], "r+b") as disk:
    disk.seek(int(sys.argv[2]))
    byte = disk.read(1)
    disk.seek(int(sys.argv[2]))
    disk.write(bytes([byte[0] ^ 0xFF]))
PY
check "the flipped byte changed the image" sh -c "! cmp -s '$work/disk.img' '$work/bad.img'"
boot "$work/bad.img" corrupted
failed_before=$failures
check "the corrupted root does not reach init" sh -c "! grep -aq '^twoliter-ready' '$work/corrupted.log'"
check "dm-verity reports the corrupted block" \
    grep -aq "verity: .*: data block $((in_root / 4096)) is corrupted" "$work/corrupted.log"
check "... and restarts the machine (no timeout)" test "$boot_status" -eq 0
[ "$failures" -eq "$failed_before" ] || show_log corrupted
finish
