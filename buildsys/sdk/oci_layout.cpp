#include "sdk/oci_layout.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "sdk/json_reader.h"
#include "sdk/tar.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/files.h"
#include "util/json_writer.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {

void fsyncFile(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw Error(std::string("cannot open file: ") + std::strerror(errno), {path});
    int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0)
        throw Error(std::string("cannot sync file: ") + std::strerror(errno), {path});
}

// The files of an image source, by name.
class SourceFiles {
  public:
    virtual ~SourceFiles() = default;
    virtual std::optional<BlobLocation> find(const std::string& name) const = 0;
};

class FolderFiles final : public SourceFiles {
  public:
    explicit FolderFiles(std::string root) : root_(std::move(root)) {}
    std::optional<BlobLocation> find(const std::string& name) const override {
        std::string relative = normalizeTarPath(name);
        for (const auto& part : splitString(relative, '/'))
            if (part == "..")
                return std::nullopt;
        std::string path = root_ + "/" + relative;
        std::error_code ec;
        if (relative.empty() || !fs::is_regular_file(path, ec))
            return std::nullopt;
        return BlobLocation{path, 0, static_cast<uint64_t>(fs::file_size(path, ec))};
    }

  private:
    std::string root_;
};

// Members of an uncompressed tar, located by one pass over its headers.
class TarFiles final : public SourceFiles {
  public:
    explicit TarFiles(const std::string& tarPath) {
        FileRangeSource source(tarPath);
        TarReader reader(source, tarPath);
        TarEntry entry;
        while (reader.next(entry)) {
            if (entry.type == TarType::File)
                files_[entry.path] = {tarPath, reader.dataOffset(), entry.size};
            else if (entry.type == TarType::Symlink || entry.type == TarType::Hardlink)
                links_[entry.path] = {entry.type, entry.linkTarget};
        }
    }
    std::optional<BlobLocation> find(const std::string& name) const override {
        std::string path = normalizeTarPath(name);
        for (int hops = 0; hops < 16; ++hops) {
            if (auto it = files_.find(path); it != files_.end())
                return it->second;
            auto link = links_.find(path);
            if (link == links_.end())
                return std::nullopt;
            const auto& [type, target] = link->second;
            if (type == TarType::Hardlink) {
                path = target;
                continue;
            }
            fs::path resolved =
                startsWith(target, "/") ? fs::path(target) : fs::path(path).parent_path() / target;
            path = normalizeTarPath(resolved.lexically_normal().string());
        }
        return std::nullopt;
    }

  private:
    std::map<std::string, BlobLocation> files_;
    std::map<std::string, std::pair<TarType, std::string>> links_;
};

std::string readLocation(const BlobLocation& location) {
    if (location.size > (64u << 20))
        throw Error("metadata file of " + std::to_string(location.size) + " bytes is too large",
                    {location.file});
    std::string bytes(static_cast<size_t>(location.size), '\0');
    FileRangeSource source(location.file, location.offset, location.size);
    size_t done = 0;
    while (done < bytes.size()) {
        size_t n = source.read(bytes.data() + done, bytes.size() - done);
        if (n == 0)
            break;
        done += n;
    }
    return bytes;
}

struct Context {
    std::string source;
    const SourceFiles& files;

    [[noreturn]] void fail(const std::string& name, const std::string& message,
                           const std::string& hint = "") const {
        throw Error(message, {source, 0, name}, hint);
    }

    std::string readFile(const std::string& name) const {
        auto location = files.find(name);
        if (!location)
            fail(name, "the image has no file " + name);
        return readLocation(*location);
    }

    std::string blobName(const std::string& digest) const {
        return "blobs/sha256/" + sha256DigestHex(digest, source);
    }

    // A small blob's bytes, checked against its descriptor.
    std::string readBlob(const OciDescriptor& descriptor) const {
        std::string name = blobName(descriptor.digest);
        std::string bytes = readFile(name);
        std::string actual = sha256Hex(bytes);
        if ("sha256:" + actual != descriptor.digest)
            fail(
                name,
                "blob content does not match its digest (got sha256:" + actual.substr(0, 16) + "…)",
                "the image is damaged or was tampered with");
        if (descriptor.size != 0 && descriptor.size != bytes.size())
            fail(name, "blob is " + std::to_string(bytes.size()) + " bytes, its descriptor says " +
                           std::to_string(descriptor.size));
        return bytes;
    }

