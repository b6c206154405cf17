#pragma once

#include <string>
#include <vector>

namespace twoliter {

struct GrubConfigInputs {
    std::vector<std::string> kernelParameters;  // the variant's kernel-parameters
    // The OS's pretty name ("Bottlerocket OS"); the menu entry is
    // "<prettyName> <versionId>", as upstream's.
    std::string prettyName;
    std::string versionId;
    std::string dmVerityTable;       // dmVerityTable() of the root file system
    bool grubSetPrivateVar = false;  // image feature: bootconfig from the PRIVATE partition
    bool uefiSecureBoot = false;     // image feature: no edits, no signature checks, reboot
    // An initramfs on BOOT ("/initramfs.img"), loaded before bootconfig.data;
    // empty: none (upstream's kernels need none). A kernel whose disk,
    // dm-verity or root file system drivers are modules needs one.
    std::string initramfs;
};

// grub.cfg for the BOOT partition, byte for byte as upstream's rpm2img
// writes it (including the blank-valued lines of its template when a
// feature is off). With Secure Boot it starts with `set superusers=""` and
// `set check_signatures="no"` and reboots after 30 seconds if boot fails;
// with grub-set-private-var the kernel gets `bootconfig` and the initrd
// ($private)/bootconfig.data.
std::string renderGrubConfig(const GrubConfigInputs& inputs);

}  // namespace twoliter
