// The push half of the registry client: blobs, manifests, indexes.
#include <filesystem>
#include <set>

#include "oci/registry_client.h"
#include "oci/registry_internal.h"
#include "util/digest.h"
#include "util/files.h"
#include "util/json_writer.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {

// An OCI image layout on disk, as pushed from.
struct LocalLayout {
    std::string root;
    struct Entry {
        OciDescriptor descriptor;
        Platform platform;
    };
    std::vector<Entry> manifests;

    std::string blobPath(const std::string& digest) const {
        return root + "/blobs/sha256/" + sha256DigestHex(digest, root + "/index.json");
    }

    // A manifest or config, read whole and checked against its descriptor.
    std::string readSmallBlob(const OciDescriptor& descriptor) const {
        std::string path = blobPath(descriptor.digest);
        if (!isRegularFile(path))
            throw Error("the layout has no blob " + descriptor.digest, {root});
        if (fs::file_size(path) > kMaxManifestBytes)
            throw Error("the blob is larger than 4 MiB", {path});
        std::string bytes = readFile(path);
        if ("sha256:" + sha256Hex(bytes) != descriptor.digest)
            throw Error("the blob does not match its digest " + shortDigest(descriptor.digest),
                        {path}, "the layout is damaged");
        return bytes;
    }
};

LocalLayout readLayout(const std::string& dir) {
    LocalLayout layout;
    layout.root = dir;
    while (layout.root.size() > 1 && layout.root.back() == '/')
        layout.root.pop_back();
    if (!isRegularFile(layout.root + "/oci-layout") || !isRegularFile(layout.root + "/index.json"))
        throw Error("not an OCI image layout (no oci-layout or index.json)", {dir});
    std::string indexPath = layout.root + "/index.json";
    JsonValue index = parseJson(readFile(indexPath), indexPath);
    const auto* manifests = index.find("manifests");
    if (!manifests || !manifests->isArray() || manifests->items().empty())
        throw Error("the layout lists no image", {indexPath});
    for (const auto& entry : manifests->items())
        layout.manifests.push_back({parseDescriptor(entry, indexPath, "an index entry"),
                                    platformOf(entry.find("platform"))});
    return layout;
}

void putManifest(RegistrySession& session, const std::string& target, const std::string& bytes,
                 const std::string& mediaType, const std::string& digest,
                 const std::string& where) {
    HttpRequest request;
    request.method = "PUT";
    request.url = session.url("/manifests/" + target);
    request.headers.push_back("Content-Type: " + mediaType);
    request.hasBody = true;
    request.body = bytes;
    request.maxBodyInMemory = 1u << 20;
    HttpResponse response = session.send(request, where);
    if (!response.ok())
        throw session.failure(response, "cannot push manifest " + shortDigest(digest), where);
    std::string stored = response.header("docker-content-digest");
    if (!stored.empty() && stored != digest)
        throw Error(
            "the registry stored manifest " + shortDigest(digest) + " as " + shortDigest(stored),
            {where}, "the registry rewrote the manifest");
}

void pushBlob(RegistrySession& session, const LocalLayout& layout, const OciDescriptor& descriptor,
              const std::string& where) {
    std::string path = layout.blobPath(descriptor.digest);
    if (!isRegularFile(path))
        throw Error("the layout has no blob " + descriptor.digest, {layout.root});
    if (descriptor.size != 0 && fs::file_size(path) != descriptor.size)
        throw Error("the blob is " + std::to_string(fs::file_size(path)) +
                        " bytes, its descriptor lists " + std::to_string(descriptor.size),
                    {path}, "the layout is damaged");
    std::string name = shortDigest(descriptor.digest);

    HttpRequest head;
    head.method = "HEAD";
    head.url = session.url("/blobs/" + descriptor.digest);
    HttpResponse present = session.send(head, where);
    if (present.ok())
        return;
    if (present.status != 404)
        throw session.failure(present, "cannot check blob " + name, where);

    HttpRequest start;
    start.method = "POST";
    start.url = session.url("/blobs/uploads/");
    HttpResponse started = session.send(start, where);
    std::string location = started.header("location");
    if (!started.ok() || location.empty())
        throw session.failure(started, "cannot start the upload of blob " + name, where);
    if (startsWith(location, "/"))
        location = session.base() + location;
    HttpRequest put;
    put.method = "PUT";
    put.url = location + (location.find('?') == std::string::npos ? "?" : "&") +
              "digest=" + urlEncode(descriptor.digest);
    put.headers.push_back("Content-Type: application/octet-stream");
    put.bodyFile = path;
    put.maxBodyInMemory = 1u << 20;
    HttpResponse stored = session.send(put, where);
    if (!stored.ok()) {
        std::string detail = registryErrors(stored.body);
        throw session.failure(stored, "cannot upload blob " + name, where,
                              detail.find("DIGEST_INVALID") != std::string::npos
                                  ? "the layout's blob does not match its digest"
                                  : "");
    }
}

