#pragma once

// A kit's repository packed as an OCI image, as upstream's rpm2kit does:
// one uncompressed tar layer per Packages/<package> folder and one for
// repodata/, the kit metadata in the config label dev.bottlerocket.kit.v2,
// the layout tarred to build/kits/<kit>/<kit>-v<version>-<build-id>-<arch>.tar.
// Unlike rpm2kit, everything is deterministic: entries sorted by name,
// owner 0:0, modes 0755/0644, every time SOURCE_DATE_EPOCH; manifest, config
// and index as canonical JSON (so a manifest's OCI digest and its lock
// digest share one SHA-256).

#include <cstdint>
#include <string>
#include <vector>

#include "kit/kit_metadata.h"

namespace twoliter {

struct KitImageInput {
    // build/kits/<kit>/<arch>/: Packages/<package>/*.rpm and repodata/.
    std::string repositoryDir;
    KitMetadata metadata;
    std::string arch;  // "x86_64" or "aarch64"
    int64_t sourceDateEpoch = 0;
    std::string outputTar;
};

struct KitImage {
    std::string tarPath;
    std::string manifestDigest;  // "sha256:<hex>"
    std::string configDigest;
    std::vector<std::string> layerDigests;  // Packages/<package>… in name order, then repodata
};

// "<kit>-v<version>-<build-id>-<arch>.tar", the file name upstream gives it.
std::string kitImageFileName(const std::string& kit, const std::string& version,
                             const std::string& buildId, const std::string& arch);

// "amd64"/"arm64" for "x86_64"/"aarch64"; throws Error for other names.
std::string ociArchOf(const std::string& arch);

// Writes the kit image. Throws Error naming the file for a repository
// without repodata/repomd.xml, a file directly under Packages/, a symlink
// or special file, or an unknown arch. Nothing is left at outputTar (nor
// next to it) on failure.
KitImage writeKitImage(const KitImageInput& input);

// What a kit image tar (or its unpacked OCI layout) holds.
struct KitImageInfo {
    KitMetadata metadata;
    std::string architecture;  // "amd64", "arm64"
    std::string manifestDigest;
};

// Reads a kit image's manifest and config (verified) and its label. Throws
// Error naming source when it is not a kit.
KitImageInfo readKitImage(const std::string& source);

}  // namespace twoliter
