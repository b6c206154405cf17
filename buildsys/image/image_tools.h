#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "image/guid.h"
#include "image/tool_sandbox.h"
#include "project/model.h"

namespace twoliter {

// The file systems and image conversions of a variant image, made by the
// tools of a rootfs run in the sandbox (tool_sandbox.h), as upstream's
// rpm2img makes them, but reproducible: the same inputs give the same bytes.
// Every function writes its output under a temporary name next to it and
// renames it when complete, checks first that the rootfs has its tools, and
// throws Error located at the output (naming the log) when a tool fails.
// The GRUB images are in grub_image.h.

// An SELinux label that makeExt4 stores on one path of the file system
// (debugfs `ea_set <path> security.selinux <context>`), as upstream labels
// ROOT and BOOT with the output of `setfiles -n`.
struct Ext4Label {
    std::string path;  // absolute inside the file system: "/usr/bin/apiserver"
    std::string context;
};

struct Ext4Options {
    std::string label;           // -L, at most 16 bytes; empty: none
    Guid uuid;                   // -U
    Guid hashSeed;               // -E hash_seed=, the directory-index hash seed
    bool journal = false;        // upstream's ROOT and BOOT have none (-O ^has_journal)
    uint32_t blockSize = 4096;   // -b
    uint32_t inodeSize = 0;      // -I; 0: mke2fs.conf's (PRIVATE: 256)
    uint32_t bytesPerInode = 0;  // -i; 0: mke2fs.conf's (PRIVATE: 4096)
    std::optional<unsigned> reservedPercent;  // -m (DATA: 0)
    uint32_t stride = 0;                      // -E stride= in blocks; 0: none (ROOT: 1024)
    uint32_t stripeWidth = 0;                 // -E stripe_width=; 0: none (ROOT: 1024)
    // -E lazy_itable_init=0 is always given: the inode tables are written
    // (as upstream asks for ROOT), whatever the sandbox's /sys says.
    // Shrink to the minimum size after the tree is in (resize2fs -M), as
    // upstream does for ROOT and BOOT.
    bool shrinkToMinimum = false;
    std::vector<Ext4Label> selinuxLabels;
};

// Makes an ext4 file system of sizeBytes (a multiple of blockSize) holding
// the tree at sourceDir (`mkfs.ext4 -d`, run under faketime at epoch), and
// returns the size in bytes of output (smaller than sizeBytes when shrunk).
// In the file system every inode is owned by 0:0, its access, change and
// creation times are epoch, its modification time that of the source clamped
// to epoch; modes, symlinks, hard links and other extended attributes are the
// source's. So two runs on the same tree give the same bytes; trees with the
// same content give the same bytes when their folders list their entries in
// the same order (e2fsprogs 1.47.0 adds entries in readdir order). Paths
// holding a double quote or a line break cannot be handled (Error). The
// sandbox's root has no privilege over files of other users: the tree must be
// readable by the caller (mkfs.ext4 fails with "Permission denied" otherwise).
uint64_t makeExt4(const ToolSandbox& tools, const std::string& sourceDir, const std::string& output,
                  uint64_t sizeBytes, const Ext4Options& options, int64_t epoch);

struct ErofsOptions {
    Guid uuid;  // -U, required (not all zeros): derive it from the image's seed
    // -z: upstream's "lz4hc,12"; erofs-utils 1.5 has lz4 and lz4hc only.
    // Empty: uncompressed.
    std::string compression = "lz4hc,12";
    // -C, the largest physical cluster (upstream: 262144); 0: the default.
    uint32_t physicalClusterBytes = 262144;
    // --file-contexts: a host file of SELinux file contexts; empty: none.
    std::string fileContexts;
};

// Makes an erofs image of the tree at sourceDir: every file owned by root
// (--all-root) and stamped with epoch (-T), so the same tree gives the same
// bytes.
void makeErofs(const ToolSandbox& tools, const std::string& sourceDir, const std::string& output,
               const ErofsOptions& options, int64_t epoch);

// A host file and where it goes in a FAT file system ("/EFI/BOOT/BOOTX64.EFI").
struct FatFile {
    std::string source;
    std::string path;
};

struct VfatOptions {
    uint32_t volumeId = 0;  // mkfs.vfat -i, the serial number (derive it from the image's seed)
    std::string label;      // -n, at most 11 characters; empty: none (as upstream)
    // Copied in this order; their folders are made first, parents first.
    std::vector<FatFile> files;
};

// Makes a FAT file system of sizeBytes (a multiple of 1024) as upstream's
// EFI partition (`mkfs.vfat -I -S 512`, FAT type by size) and copies the
// files in with mtools. mkfs.vfat and mtools run under faketime at epoch, so
// every directory entry is stamped epoch (in UTC; FAT keeps even seconds, and
// an epoch before 1980 is an Error) and the same inputs give the same bytes.
void makeVfat(const ToolSandbox& tools, const std::string& output, uint64_t sizeBytes,
              const VfatOptions& options, int64_t epoch);

// Converts a raw disk image as upstream does: qcow2 with `qemu-img convert
// -f raw -O qcow2`, vmdk with `-O vmdk -o subformat=streamOptimized` (what an
// OVA holds). The vmdk's descriptor names the file by output's file name, and
// its content ID (CID, random in qemu-img) is set from a digest of the file,
// so the same input gives the same bytes. Raw is an Error.
void convertImage(const ToolSandbox& tools, const std::string& input, const std::string& output,
                  ImageFormat format);

// `qemu-img check` of a qcow2 or vmdk image; Error located at path (with
// qemu-img's complaint) when the image has errors or leaks.
void checkImage(const ToolSandbox& tools, const std::string& path, ImageFormat format);

// Which of the programs and GRUB folders the image functions need for arch
// the rootfs lacks, each with its Debian package, so that the caller can say
// "the SDK has no mkfs.erofs; add erofs-utils to sdk/recipe". Empty when it
// has them all.
std::vector<ImageToolRequirement> imageToolsMissing(const std::string& rootfs, Arch arch);

}  // namespace twoliter
