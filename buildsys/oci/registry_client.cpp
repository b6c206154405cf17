#include "oci/registry_client.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

#include "oci/registry_internal.h"
#include "oci/registry_transport.h"
#include "sdk/json_reader.h"
#include "util/digest.h"
#include "util/files.h"
#include "util/json_writer.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace registry_internal {

bool isIndexType(const std::string& mediaType) {
    return mediaType == oci::kIndex || mediaType == oci::kDockerManifestList;
}

// "sha256:0123456789ab…" for messages.
std::string shortDigest(const std::string& digest) {
    return digest.size() > 19 ? digest.substr(0, 19) + "…" : digest;
}

Challenge parseChallenge(const std::string& text) {
    Challenge challenge;
    size_t i = 0;
    auto skip = [&](const char* chars) {
        while (i < text.size() && std::strchr(chars, text[i]))
            ++i;
    };
    skip(" ");
    while (i < text.size() && text[i] != ' ')
        challenge.scheme += text[i++];
    while (i < text.size()) {
        skip(" ,");
        std::string name;
        while (i < text.size() && text[i] != '=' && text[i] != ',')
            name += text[i++];
        if (i >= text.size() || text[i] != '=')
            continue;
        ++i;
        std::string value;
        if (i < text.size() && text[i] == '"') {
            for (++i; i < text.size() && text[i] != '"'; ++i) {
                if (text[i] == '\\' && i + 1 < text.size())
                    ++i;
                value += text[i];
            }
            ++i;
        } else {
            while (i < text.size() && text[i] != ',')
                value += text[i++];
        }
        challenge.params[lowercase(trimString(name))] = trimString(value);
    }
    return challenge;
}

// The registry's own explanation from an error body:
// {"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}.
std::string registryErrors(const std::string& body) {
    try {
        JsonValue json = parseJson(body, "registry error");
        const auto* errors = json.find("errors");
        if (!errors || !errors->isArray())
            return "";
        std::vector<std::string> parts;
        for (const auto& error : errors->items()) {
            std::string part;
            if (const auto* code = error.find("code"))
                part = code->text();
            if (const auto* message = error.find("message"); message && !message->text().empty())
                part += (part.empty() ? "" : ": ") + message->text();
            if (!part.empty())
                parts.push_back(part);
        }
        return joinStrings(parts, "; ");
    } catch (const Error&) {
        return "";
    }
}

OciDescriptor parseDescriptor(const JsonValue& value, const std::string& where,
                              const std::string& what) {
    if (!value.isObject())
        throw Error(what + " is not a descriptor object", {where});
    OciDescriptor descriptor;
    if (const auto* mediaType = value.find("mediaType"))
        descriptor.mediaType = mediaType->text();
    const auto* digest = value.find("digest");
    if (!digest || !digest->isString())
        throw Error(what + " has no digest", {where});
    descriptor.digest = digest->text();
    sha256DigestHex(descriptor.digest, where);
    if (const auto* size = value.find("size"))
        descriptor.size = static_cast<uint64_t>(std::max<int64_t>(0, size->integer(0)));
    return descriptor;
}

// A manifest's media type: its own mediaType field, else the one it was
// served or listed with, else what its shape says.
std::string manifestMediaType(const JsonValue& json, const std::string& declared) {
    if (const auto* mediaType = json.find("mediaType"); mediaType && !mediaType->text().empty())
        return mediaType->text();
    std::string type = trimString(declared.substr(0, declared.find(';')));
    if (!type.empty() && type != "application/json" && type != "application/octet-stream")
        return type;
    return json.find("manifests") ? oci::kIndex : oci::kManifest;
}

ImageManifest parseImageManifest(const std::string& bytes, const std::string& where) {
    JsonValue json = parseJson(bytes, where);
    const auto* config = json.find("config");
    const auto* layers = json.find("layers");
    if (!config || !layers || !layers->isArray())
        throw Error("not an image manifest (no config or layers)", {where});
    ImageManifest manifest;
    manifest.config = parseDescriptor(*config, where, "the config");
    for (size_t i = 0; i < layers->items().size(); ++i)
        manifest.layers.push_back(
            parseDescriptor(layers->items()[i], where, "layer " + std::to_string(i + 1)));
    return manifest;
}

