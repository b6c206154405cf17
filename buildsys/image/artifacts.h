#pragma once

#include <string>
#include <vector>

#include "project/model.h"

namespace twoliter {

// Who an image is: the parts of its artifact names and of its os-release.
struct ImageIdentity {
    // upstream's BUILDSYS_NAME (file names) and BUILDSYS_PRETTY_NAME
    // (os-release's PRETTY_NAME, GRUB's menu entry), with upstream's defaults.
    std::string name = "bottlerocket";
    std::string prettyName = "Bottlerocket OS";
    std::string variant;
    Arch arch = Arch::X86_64;
    std::string versionId;  // Release.toml's version, os-release's VERSION_ID
    std::string buildId;    // the short commit id, os-release's BUILD_ID

    // "<name>-<variant>-<arch>-<versionId>-<buildId>": every artifact file
    // name starts with it (upstream's FILENAME_PREFIX).
    std::string filePrefix() const;
    // "<name>-<variant>-<arch>": the friendly links start with it.
    std::string linkPrefix() const;
    // "<arch>-<variant>": the folder under build/images/ of the variant's
    // builds.
    std::string variantDirectory() const;
    // "<versionId>-<buildId>": the folder, inside that one, of one build's
    // artifacts.
    std::string versionDirectory() const;
};

enum class ArtifactRole { OsImage, DataImage, Ova, BootImage, RootImage, VerityImage, Inventory };

// One file a variant build writes into its version folder.
struct Artifact {
    ArtifactRole role;
    std::string fileName;
    // Links to it are "<linkPrefix><versionPart><suffix>.<extension>" with
    // versionPart "", "-<versionId>" and "-v<versionId>" (upstream's
    // symlink_image); no links when extension is empty.
    std::string suffix;
    std::string extension;
};

// The files upstream's rpm2img writes for a variant, named as it names
// them, in its order: the OS image ("<prefix>.img.<c>" for raw, ".qcow2",
// ".vmdk"), for the split plan the data image ("<prefix>-data.…"), for vmdk
// the OVA ("<prefix>.ova"), the update images ("<prefix>-boot.ext4.<c>",
// "<prefix>-root.verity.<c>", "<prefix>-root.ext4.<c>", also for an erofs
// root), and application-inventory.json. <c> is "lz4" (upstream) or "zst".
std::vector<Artifact> variantArtifacts(const ImageIdentity& identity, ImageFormat format,
                                       PartitionPlan plan, ImageCompression compression);

// The three friendly link names of artifact (none for the inventory).
std::vector<std::string> artifactLinkNames(const ImageIdentity& identity, const Artifact& artifact);

// Creates every friendly link of artifacts in dir, each pointing at the
// artifact's file name (relative, same folder). A link is made under a
// temporary name and renamed over the old one, so a reader sees the old or
// the new link, never none. Throws Error naming the link that cannot be made
// or an artifact file that is missing.
void linkArtifacts(const std::string& dir, const ImageIdentity& identity,
                   const std::vector<Artifact>& artifacts);

// <variantDir>/latest -> <versionDirectory> (relative), replaced
// atomically; variantDir is build/images/<arch>-<variant>.
void linkLatest(const std::string& variantDir, const std::string& versionDirectory);

// Makes link (a path) a symlink to target, replacing whatever link was
// there through a temporary name and a rename. Throws Error naming link.
void replaceSymlink(const std::string& target, const std::string& link);

}  // namespace twoliter