    OciDescriptor descriptor(const JsonValue& value, const std::string& where) const {
        if (!value.isObject())
            fail(where, "a descriptor is not an object");
        OciDescriptor d;
        if (const auto* mediaType = value.find("mediaType"))
            d.mediaType = mediaType->text();
        const auto* digest = value.find("digest");
        if (!digest || !digest->isString())
            fail(where, "a descriptor has no digest");
        d.digest = digest->text();
        sha256DigestHex(d.digest, source);
        if (const auto* size = value.find("size"))
            d.size = static_cast<uint64_t>(std::max<int64_t>(0, size->integer(0)));
        return d;
    }
};

bool platformMatches(const JsonValue& entry) {
    const auto* platform = entry.find("platform");
    if (!platform)
        return true;
    const auto* os = platform->find("os");
    const auto* arch = platform->find("architecture");
    return (!os || os->text() == "linux") && (!arch || arch->text() == hostOciArch());
}

bool isIndexType(const std::string& mediaType) {
    return mediaType == oci::kIndex ||
           mediaType == "application/vnd.docker.distribution.manifest.list.v2+json";
}

// The manifest descriptor for this machine among an index's entries.
OciDescriptor pickManifest(const Context& context, const JsonValue& index, const std::string& where,
                           int depth) {
    const auto* manifests = index.find("manifests");
    if (!manifests || !manifests->isArray() || manifests->items().empty())
        context.fail(where, "the index lists no image");
    std::vector<const JsonValue*> matching;
    for (const auto& entry : manifests->items())
        if (platformMatches(entry))
            matching.push_back(&entry);
    if (matching.empty())
        context.fail(where, "the index has no image for linux/" + hostOciArch());
    if (matching.size() > 1)
        context.fail(where,
                     "the index lists " + std::to_string(matching.size()) + " images for linux/" +
                         hostOciArch() + "; cannot tell which one is the SDK",
                     "export a layout or archive that holds one image");
    OciDescriptor chosen = context.descriptor(*matching.front(), where);
    if (isIndexType(chosen.mediaType)) {
        if (depth > 2)
            context.fail(where, "image indexes are nested too deeply");
        std::string bytes = context.readBlob(chosen);
        return pickManifest(context, parseJson(bytes, context.blobName(chosen.digest)),
                            context.blobName(chosen.digest), depth + 1);
    }
    return chosen;
}

std::vector<std::string> diffIdsOf(const Context& context, const JsonValue& config,
                                   const std::string& where) {
    std::vector<std::string> ids;
    const auto* rootfs = config.find("rootfs");
    const auto* diffIds = rootfs ? rootfs->find("diff_ids") : nullptr;
    if (!diffIds || !diffIds->isArray())
        context.fail(where, "the image config has no rootfs.diff_ids");
    for (const auto& id : diffIds->items()) {
        sha256DigestHex(id.text(), context.source);
        ids.push_back(id.text());
    }
    return ids;
}

ResolvedImage resolveOciLayout(const Context& context) {
    ResolvedImage image;
    image.format = "OCI image layout";
    JsonValue layout = parseJson(context.readFile("oci-layout"), "oci-layout");
    const auto* version = layout.find("imageLayoutVersion");
    if (!version || version->text().empty())
        context.fail("oci-layout", "no imageLayoutVersion");
    JsonValue index = parseJson(context.readFile("index.json"), "index.json");
    OciDescriptor manifestDescriptor = pickManifest(context, index, "index.json", 0);
    image.manifestDigest = manifestDescriptor.digest;
    image.manifest = context.readBlob(manifestDescriptor);
    std::string manifestName = context.blobName(manifestDescriptor.digest);
    JsonValue manifest = parseJson(image.manifest, manifestName);
    const auto* configValue = manifest.find("config");
    const auto* layers = manifest.find("layers");
    if (!configValue || !layers || !layers->isArray())
        context.fail(manifestName, "not an image manifest (no config or layers)");
    OciDescriptor config = context.descriptor(*configValue, manifestName);
    image.config = context.readBlob(config);
    std::vector<std::string> diffIds =
        diffIdsOf(context, parseJson(image.config, context.blobName(config.digest)),
                  context.blobName(config.digest));
    if (diffIds.size() != layers->items().size())
        context.fail(context.blobName(config.digest),
                     "the config lists " + std::to_string(diffIds.size()) + " diff_ids for " +
                         std::to_string(layers->items().size()) + " layers");
    for (size_t i = 0; i < layers->items().size(); ++i) {
        OciDescriptor layer = context.descriptor(layers->items()[i], manifestName);
        if (layer.mediaType.find("tar") == std::string::npos &&
            layer.mediaType.find("docker.image.rootfs") == std::string::npos)
            context.fail(manifestName, "layer " + std::to_string(i + 1) +
                                           " has unsupported media type " + layer.mediaType);
        std::string name = context.blobName(layer.digest);
        auto location = context.files.find(name);
        if (!location)
            context.fail(name, "the image has no blob for layer " + std::to_string(i + 1));
        if (layer.size != 0 && layer.size != location->size)
            context.fail(name, "blob is " + std::to_string(location->size) +
                                   " bytes, its descriptor says " + std::to_string(layer.size));
        image.layers.push_back({*location, name, layer.digest, diffIds[i], layer.mediaType});
    }
    return image;
}

