#include "kit/kit_publish.h"

#include <filesystem>

#include "kit/kit_image.h"
#include "kit/kit_metadata.h"
#include "kit/layout_archive.h"
#include "kit/lock_digest.h"
#include "util/canonical_json.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/files.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {

struct ArchImage {
    std::string arch;
    std::string tar;
    LayoutImage image;
};

// Checks that the tar is the kit image the caller says it is.
void checkKitImage(const ArchImage& image, const std::string& kit, const std::string& version) {
    KitMetadata metadata = kitMetadataOfConfig(image.image.configBytes, image.tar);
    if (metadata.name != kit || metadata.version != version)
        throw Error("the image is kit " + metadata.name + " " + metadata.version + ", not " + kit +
                        " " + version,
                    {image.tar});
    if (image.image.architecture != ociArchOf(image.arch))
        throw Error("the image is for " + image.image.architecture + ", not " + image.arch,
                    {image.tar});
}

// index.json of a layout naming one manifest or index.
void pointLayoutAt(const std::string& layoutDir, const OciDescriptor& descriptor) {
    CanonicalJson entry = CanonicalJson::object();
    entry.set("mediaType", descriptor.mediaType);
    entry.set("digest", descriptor.digest);
    entry.set("size", static_cast<int64_t>(descriptor.size));
    CanonicalJson index = CanonicalJson::object();
    index.set("schemaVersion", int64_t(2));
    index.set("manifests", CanonicalJson::array().push(std::move(entry)));
    writeFileAtomic(layoutDir + "/index.json", index.str());
}

// The multi-arch index, canonical JSON, entries in arch order.
std::string indexJson(const std::vector<ArchImage>& images) {
    CanonicalJson manifests = CanonicalJson::array();
    for (const auto& image : images) {
        CanonicalJson platform = CanonicalJson::object();
        platform.set("architecture", image.image.architecture);
        platform.set("os", std::string("linux"));
        CanonicalJson entry = CanonicalJson::object();
        entry.set("mediaType", image.image.manifest.mediaType);
        entry.set("digest", image.image.manifest.digest);
        entry.set("size", static_cast<int64_t>(image.image.manifest.size));
        entry.set("platform", std::move(platform));
        manifests.push(std::move(entry));
    }
    CanonicalJson index = CanonicalJson::object();
    index.set("schemaVersion", int64_t(2));
    index.set("mediaType", std::string(oci::kIndex));
    index.set("manifests", std::move(manifests));
    return index.str();
}

}  // namespace

std::map<std::string, std::string> findKitImageTars(const std::string& kitDir,
                                                    const std::string& kit,
                                                    const std::string& version,
                                                    const std::string& buildId) {
    std::map<std::string, std::string> tars;
    for (const char* arch : {"aarch64", "x86_64"}) {
        std::string path = kitDir + "/" + kitImageFileName(kit, version, buildId, arch);
        if (isRegularFile(path))
            tars[arch] = path;
    }
    return tars;
}

PublishedKit publishKit(const std::map<std::string, std::string>& tarsPerArch,
                        const std::string& registryPrefix, const std::string& kit,
                        const std::string& version, const std::string& buildId,
                        RegistryClient& client,
                        const std::function<void(const std::string&)>& progress) {
    std::string base = registryPrefix + "/" + kit;
    ImageReference target = parseImageReference(base + ":v" + version);
    if (tarsPerArch.empty())
        throw Error("no kit image to publish", {target.str()},
                    "build the kit first (its image is build/kits/" + kit + "/" +
                        kitImageFileName(kit, version, buildId, "<arch>") + ")");
    std::vector<ArchImage> images;
    for (const auto& [arch, tar] : tarsPerArch) {
        images.push_back({arch, tar, readLayoutImage(tar)});
        checkKitImage(images.back(), kit, version);
    }

    // One layout holding the blobs of every arch; index.json names what is
    // pushed next. Next to the tars: the same file system, which has room.
    fs::path tarDir = fs::absolute(images.front().tar).parent_path();
    std::string scratch = (tarDir / (".publish-" + kit + "-" + uniqueSuffix())).string();
    TreeGuard guard(scratch);
    std::string layoutDir = scratch + "/layout";
    for (const auto& image : images)
        unpackLayoutTar(image.tar, layoutDir);

    PublishedKit published;
    published.reference = target.str();
    for (const auto& image : images) {
        ImageReference ref =
            parseImageReference(base + ":v" + version + "-" + buildId + "-" + image.arch);
        if (progress)
            progress("pushing " + image.arch + " image to " + ref.str());
        pointLayoutAt(layoutDir, image.image.manifest);
        published.imageDigests[image.arch] = client.pushImage(layoutDir, ref);
    }
    OciLayoutWriter layout(layoutDir);
    OciDescriptor index = layout.addBlob(indexJson(images), oci::kIndex);
    pointLayoutAt(layoutDir, index);
    if (progress)
        progress("pushing the index of " + std::to_string(images.size()) + " images to " +
                 target.str());
    published.indexDigest = client.pushImage(layoutDir, target);
    published.lockDigest = base64FromHex(sha256DigestHex(published.indexDigest, target.str()));
    return published;
}

}  // namespace twoliter
