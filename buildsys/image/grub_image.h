#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "image/tool_sandbox.h"
#include "project/model.h"

namespace twoliter {

// GRUB's boot images, made with the rootfs's grub-mkimage (tool_sandbox.h)
// and the GRUB modules of its /usr/lib/grub/<platform>/. grub-mkimage's
// output depends only on its inputs, so these are reproducible.

// Modules that find a GPT partition, read ext4 (and FAT), load and run a
// grub.cfg (normal, configfile, search, echo, test, sleep), boot Linux, talk
// on the serial console (serial, terminal), reboot and halt; EFI images add
// efi_gop (the firmware's graphics console).
std::vector<std::string> defaultGrubEfiModules();
std::vector<std::string> defaultGrubBiosModules();

// The GRUB platform for arch: "x86_64-efi" or "arm64-efi".
std::string grubEfiPlatform(Arch arch);

struct GrubEfiOptions {
    Arch arch = Arch::X86_64;
    std::string prefix = "/EFI/BOOT";  // -p: where GRUB looks for grub.cfg and modules
    // -c: a config GRUB runs before the prefix's grub.cfg (upstream's efi.cfg
    // finds the boot partition and loads its /grub/grub.cfg); empty: none.
    std::string embeddedConfig;
    std::vector<std::string> modules = defaultGrubEfiModules();
    // --sbat: a host file of SBAT entries (shim checks them under Secure
    // Boot); empty: none.
    std::string sbatPath;
};

// `grub-mkimage -O x86_64-efi` (arm64-efi for aarch64): a PE image for
// EFI/BOOT/ (BOOTX64.EFI, BOOTAA64.EFI, or grub*.efi behind shim).
void makeGrubEfiImage(const ToolSandbox& tools, const std::string& output,
                      const GrubEfiOptions& options);

struct BiosBootOptions {
    // -p of core.img: upstream's is "(hd0,gpt2)/boot/grub"; with this
    // project's layout BOOT-A is the third partition.
    std::string prefix = "(hd0,gpt3)/grub";
    std::string embeddedConfig;  // -c (upstream's bios.cfg); empty: none
    std::vector<std::string> modules = defaultGrubBiosModules();
};

// GRUB's BIOS stage for one disk, as `grub-bios-setup --no-rs-codes`
// embeds it in a GPT disk's BIOS boot partition (x86_64 only):
//  - core (`grub-mkimage -O i386-pc`) goes at the partition's first sector,
//    coreLba; it is padded with zeros to whole sectors, and its first
//    sector's block list (the 12 bytes before byte 512: start LBA u64,
//    sector count u16, load segment u16) names the rest (start coreLba + 1,
//    count sectors - 1, segment 0x820), the 12 bytes before it are the zero
//    terminator;
//  - bootCode is the MBR's bytes 0-439: boot.img's, with the 64-bit LBA of
//    core at 0x5c, the boot drive 0xff at 0x64, and the jump at 0x66
//    replaced by two NOPs (boot from a hard disk). Bytes 3-89 (the DOS BPB
//    area) are boot.img's (zeros), which equals grub-bios-setup's copy of
//    them from a protective MBR such as writeGpt's; bytes 440-511 (disk
//    signature, partition table, 0x55AA) are not part of it.
// grub-bios-setup itself cannot be used: it insists on finding the disk of
// the folder holding core.img. Without Reed-Solomon codes a damaged core.img
// is not repaired at boot (grub-bios-setup's default adds them). With
// assembleDisk (disk_assembly.h): bootCode is its bootCode, and core, written
// to a file, the BIOS partition's image.
struct BiosBootStage {
    std::string bootCode;  // 440 bytes
    std::string core;      // whole sectors
    uint64_t coreLba = 0;
    uint64_t coreSectors() const { return core.size() / 512; }
};

// The stage for a BIOS boot partition of partitionSectors sectors at
// partitionLba. Throws Error located at errorPath when core.img does not fit
// in the partition (nor in the 895 sectors boot.img can load) or a tool fails.
BiosBootStage makeBiosBootStage(const ToolSandbox& tools, uint64_t partitionLba,
                                uint64_t partitionSectors, const BiosBootOptions& options,
                                const std::string& errorPath);

// Writes the stage into the disk image in place: core at the BIOS boot
// partition starting at partitionOffsetBytes (its GPT entry must have type
// 21686148-6449-6e6f-744e-656564454649), bootCode over bytes 0-439 of the
// MBR with bytes 3-89 kept from the disk, exactly as grub-bios-setup
// --no-rs-codes writes them (checked byte for byte against GRUB 2.06's, and
// booted by SeaBIOS in qemu). Call it after writeGpt (which rewrites sector
// 0), on the image being assembled under a temporary name. Throws Error
// naming the disk when it has no valid GPT or the partition at
// partitionOffsetBytes is not a BIOS boot partition.
BiosBootStage writeBiosBoot(const ToolSandbox& tools, const std::string& diskImage,
                            uint64_t partitionOffsetBytes, const BiosBootOptions& options);

}  // namespace twoliter