ResolvedImage resolveDockerSave(const Context& context) {
    ResolvedImage image;
    image.format = "docker save archive";
    JsonValue manifest = parseJson(context.readFile("manifest.json"), "manifest.json");
    if (!manifest.isArray() || manifest.items().empty())
        context.fail("manifest.json", "lists no image");
    if (manifest.items().size() > 1)
        context.fail("manifest.json",
                     "lists " + std::to_string(manifest.items().size()) +
                         " images; cannot tell which one is the SDK",
                     "docker save one image only");
    const JsonValue& entry = manifest.items().front();
    const auto* configName = entry.find("Config");
    const auto* layerNames = entry.find("Layers");
    if (!configName || !configName->isString() || !layerNames || !layerNames->isArray())
        context.fail("manifest.json", "the entry has no Config or Layers");

    // The config's name carries its digest: "<hex>.json" or "blobs/sha256/<hex>".
    std::string name = normalizeTarPath(configName->text());
    std::string stem = fs::path(name).filename().string();
    if (endsWith(stem, ".json"))
        stem = stem.substr(0, stem.size() - 5);
    if (!isSha256Hex(stem))
        context.fail(name, "the config's name is not its SHA-256 digest, so it cannot be verified");
    image.config = context.readFile(name);
    OciDescriptor config{oci::kConfig, "sha256:" + stem, image.config.size()};
    if (sha256Hex(image.config) != stem)
        context.fail(name, "config content does not match its digest",
                     "the image is damaged or was tampered with");
    std::vector<std::string> diffIds = diffIdsOf(context, parseJson(image.config, name), name);
    if (diffIds.size() != layerNames->items().size())
        context.fail(name, "the config lists " + std::to_string(diffIds.size()) + " diff_ids for " +
                               std::to_string(layerNames->items().size()) + " layers");

    JsonWriter out(false);
    out.beginObject().key("schemaVersion").value(int64_t(2));
    out.key("mediaType").value(oci::kManifest);
    out.key("config").beginObject();
    out.key("mediaType").value(oci::kConfig).key("digest").value(config.digest);
    out.key("size").value(static_cast<int64_t>(config.size)).endObject();
    out.key("layers").beginArray();
    for (size_t i = 0; i < layerNames->items().size(); ++i) {
        std::string layerName = normalizeTarPath(layerNames->items()[i].text());
        auto location = context.files.find(layerName);
        if (!location)
            context.fail(layerName, "the archive has no file " + layerName);
        // Legacy archives store layers uncompressed under a random id: their
        // digest is the diff_id. Newer ones name them blobs/sha256/<hex>.
        std::string digest = diffIds[i];
        std::string base = fs::path(layerName).filename().string();
        if (startsWith(layerName, "blobs/sha256/") && isSha256Hex(base))
            digest = "sha256:" + base;
        std::string mediaType = oci::kLayerTar;
        switch (detectCompression(location->file, location->offset)) {
            case Compression::Gzip:
                mediaType = oci::kLayerGzip;
                break;
            case Compression::Zstd:
                mediaType = oci::kLayerZstd;
                break;
            case Compression::None:
                break;
        }
        image.layers.push_back({*location, layerName, digest, diffIds[i], mediaType});
        out.beginObject().key("mediaType").value(mediaType).key("digest").value(digest);
        out.key("size").value(static_cast<int64_t>(location->size)).endObject();
    }
    out.endArray().endObject();
    image.manifest = out.str();
    image.manifestDigest = "sha256:" + sha256Hex(image.manifest);
    return image;
}

}  // namespace