std::string normalizeArch(const std::string& arch) {
    if (arch == "x86_64")
        return "amd64";
    if (arch == "aarch64")
        return "arm64";
    return arch;
}

Platform platformOf(const JsonValue* value) {
    Platform platform;
    if (!value)
        return platform;
    if (const auto* os = value->find("os"))
        platform.os = os->text();
    if (const auto* architecture = value->find("architecture"))
        platform.architecture = architecture->text();
    if (const auto* variant = value->find("variant"))
        platform.variant = variant->text();
    return platform;
}

// The index entry for linux/arch.
OciDescriptor pickPlatform(const RegistryManifest& index, const std::string& arch,
                           const std::string& where) {
    JsonValue json = parseJson(index.bytes, where);
    const auto* manifests = json.find("manifests");
    if (!manifests || !manifests->isArray() || manifests->items().empty())
        throw Error("the index " + shortDigest(index.digest) + " lists no image", {where});
    std::vector<std::string> available;
    for (const auto& entry : manifests->items()) {
        Platform platform = platformOf(entry.find("platform"));
        available.push_back(platform.str());
        if ((platform.os.empty() || platform.os == "linux") &&
            normalizeArch(platform.architecture) == arch)
            return parseDescriptor(entry, where, "an index entry");
    }
    throw Error("the index has no image for linux/" + arch + " (it has " +
                    joinStrings(available, ", ") + ")",
                {where});
}

// Removes a folder on scope exit unless released.
class FolderGuard {
  public:
    explicit FolderGuard(std::string path) : path_(std::move(path)) {}
    ~FolderGuard() {
        if (!path_.empty()) {
            std::error_code ec;
            fs::remove_all(path_, ec);
        }
    }
    void release() { path_.clear(); }

  private:
    std::string path_;
};

// Streams a blob into a file, hashing it, refusing more bytes than expected.
class VerifyingFileSink final : public ResponseSink {
  public:
    VerifyingFileSink(const std::string& path, uint64_t limit)
        : file_(std::fopen(path.c_str(), "wb")), limit_(limit) {
        if (!file_)
            throw Error(std::string("cannot create file: ") + std::strerror(errno), {path});
    }
    ~VerifyingFileSink() override { close(); }
    bool write(const char* data, size_t size) override {
        if (limit_ != 0 && written_ + size > limit_) {
            problem_ = "the registry sent more than the " + std::to_string(limit_) +
                       " bytes its descriptor lists";
            return false;
        }
        if (std::fwrite(data, 1, size, file_) != size) {
            problem_ = std::string("cannot write: ") + std::strerror(errno);
            return false;
        }
        hash_.add(std::string_view(data, size));
        written_ += size;
        return true;
    }
    bool close() {
        if (!file_)
            return true;
        bool ok = std::fclose(file_) == 0;
        file_ = nullptr;
        return ok;
    }
    std::string hex() { return hash_.hex(); }
    uint64_t written() const { return written_; }
    const std::string& problem() const { return problem_; }

  private:
    FILE* file_;
    uint64_t limit_;
    uint64_t written_ = 0;
    Sha256 hash_;
    std::string problem_;
};

}  // namespace registry_internal

using namespace registry_internal;

bool RegistryManifest::isIndex() const {
    return isIndexType(mediaType);
}

