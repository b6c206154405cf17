#include "image/artifacts.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "util/error.h"
#include "util/files.h"

namespace twoliter {

std::string ImageIdentity::filePrefix() const {
    return linkPrefix() + "-" + versionDirectory();
}

std::string ImageIdentity::linkPrefix() const {
    return name + "-" + variant + "-" + archName(arch);
}

std::string ImageIdentity::variantDirectory() const {
    return std::string(archName(arch)) + "-" + variant;
}

std::string ImageIdentity::versionDirectory() const {
    return versionId + "-" + buildId;
}

namespace {

// upstream's image suffixes (imghelper): the update root and its hash tree
// share "-root".
constexpr const char* kDataSuffix = "-data";
constexpr const char* kBootSuffix = "-boot";
constexpr const char* kRootSuffix = "-root";

Artifact artifact(const ImageIdentity& identity, ArtifactRole role, const std::string& suffix,
                  const std::string& extension) {
    return {role, identity.filePrefix() + suffix + "." + extension, suffix, extension};
}

std::string diskExtension(ImageFormat format, const std::string& compressed) {
    switch (format) {
        case ImageFormat::Raw:
            return "img." + compressed;
        case ImageFormat::Qcow2:
            return "qcow2";
        case ImageFormat::Vmdk:
            return "vmdk";
    }
    return "";
}

}  // namespace

std::vector<Artifact> variantArtifacts(const ImageIdentity& identity, ImageFormat format,
                                       PartitionPlan plan, ImageCompression compression) {
    std::string compressed = compression == ImageCompression::Lz4 ? "lz4" : "zst";
    std::string disk = diskExtension(format, compressed);
    std::vector<Artifact> artifacts{artifact(identity, ArtifactRole::OsImage, "", disk)};
    if (plan == PartitionPlan::Split)
        artifacts.push_back(artifact(identity, ArtifactRole::DataImage, kDataSuffix, disk));
    if (format == ImageFormat::Vmdk)
        artifacts.push_back(artifact(identity, ArtifactRole::Ova, "", "ova"));
    artifacts.push_back(
        artifact(identity, ArtifactRole::BootImage, kBootSuffix, "ext4." + compressed));
    artifacts.push_back(
        artifact(identity, ArtifactRole::VerityImage, kRootSuffix, "verity." + compressed));
    artifacts.push_back(
        artifact(identity, ArtifactRole::RootImage, kRootSuffix, "ext4." + compressed));
    artifacts.push_back({ArtifactRole::Inventory, "application-inventory.json", "", ""});
    return artifacts;
}

std::vector<std::string> artifactLinkNames(const ImageIdentity& identity,
                                           const Artifact& artifact) {
    if (artifact.extension.empty())
        return {};
    std::string tail = artifact.suffix + "." + artifact.extension;
    std::string prefix = identity.linkPrefix();
    return {prefix + tail, prefix + "-" + identity.versionId + tail,
            prefix + "-v" + identity.versionId + tail};
}

void replaceSymlink(const std::string& target, const std::string& link) {
    std::string temporary = link + ".tmp-" + uniqueSuffix();
    if (::symlink(target.c_str(), temporary.c_str()) != 0)
        throw Error(std::string("cannot create symlink: ") + std::strerror(errno), {link});
    if (std::rename(temporary.c_str(), link.c_str()) != 0) {
        int error = errno;
        ::unlink(temporary.c_str());
        throw Error(std::string("cannot replace symlink: ") + std::strerror(error), {link});
    }
}

void linkArtifacts(const std::string& dir, const ImageIdentity& identity,
                   const std::vector<Artifact>& artifacts) {
    for (const auto& artifact : artifacts) {
        std::vector<std::string> links = artifactLinkNames(identity, artifact);
        if (links.empty())
            continue;
        if (!isRegularFile(dir + "/" + artifact.fileName))
            throw Error("the artifact to link to does not exist", {dir + "/" + artifact.fileName});
        for (const auto& link : links)
            replaceSymlink(artifact.fileName, dir + "/" + link);
    }
}

void linkLatest(const std::string& variantDir, const std::string& versionDirectory) {
    if (!isDirectory(variantDir + "/" + versionDirectory))
        throw Error("the build folder to link to does not exist",
                    {variantDir + "/" + versionDirectory});
    replaceSymlink(versionDirectory, variantDir + "/latest");
}

}  // namespace twoliter
