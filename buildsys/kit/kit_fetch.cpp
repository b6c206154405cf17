#include "kit/kit_fetch.h"

#include <filesystem>

#include "kit/kit_image.h"
#include "kit/layout_archive.h"
#include "kit/lock_digest.h"
#include "sdk/byte_stream.h"
#include "sdk/json_reader.h"
#include "sdk/rootfs_unpacker.h"
#include "sdk/tar.h"
#include "util/canonical_json.h"
#include "util/error.h"
#include "util/file_lock.h"
#include "util/files.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {

constexpr const char* kLockMarker = ".lock-digest";
constexpr const char* kDigestMarker = "digest";

// What .lock-digest holds: the lock entry the folder was unpacked from.
std::string lockMarker(const LockedImage& kit) {
    return kit.source + "\n" + kit.digest + "\n";
}

bool isUpToDate(const std::string& dir, const LockedImage& kit) {
    return readFileIfExists(dir + "/" + kLockMarker) == lockMarker(kit) &&
           isRegularFile(dir + "/repodata/repomd.xml");
}

void say(const std::function<void(const std::string&)>& progress, const std::string& message) {
    if (progress)
        progress(message);
}

// The digest of the index's image for linux/ociArch.
std::string platformImage(const RegistryManifest& index, const std::string& ociArch,
                          const std::string& where) {
    if (!index.isIndex())
        throw Error("the kit is a single image, not an image index", {where});
    JsonValue json = parseJson(index.bytes, where);
    const JsonValue* manifests = json.find("manifests");
    if (manifests && manifests->isArray()) {
        for (const auto& entry : manifests->items()) {
            const JsonValue* platform = entry.find("platform");
            const JsonValue* arch = platform ? platform->find("architecture") : nullptr;
            const JsonValue* os = platform ? platform->find("os") : nullptr;
            const JsonValue* digest = entry.find("digest");
            if (arch && arch->text() == ociArch && (!os || os->text() == "linux") && digest)
                return digest->text();
        }
    }
    throw Error("the kit has no image for linux/" + ociArch, {where},
                "publish the kit for this architecture, or build for another one");
}

// Applies one layer blob, checking its digest as it streams.
void applyVerifiedLayer(RootfsUnpacker& unpacker, const std::string& layoutDir,
                        const OciDescriptor& layer, const std::string& what) {
    if (layer.mediaType != oci::kLayerTar &&
        layer.mediaType != "application/vnd.docker.image.rootfs.diff.tar")
        throw Error(
            "a layer has media type " + layer.mediaType + "; kit layers are uncompressed tars",
            {what});
    std::string hex = sha256DigestHex(layer.digest, what);
    FileRangeSource file(layoutDir + "/blobs/sha256/" + hex);
    HashingSource hashing(file);
    TarReader reader(hashing, what);
    unpacker.applyLayer(reader, what);
    hashing.drain();
    if (hashing.hex() != hex)
        throw Error("layer " + layer.digest.substr(0, 19) + "… does not match its digest", {what},
                    "the cached image is damaged");
}

// Puts a complete folder at target, replacing what is there.
void installFolder(const std::string& temporary, const std::string& target) {
    std::error_code ec;
    std::string old;
    if (fs::exists(fs::symlink_status(target, ec))) {
        old = target + ".old-" + uniqueSuffix();
        fs::rename(target, old, ec);
        if (ec)
            throw Error("cannot replace the kit folder: " + ec.message(), {target});
    }
    fs::rename(temporary, target, ec);
    if (ec) {
        std::error_code ignored;
        if (!old.empty())
            fs::rename(old, target, ignored);
        throw Error("cannot move the kit folder into place: " + ec.message(), {target});
    }
    if (!old.empty())
        removeTree(old);
}