namespace {

// GET a manifest by tag or digest; a digest is checked against the bytes.
RegistryManifest getManifest(RegistrySession& session, const std::string& reference,
                             const std::string& where) {
    HttpRequest request;
    request.url = session.url("/manifests/" + reference);
    request.headers.push_back(kAcceptManifests);
    request.maxBodyInMemory = kMaxManifestBytes;
    HttpResponse response = session.send(request, where);
    if (response.bodyTooLarge)
        throw Error("the manifest " + reference + " is larger than 4 MiB; refusing it", {where});
    if (!response.ok())
        throw session.failure(response, "cannot fetch manifest " + reference, where,
                              response.status == 404 ? "check the tag or digest" : "");
    RegistryManifest manifest;
    manifest.bytes = response.body;
    manifest.digest = "sha256:" + sha256Hex(manifest.bytes);
    if (startsWith(reference, "sha256:") && manifest.digest != reference)
        throw Error("the manifest the registry returned for " + shortDigest(reference) +
                        " does not match that digest (its content is " +
                        shortDigest(manifest.digest) + ")",
                    {where}, kTamperedHint);
    JsonValue json = parseJson(manifest.bytes, where + " manifest");
    if (!json.isObject())
        throw Error("the manifest " + reference + " is not a JSON object", {where});
    manifest.mediaType = manifestMediaType(json, response.header("content-type"));
    return manifest;
}

// GET a blob (following redirects) into path, checking size and digest.
// Removes path and throws on any failure.
void downloadBlob(RegistrySession& session, const OciDescriptor& descriptor,
                  const std::string& path, const std::string& what, const std::string& where) {
    std::string hex = sha256DigestHex(descriptor.digest, where);
    std::string name = "blobs/sha256/" + hex;
    auto fail = [&](const std::string& message, const std::string& hint = "") {
        std::error_code ec;
        fs::remove(path, ec);
        return Error(what + " " + shortDigest(descriptor.digest) + ": " + message, {where, 0, name},
                     hint);
    };
    VerifyingFileSink sink(path, descriptor.size);
    HttpRequest request;
    request.url = session.url("/blobs/" + descriptor.digest);
    request.sink = &sink;
    request.followRedirects = true;
    request.maxBodyInMemory = 1u << 20;  // error bodies
    HttpResponse response;
    try {
        response = session.send(request, where);
    } catch (const Error&) {
        sink.close();
        std::error_code ec;
        fs::remove(path, ec);
        throw;
    }
    bool closed = sink.close();
    if (!sink.problem().empty())
        throw fail(sink.problem(), kTamperedHint);
    if (!response.ok())
        throw fail(session.failure(response, "cannot fetch the blob", where).what());
    if (!closed)
        throw fail("cannot write " + path);
    if (descriptor.size != 0 && sink.written() != descriptor.size)
        throw fail("the registry sent " + std::to_string(sink.written()) +
                       " bytes, its descriptor lists " + std::to_string(descriptor.size),
                   kTamperedHint);
    std::string actual = sink.hex();
    if (actual != hex)
        throw fail("content does not match its digest (got sha256:" + actual.substr(0, 12) + "…)",
                   kTamperedHint);
}

// Puts a folder at target, replacing what is there.
void installFolder(const std::string& temporary, const std::string& target) {
    std::error_code ec;
    if (fs::exists(fs::symlink_status(target, ec))) {
        std::string old = target + ".old-" + uniqueSuffix();
        fs::rename(target, old, ec);
        if (ec)
            throw Error("cannot replace the existing folder: " + ec.message(), {target});
        fs::rename(temporary, target, ec);
        if (ec) {
            std::error_code ignored;
            fs::rename(old, target, ignored);
            throw Error("cannot move the pulled image into place: " + ec.message(), {target});
        }
        fs::remove_all(old, ec);
        return;
    }
    fs::rename(temporary, target, ec);
    if (ec)
        throw Error("cannot move the pulled image into place: " + ec.message(), {target});
}

}  // namespace

RegistryClient::RegistryClient() : RegistryClient(RegistrySettings::fromEnvironment()) {}

RegistryClient::RegistryClient(RegistrySettings settings)
    : settings_(std::move(settings)),
      transport_(std::make_unique<RegistryTransport>(settings_.connectTimeoutSeconds,
                                                     settings_.stallTimeoutSeconds)) {}

RegistryClient::~RegistryClient() = default;

RegistrySession& RegistryClient::session(const ImageReference& ref, bool push) {
    std::string key = ref.registry + "\n" + ref.repository + (push ? "\npush" : "\npull");
    auto& slot = sessions_[key];
    if (!slot)
        slot = std::make_unique<RegistrySession>(*transport_, settings_, ref.registry,
                                                 ref.repository, push);
    return *slot;
}

std::string RegistryClient::resolveDigest(const ImageReference& ref) {
    std::string where = ref.str();
    RegistrySession& registry = session(ref, false);
    HttpRequest head;
    head.method = "HEAD";
    head.url = registry.url("/manifests/" + ref.reference());
    head.headers.push_back(kAcceptManifests);
    HttpResponse response = registry.send(head, where);
    if (response.status == 404)
        throw registry.failure(
            response,
            (ref.digest.empty() ? "no manifest for tag " : "no manifest ") + ref.reference(), where,
            "check the tag or digest");
    if (response.status == 401 || response.status == 403)
        throw registry.failure(response, "cannot read manifest " + ref.reference(), where);
    std::string digest = response.header("docker-content-digest");
    if (response.ok() && startsWith(digest, "sha256:") && digest.size() == 71 &&
        (ref.digest.empty() || digest == ref.digest))
        return digest;
    // No usable header (or HEAD not allowed): the digest of the body.
    return fetchManifest(ref).digest;
}

