#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "image/artifacts.h"
#include "project/model.h"
#include "sandbox/sandbox.h"

namespace twoliter {

// Everything one variant image is made from.
struct ImageRequest {
    const VariantManifest* variant = nullptr;
    ImageIdentity identity;
    std::vector<std::string> rpmFiles;  // the variant's whole closure, metadata RPM included
    std::string toolsRootfs;            // the SDK's unpacked rootfs
    std::string workDirectory;          // scratch space; emptied first, removed afterwards
    std::string logPath;                // the tools' output
    std::string outputDirectory;        // receives the artifacts (must exist, empty)
    // Upstream's sbkeys/<profile>/: PK.crt, KEK.crt and db.crt (PEM), which
    // the OVF of a uefi-secure-boot variant carries.
    std::string secureBootKeysDirectory;
    // The update repository's root.json for /usr/share/updog/ (empty: none).
    std::string updogRootJson;
    // Every GUID, volume id and salt of the image is derived from it, so the
    // same request gives the same bytes (the caller passes its action key).
    std::string seed;
    int64_t epoch = 0;  // SOURCE_DATE_EPOCH
    ImageCompression compression = ImageCompression::Zstd;
    int compressionWorkers = 2;
    // Progress lines ("root file system", "dm-verity", …).
    std::function<void(const std::string&)> progress;
};

// The artifacts written, named as upstream names them (variantArtifacts),
// in outputDirectory; links are not made here.
struct ImageArtifacts {
    std::vector<Artifact> artifacts;
    std::string rootHash;  // dm-verity root hash of the root file system
    std::vector<std::string> warnings;
};

// Assembles a variant's images as upstream's rpm2img does: the RPMs
// installed into a root (image/rootfs.h); the root file system (ext4, or
// erofs with image-feature erofs-root-partition) with its dm-verity hash
// tree; BOOT (the kernel and a grub.cfg carrying the verity table and the
// variant's kernel-parameters), EFI (a GRUB EFI image that finds BOOT and
// PRIVATE by their file system UUIDs), PRIVATE (bootconfig.data) and DATA
// (ext4, left empty for xfs-data-partition); the GPT disk(s) of the
// variant's partition plan with bank A filled and, on x86_64, GRUB's BIOS
// stage; then the OS (and, split, data) image in the variant's format
// (raw compressed, qcow2, vmdk plus an OVA from template.ovf), the update
// parts (-boot.ext4, -root.ext4, -root.verity, compressed) and
// application-inventory.json. Every tool runs in the sandbox on
// toolsRootfs. Throws Error naming the step's output and the log.
ImageArtifacts assembleVariantImage(SandboxRunner& sandbox, const ImageRequest& request);

// bootconfig.data as the kernel reads an initrd-appended boot
// configuration: the text, NUL-padded to a multiple of 4 bytes, its size
// and checksum (sum of its bytes) as little-endian 32-bit numbers, then
// "#BOOTCONFIG\n".
std::string bootconfigData(const std::string& text);

}  // namespace twoliter