std::string sha256DigestHex(const std::string& digest, const std::string& what) {
    if (!startsWith(digest, "sha256:"))
        throw Error("unsupported digest " + digest + " (only sha256 is supported)", {what});
    std::string hex = digest.substr(7);
    if (!isSha256Hex(hex))
        throw Error("malformed digest " + digest, {what});
    return hex;
}

std::string hostOciArch() {
#if defined(__x86_64__)
    return "amd64";
#elif defined(__aarch64__)
    return "arm64";
#else
    return "unknown";
#endif
}

OciLayoutWriter::OciLayoutWriter(std::string root) : root_(std::move(root)) {
    fs::create_directories(root_ + "/blobs/sha256");
}

OciDescriptor OciLayoutWriter::addBlob(std::string_view bytes, const std::string& mediaType) {
    std::string hex = sha256Hex(bytes);
    std::string path = root_ + "/blobs/sha256/" + hex;
    if (!isRegularFile(path) || sha256FileHex(path) != hex)
        writeFileAtomic(path, std::string(bytes));
    return {mediaType, "sha256:" + hex, bytes.size()};
}

OciDescriptor OciLayoutWriter::moveBlob(const std::string& file, const std::string& sha256Hex,
                                        const std::string& mediaType) {
    fsyncFile(file);
    std::string path = root_ + "/blobs/sha256/" + sha256Hex;
    uint64_t size = fs::file_size(file);
    fs::rename(file, path);
    return {mediaType, "sha256:" + sha256Hex, size};
}

void OciLayoutWriter::writeIndex(const OciDescriptor& manifest, const std::string& architecture,
                                 const std::string& refName) {
    writeFileAtomic(root_ + "/oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
    JsonWriter out(true);
    out.beginObject().key("schemaVersion").value(int64_t(2));
    out.key("mediaType").value(oci::kIndex);
    out.key("manifests").beginArray().beginObject();
    out.key("mediaType").value(manifest.mediaType).key("digest").value(manifest.digest);
    out.key("size").value(static_cast<int64_t>(manifest.size));
    out.key("platform").beginObject();
    out.key("architecture").value(architecture).key("os").value("linux").endObject();
    if (!refName.empty()) {
        out.key("annotations").beginObject().key(oci::kRefName).value(refName).endObject();
    }
    out.endObject().endArray().endObject();
    writeFileAtomic(root_ + "/index.json", out.str() + "\n");
}

ResolvedImage resolveImage(const std::string& source, const std::string& scratchDir) {
    std::unique_ptr<SourceFiles> files;
    std::error_code ec;
    if (fs::is_directory(source, ec)) {
        files = std::make_unique<FolderFiles>(source);
    } else if (fs::is_regular_file(source, ec)) {
        std::string tarPath = source;
        if (detectCompression(source) != Compression::None) {
            fs::create_directories(scratchDir);
            tarPath = scratchDir + "/source.tar";
            auto decompressed = openDecompressed(source, 0, UINT64_MAX, source);
            copyToFile(*decompressed, tarPath);
        }
        files = std::make_unique<TarFiles>(tarPath);
    } else {
        throw Error("no such image: not a folder or a file", {source});
    }
    Context context{source, *files};
    if (files->find("oci-layout") && files->find("index.json"))
        return resolveOciLayout(context);
    if (files->find("manifest.json"))
        return resolveDockerSave(context);
    throw Error("not an OCI image layout or a docker save archive", {source},
                "an OCI layout has oci-layout and index.json; docker save writes manifest.json");
}

void verifyBlob(const BlobLocation& location, const std::string& digest, const std::string& source,
                const std::string& name) {
    std::string actual = sha256RangeHex(location.file, location.offset, location.size);
    if ("sha256:" + actual != digest)
        throw Error("blob content does not match its digest " + digest.substr(0, 19) +
                        "… (got sha256:" + actual.substr(0, 12) + "…)",
                    {source, 0, name}, "the image is damaged or was tampered with");
}

}  // namespace twoliter