RegistryManifest RegistryClient::fetchManifest(const ImageReference& ref) {
    return getManifest(session(ref, false), ref.reference(), ref.str());
}

std::string RegistryClient::fetchBlob(const ImageReference& ref, const std::string& digest,
                                      uint64_t maxBytes) {
    std::string where = ref.str();
    std::string hex = sha256DigestHex(digest, where);
    RegistrySession& registry = session(ref, false);
    HttpRequest request;
    request.url = registry.url("/blobs/" + digest);
    request.followRedirects = true;
    request.maxBodyInMemory = maxBytes;
    HttpResponse response = registry.send(request, where);
    if (response.bodyTooLarge)
        throw Error("blob " + shortDigest(digest) + " is larger than " + std::to_string(maxBytes) +
                        " bytes",
                    {where});
    if (!response.ok())
        throw registry.failure(response, "cannot fetch blob " + shortDigest(digest), where);
    if (sha256Hex(response.body) != hex)
        throw Error("blob " + shortDigest(digest) + " does not match its digest", {where},
                    kTamperedHint);
    return response.body;
}

std::string RegistryClient::pullImage(const ImageReference& ref, const std::string& ociLayoutOut,
                                      const std::string& platformArch) {
    std::string where = ref.str();
    std::string arch = normalizeArch(platformArch);
    RegistrySession& registry = session(ref, false);
    RegistryManifest manifest = getManifest(registry, ref.reference(), where);
    for (int depth = 0; manifest.isIndex(); ++depth) {
        if (depth > 2)
            throw Error("image indexes are nested too deeply", {where});
        OciDescriptor chosen = pickPlatform(manifest, arch, where);
        manifest = getManifest(registry, chosen.digest, where);
    }
    ImageManifest image = parseImageManifest(manifest.bytes, where);

    std::string target = fs::absolute(ociLayoutOut).lexically_normal().string();
    while (target.size() > 1 && target.back() == '/')
        target.pop_back();
    fs::create_directories(fs::path(target).parent_path());
    std::string temporary = target + ".part-" + uniqueSuffix();
    FolderGuard guard(temporary);
    std::error_code ec;
    fs::remove_all(temporary, ec);
    OciLayoutWriter layout(temporary);

    std::set<std::string> fetched;
    auto fetch = [&](const OciDescriptor& descriptor, const std::string& what) {
        std::string hex = sha256DigestHex(descriptor.digest, where);
        if (!fetched.insert(hex).second)
            return;
        std::string part = temporary + "/blobs/sha256/" + hex + ".part";
        downloadBlob(registry, descriptor, part, what, where);
        layout.moveBlob(part, hex, descriptor.mediaType);
    };
    fetch(image.config, "config");
    std::string config =
        readFile(temporary + "/blobs/sha256/" + sha256DigestHex(image.config.digest, where));
    if (image.config.mediaType == oci::kConfig ||
        image.config.mediaType == "application/vnd.docker.container.image.v1+json") {
        Platform platform = platformOf(nullptr);
        try {
            JsonValue json = parseJson(config, where + " config");
            platform = platformOf(&json);
        } catch (const Error&) {
        }
        if (!arch.empty() && !platform.architecture.empty() &&
            normalizeArch(platform.architecture) != arch)
            throw Error("the image is for " + platform.str() + ", not linux/" + arch, {where},
                        "pull an index that has a linux/" + arch + " image, or the " +
                            platform.architecture + " image for that architecture");
    }
    for (size_t i = 0; i < image.layers.size(); ++i)
        fetch(image.layers[i],
              "layer " + std::to_string(i + 1) + " of " + std::to_string(image.layers.size()));
    OciDescriptor written = layout.addBlob(manifest.bytes, manifest.mediaType);
    layout.writeIndex(written, arch, ref.tag);
    installFolder(temporary, target);
    guard.release();
    return manifest.digest;
}

}  // namespace twoliter
