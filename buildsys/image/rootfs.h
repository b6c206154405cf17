#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "image/artifacts.h"
#include "sandbox/sandbox.h"

namespace twoliter {

// upstream's os-release links (rpm2img appends them as they are).
struct OsReleaseLinks {
    std::string home = "https://github.com/bottlerocket-os/bottlerocket";
    std::string support = "https://github.com/bottlerocket-os/bottlerocket/discussions";
    std::string bugReport = "https://github.com/bottlerocket-os/bottlerocket/issues";
    std::string documentation = "https://bottlerocket.dev";
};

struct RootfsRequest {
    // The tools' root file system: the SDK's unpacked rootfs (its rpm does
    // the install); "/" in tests.
    std::string toolsRootfs;
    // The variant's whole RPM closure (host paths; file names must differ).
    std::vector<std::string> rpmFiles;
    // Created (it must not exist or be empty); receives root/, boot/, efi/.
    std::string outputDir;
    std::string logPath;  // rpm's output
    ImageIdentity identity;
    OsReleaseLinks links;
    // SOURCE_DATE_EPOCH: the inventory's InstalledTime, and no file time in
    // the result is later than it.
    int64_t epoch = 0;
    bool xfsDataPartition = false;  // image-features.env's DATA_PARTITION_FILESYSTEM
    // Packages of bottlerocket-core-kit, listed without "bottlerocket-".
    std::set<std::string> coreKitPackages;
    // The update repository's root.json, written to /usr/share/updog/root.json
    // as upstream does (the updater trusts it); empty: none.
    std::string updogRootJson;
};

// The installed tree, split as the image's partitions take it.
struct InstalledRootfs {
    std::string rootDir;  // <outputDir>/root: the ROOT file system's tree
    // <outputDir>/boot: what the RPMs installed under /boot, except efi/
    // (grub/ exists; on x86_64 it holds GRUB's BIOS images until the BIOS
    // boot code is made from them, then upstream empties it).
    std::string bootDir;
    std::string efiDir;  // <outputDir>/efi: /boot/efi's contents (EFI/BOOT/*.efi)
    std::string inventoryJson;
    std::string osRelease;  // the whole os-release after the fields were appended
};

// The root of the image as upstream's rpm2img makes it: every RPM installed
// with `rpm -i --root --dbpath /var/lib/rpm --nodeps --ignorearch` in a
// sandbox on toolsRootfs (scriptlets run, as upstream's do: rpm runs Lua
// ones itself, chrooted into the root). The installed tree itself is the
// image root; Bottlerocket's filesystem package links /usr, /bin, /lib to
// /<arch>-bottlerocket-linux-gnu/sys-root/…, where the packages install.
// Then, as rpm2img does: application-inventory.json written to
// /usr/share/bottlerocket/ (symlinks resolved inside the root), /var/lib
// (the rpm database) removed, /boot/efi's and /boot's contents moved out
// (/boot stays as an empty folder), and appended to
// /<arch>-bottlerocket-linux-gnu/sys-root/usr/lib/os-release:
//   VERSION="<versionId> (<variant>)"
//   PRETTY_NAME="<prettyName> <versionId> (<variant>)"
//   VARIANT_ID=<variant>, VERSION_ID=<versionId>, BUILD_ID=<buildId>
//   HOME_URL=, SUPPORT_URL=, BUG_REPORT_URL=, DOCUMENTATION_URL= (quoted)
// and DATA_PARTITION_FILESYSTEM=ext4|xfs to …/usr/share/bottlerocket/
// image-features.env. Finally every time in the three trees is clamped to
// epoch (clampTreeTimes). Not done here (later steps of rpm2img): depmod,
// CA bundle, root.json, licenses, GRUB, signing.
// Throws Error naming the log when rpm fails, or the file concerned; the
// output folder is then left empty.
InstalledRootfs installRootfs(SandboxRunner& sandbox, const RootfsRequest& request);

// The lines installRootfs appends to os-release.
std::string osReleaseFields(const ImageIdentity& identity, const OsReleaseLinks& links);

// Sets the modification time of every entry under dir (dir included,
// symlinks themselves, never their targets) that is later than epoch to
// epoch, so file systems made from the tree do not depend on when it was
// made; access times are set to the modification times (reading the tree
// later updates them again: a file system that keeps them needs its own
// fixed time). Throws Error naming the entry that cannot be changed.
void clampTreeTimes(const std::string& dir, int64_t epoch);

}  // namespace twoliter