// Unpacks the image in the cache layout into the kit folder, whole.
void unpackKit(const std::string& cacheDir, const std::string& manifestDigest,
               const std::string& targetDir, const LockedImage& kit) {
    LayoutImage image = readLayoutImage(cacheDir);
    if (image.manifest.digest != manifestDigest)
        throw Error("the cached image is " + image.manifest.digest + ", not " + manifestDigest,
                    {cacheDir});
    fs::create_directories(fs::path(targetDir).parent_path());
    std::string temporary = targetDir + ".part-" + uniqueSuffix();
    TreeGuard guard(temporary);
    fs::create_directories(temporary);
    {
        RootfsUnpacker unpacker(temporary);
        for (size_t i = 0; i < image.layers.size(); ++i)
            applyVerifiedLayer(unpacker, cacheDir, image.layers[i],
                               cacheDir + " layer " + std::to_string(i + 1));
        unpacker.finish();
    }
    if (!isRegularFile(temporary + "/repodata/repomd.xml"))
        throw Error("the kit image holds no repodata/repomd.xml", {kit.source});
    writeFileAtomic(temporary + "/" + kDigestMarker, manifestDigest);
    writeFileAtomic(temporary + "/" + kLockMarker, lockMarker(kit));
    installFolder(temporary, targetDir);
    guard.release();
}

void fetchKit(const std::string& buildDir, const LockedImage& kit, const std::string& arch,
              RegistryClient& client, const std::function<void(const std::string&)>& progress) {
    ImageReference ref = parseImageReference(kit.source);
    std::string where = ref.str();
    say(progress, "fetching kit " + where + " for " + arch);
    RegistryManifest index = client.fetchManifest(ref);
    std::string digest = lockDigest(index.bytes, where);
    if (digest != kit.digest)
        throw Error("the kit changed in the registry since Twoliter.lock was written (locked " +
                        kit.digest + ", now " + digest + ")",
                    {where},
                    "run `twoliter update` if the new image is expected, then fetch again");
    ImageReference pinned = ref;
    pinned.digest = platformImage(index, ociArchOf(arch), where);
    std::string cacheDir =
        buildDir + "/external-kits/cache/sha256-" + sha256DigestHex(pinned.digest, where);
    std::string targetDir = externalKitDir(buildDir, kit, arch);
    if (isRegularFile(cacheDir + "/index.json")) {
        try {
            unpackKit(cacheDir, pinned.digest, targetDir, kit);
            return;
        } catch (const Error& error) {
            say(progress, "the cached image of " + where + " is unusable (" + error.what() +
                              "); pulling it again");
            removeTree(cacheDir);
        }
    }
    client.pullImage(pinned, cacheDir, ociArchOf(arch));
    unpackKit(cacheDir, pinned.digest, targetDir, kit);
}

CanonicalJson lockedImageJson(const LockedImage& image) {
    CanonicalJson json = CanonicalJson::object();
    json.set("name", image.name);
    json.set("version", image.version);
    json.set("vendor", image.vendor);
    json.set("source", image.source);
    json.set("digest", image.digest);
    return json;
}

}  // namespace

std::string externalKitDir(const std::string& buildDir, const LockedImage& kit,
                           const std::string& arch) {
    return buildDir + "/external-kits/" + kit.vendor + "/" + kit.name + "/" + arch;
}

std::string externalKitMetadata(const TwoliterLock& lock) {
    if (!lock.sdk)
        throw Error("Twoliter.lock has no [sdk]", {lock.path},
                    "run `twoliter update` to write the lock again");
    CanonicalJson kits = CanonicalJson::array();
    for (const auto& kit : lock.kits)
        kits.push(lockedImageJson(kit));
    CanonicalJson metadata = CanonicalJson::object();
    metadata.set("sdk", lockedImageJson(*lock.sdk));
    metadata.set("kit", std::move(kits));
    return metadata.str();
}

FetchSummary fetchKits(const std::string& buildDir, const TwoliterLock& lock,
                       const std::string& arch, RegistryClient& client,
                       const std::function<void(const std::string&)>& progress) {
    ociArchOf(arch);
    std::string metadata = externalKitMetadata(lock);
    std::string root = buildDir + "/external-kits";
    fs::create_directories(root);
    FileLock held(root + "/.lock", [&](const std::string& holder) {
        say(progress, "waiting for " + holder + ", which is fetching kits into " + root);
    });
    FetchSummary summary;
    for (const auto& kit : lock.kits) {
        if (isUpToDate(externalKitDir(buildDir, kit, arch), kit)) {
            ++summary.upToDate;
            continue;
        }
        fetchKit(buildDir, kit, arch, client, progress);
        ++summary.fetched;
    }
    std::string metadataPath = root + "/external-kit-metadata.json";
    if (readFileIfExists(metadataPath) != metadata) {
        writeFileAtomic(metadataPath, metadata);
        summary.metadataWritten = true;
    }
    return summary;
}

}  // namespace twoliter
