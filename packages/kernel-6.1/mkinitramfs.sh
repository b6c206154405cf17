#!/bin/sh
# mkinitramfs.sh KVER INIT TREE OUTPUT MODULE...
#
# Lays out the initramfs of kernel KVER in TREE and packs it into OUTPUT (a
# gzip-compressed newc cpio, every entry owned by root, every time
# SOURCE_DATE_EPOCH, entries sorted: the same inputs give the same bytes):
#
#   /init                              INIT (a static program)
#   /lib/modules/KVER/<path>.ko        each MODULE and what it depends on,
#                                      from the SDK's /lib/modules/KVER
#   /lib/modules/KVER/load-order       their paths, dependencies first
#   /lib/modules/KVER/modules.dep      their lines of the SDK's modules.dep
#   /dev /proc /sys /root-mnt          mount points
#
# A MODULE is a module name (dashes and underscores alike). Compressed
# modules (.ko.xz, .ko.zst, .ko.gz) are stored decompressed.
set -eu
kver=$1 init=$2 tree=$3 output=$4
shift 4
moddir=/lib/modules/$kver
if [ ! -f "$moddir/modules.dep" ]; then
    echo "mkinitramfs.sh: $moddir/modules.dep is missing (depmod did not run in the SDK)" >&2
    exit 1
fi

# modules.dep lists, after "path:", every module path depends on, the last
# to be loaded first.
awk -v wanted="$*" '
    function key(path) { sub(/.*\//, "", path); sub(/\.ko.*$/, "", path); gsub(/-/, "_", path); return path }
    function emit(path) { if (!(path in seen)) { seen[path] = 1; print path } }
    { path = $1; sub(/:$/, "", path); line[key(path)] = $0 }
    END {
        n = split(wanted, names, " ")
        for (i = 1; i <= n; i++) {
            k = key(names[i])
            if (!(k in line)) { print "mkinitramfs.sh: no module " names[i] " in modules.dep" > "/dev/stderr"; failed = 1; continue }
            m = split(line[k], parts, " ")
            sub(/:$/, "", parts[1])
            for (j = m; j >= 2; j--) emit(parts[j])
            emit(parts[1])
        }
        exit failed
    }' "$moddir/modules.dep" >"$tree.order"

mkdir -p "$tree/lib/modules/$kver" "$tree/dev" "$tree/proc" "$tree/sys" "$tree/root-mnt"
install -m 0755 "$init" "$tree/init"
: >"$tree/lib/modules/$kver/load-order"
: >"$tree/lib/modules/$kver/modules.dep"
while read -r path; do
    target=$tree/lib/modules/$kver/${path%.ko*}.ko
    mkdir -p "$(dirname "$target")"
    case $path in
    *.ko) cp "$moddir/$path" "$target" ;;
    *.ko.xz) xz -dc "$moddir/$path" >"$target" ;;
    *.ko.zst) zstd -qdc "$moddir/$path" >"$target" ;;
    *.ko.gz) gzip -dc "$moddir/$path" >"$target" ;;
    *) echo "mkinitramfs.sh: $path is not a module" >&2; exit 1 ;;
    esac
    echo "${path%.ko*}.ko" >>"$tree/lib/modules/$kver/load-order"
    grep "^$path:" "$moddir/modules.dep" | sed 's/\.ko\.[a-z]*/.ko/g' >>"$tree/lib/modules/$kver/modules.dep"
done <"$tree.order"
rm -f "$tree.order"

find "$tree" -exec touch -h -d "@${SOURCE_DATE_EPOCH:-0}" {} +
(cd "$tree" && find . -mindepth 1 | LC_ALL=C sort |
    cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -n -9 >"$output"
echo "mkinitramfs.sh: $output: $(wc -l <"$tree/lib/modules/$kver/load-order") modules, $(wc -c <"$output") bytes"