// Pushes a manifest (its blobs first) or an index (its manifests first),
// then the manifest itself under target. Returns its digest.
std::string pushManifestTree(RegistrySession& session, const LocalLayout& layout,
                             const OciDescriptor& descriptor, const std::string& target,
                             const std::string& where, int depth) {
    if (depth > 2)
        throw Error("image indexes are nested too deeply", {layout.root});
    std::string bytes = layout.readSmallBlob(descriptor);
    std::string blobName = layout.blobPath(descriptor.digest);
    JsonValue json = parseJson(bytes, blobName);
    std::string mediaType = manifestMediaType(json, descriptor.mediaType);
    if (isIndexType(mediaType)) {
        const auto* manifests = json.find("manifests");
        if (!manifests || !manifests->isArray())
            throw Error("an index without manifests", {blobName});
        for (const auto& entry : manifests->items()) {
            OciDescriptor child = parseDescriptor(entry, blobName, "an index entry");
            pushManifestTree(session, layout, child, child.digest, where, depth + 1);
        }
    } else {
        ImageManifest manifest = parseImageManifest(bytes, blobName);
        pushBlob(session, layout, manifest.config, where);
        for (const auto& layer : manifest.layers)
            pushBlob(session, layout, layer, where);
    }
    putManifest(session, target, bytes, mediaType, descriptor.digest, where);
    return descriptor.digest;
}

}  // namespace

std::string RegistryClient::pushImage(const std::string& ociLayout, const ImageReference& ref) {
    std::string where = ref.str();
    LocalLayout layout = readLayout(ociLayout);
    if (layout.manifests.size() != 1)
        throw Error("the layout lists " + std::to_string(layout.manifests.size()) +
                        " images; pushImage pushes one",
                    {layout.root + "/index.json"},
                    "push one layout per architecture with pushIndex");
    const OciDescriptor& descriptor = layout.manifests.front().descriptor;
    if (!ref.digest.empty() && ref.digest != descriptor.digest)
        throw Error("the layout's image is " + shortDigest(descriptor.digest) +
                        ", not the digest the reference names",
                    {where});
    std::string target = ref.tag.empty() ? descriptor.digest : ref.tag;
    return pushManifestTree(session(ref, true), layout, descriptor, target, where, 0);
}

std::string RegistryClient::pushIndex(const std::vector<PlatformImage>& images,
                                      const ImageReference& ref) {
    std::string where = ref.str();
    if (images.empty())
        throw Error("an index needs at least one image", {where});
    RegistrySession& registry = session(ref, true);
    JsonWriter index(false);
    index.beginObject().key("schemaVersion").value(int64_t(2));
    index.key("mediaType").value(oci::kIndex);
    index.key("manifests").beginArray();
    std::set<std::string> seen;
    for (const auto& image : images) {
        LocalLayout layout = readLayout(image.ociLayout);
        if (layout.manifests.size() != 1)
            throw Error("the layout lists " + std::to_string(layout.manifests.size()) +
                            " images; an index entry needs one",
                        {layout.root + "/index.json"});
        const auto& entry = layout.manifests.front();
        std::string bytes = layout.readSmallBlob(entry.descriptor);
        std::string blobName = layout.blobPath(entry.descriptor.digest);
        JsonValue json = parseJson(bytes, blobName);
        std::string mediaType = manifestMediaType(json, entry.descriptor.mediaType);
        if (isIndexType(mediaType))
            throw Error("the layout holds an index, not an image", {layout.root});
        ImageManifest manifest = parseImageManifest(bytes, blobName);
        // The config says what the image is; index.json's platform is a fallback.
        Platform platform = entry.platform;
        try {
            JsonValue config = parseJson(layout.readSmallBlob(manifest.config),
                                         layout.blobPath(manifest.config.digest));
            Platform fromConfig = platformOf(&config);
            if (!fromConfig.architecture.empty())
                platform = fromConfig;
        } catch (const Error&) {
        }
        if (!image.architecture.empty())
            platform.architecture = image.architecture;
        platform.architecture = normalizeArch(platform.architecture);
        if (platform.os.empty())
            platform.os = "linux";
        if (platform.architecture.empty())
            throw Error("cannot tell the image's architecture", {layout.root},
                        "name it in PlatformImage::architecture");
        if (!seen.insert(platform.str()).second)
            throw Error("two images for " + platform.str() + " in one index", {layout.root});
        pushManifestTree(registry, layout, entry.descriptor, entry.descriptor.digest, where, 0);
        index.beginObject().key("mediaType").value(mediaType);
        index.key("digest").value(entry.descriptor.digest);
        index.key("size").value(static_cast<int64_t>(bytes.size()));
        index.key("platform").beginObject();
        index.key("architecture").value(platform.architecture).key("os").value(platform.os);
        if (!platform.variant.empty())
            index.key("variant").value(platform.variant);
        index.endObject().endObject();
    }
    index.endArray().endObject();
    std::string digest = "sha256:" + sha256Hex(index.str());
    if (!ref.digest.empty() && ref.digest != digest)
        throw Error("the index is " + shortDigest(digest) + ", not the digest the reference names",
                    {where});
    putManifest(registry, ref.tag.empty() ? digest : ref.tag, index.str(), oci::kIndex, digest,
                where);
    return digest;
}

}  // namespace twoliter
