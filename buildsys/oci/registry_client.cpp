#include "oci/registry_client.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

#include "oci/registry_transport.h"
#include "sdk/json_reader.h"
#include "util/digest.h"
#include "util/files.h"
#include "util/json_writer.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {

const uint64_t kMaxManifestBytes = 4u << 20;
const char* kAcceptManifests =
    "Accept: application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";
const char* kTamperedHint = "the registry served damaged content or was tampered with";
const char* kAnonymousHint =
    "twoliter accesses registries anonymously; the repository may be private or not exist";

bool isIndexType(const std::string& mediaType) {
    return mediaType == oci::kIndex || mediaType == oci::kDockerManifestList;
}

// "sha256:0123456789ab…" for messages.
std::string shortDigest(const std::string& digest) {
    return digest.size() > 19 ? digest.substr(0, 19) + "…" : digest;
}

std::string lowercase(std::string text) {
    for (char& c : text)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return text;
}

// A WWW-Authenticate challenge: scheme and parameters (names lower-cased).
struct Challenge {
    std::string scheme;
    std::map<std::string, std::string> params;
};

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

struct ImageManifest {
    OciDescriptor config;
    std::vector<OciDescriptor> layers;
};

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

// os, architecture and variant of a platform object or image config.
struct Platform {
    std::string os;
    std::string architecture;
    std::string variant;
    std::string str() const {
        return (os.empty() ? "?" : os) + "/" + (architecture.empty() ? "?" : architecture) +
               (variant.empty() ? "" : "/" + variant);
    }
};

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

std::string uniqueSuffix() {
    static std::atomic<unsigned> counter{0};
    return std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

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

}  // namespace

bool RegistryManifest::isIndex() const {
    return isIndexType(mediaType);
}

// One registry repository with the access asked for: URLs, the Bearer
// token, and the translation of failures into Errors.
class RegistrySession {
  public:
    RegistrySession(RegistryTransport& transport, const RegistrySettings& settings,
                    std::string registry, std::string repository, bool push)
        : transport_(transport),
          registry_(std::move(registry)),
          repository_(std::move(repository)),
          base_(registryBaseUrl(registry_, settings)),
          loopback_(isLoopbackRegistry(registry_)),
          push_(push) {}

    const std::string& registry() const { return registry_; }
    const std::string& base() const { return base_; }
    std::string url(const std::string& path) const { return base_ + "/v2/" + repository_ + path; }

    // Sends request, authenticating once when the registry challenges.
    // Throws when no response arrives.
    HttpResponse send(HttpRequest request, const std::string& where) {
        request.noProxy = loopback_;
        for (int attempt = 0;; ++attempt) {
            HttpRequest actual = request;
            if (!token_.empty())
                actual.headers.push_back("Authorization: Bearer " + token_);
            HttpResponse response = transport_.perform(actual);
            if (!response.transportError.empty())
                throw unreachable(response.transportError, where);
            if (response.status != 401 || attempt > 0)
                return response;
            authenticate(response.header("www-authenticate"), where);
        }
    }

    // An Error for an unexpected response to what (e.g. "cannot fetch …").
    Error failure(const HttpResponse& response, const std::string& what, const std::string& where,
                  std::string hint = "") const {
        std::string message =
            what + ": " + registry_ + " answered HTTP " + std::to_string(response.status);
        if (std::string detail = registryErrors(response.body); !detail.empty())
            message += " (" + detail + ")";
        if (hint.empty() && (response.status == 401 || response.status == 403))
            hint = kAnonymousHint;
        return Error(message, {where}, hint);
    }

  private:
    Error unreachable(const std::string& reason, const std::string& where) const {
        std::string hint = "check that the registry is running and its address is right";
        std::string lower = lowercase(reason);
        if (startsWith(base_, "https://") &&
            (lower.find("ssl") != std::string::npos || lower.find("tls") != std::string::npos ||
             lower.find("certificate") != std::string::npos))
            hint =
                "a registry that speaks plain http must be listed in "
                "TWOLITER_INSECURE_REGISTRIES";
        return Error("cannot reach registry " + registry_ + " (" + base_ + "): " + reason, {where},
                     hint);
    }

    void authenticate(const std::string& header, const std::string& where) {
        Challenge challenge = parseChallenge(header);
        std::string scheme = lowercase(challenge.scheme);
        if (scheme == "basic")
            throw Error("registry " + registry_ +
                            " asks for a user name and password (Basic authentication), which "
                            "twoliter does not send",
                        {where}, "use a registry or repository that allows anonymous access");
        if (scheme != "bearer")
            throw Error("registry " + registry_ + " answered HTTP 401 with " +
                            (header.empty() ? "no authentication challenge"
                                            : "an unsupported challenge: " + header),
                        {where});
        std::string realm = challenge.params["realm"];
        if (!startsWith(realm, "https://") && !startsWith(realm, "http://"))
            throw Error("registry " + registry_ + " names no usable token realm: " + header,
                        {where});
        std::string scope = "repository:" + repository_ + (push_ ? ":pull,push" : ":pull");
        std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
        if (!challenge.params["service"].empty())
            url += "service=" + urlEncode(challenge.params["service"]) + "&";
        url += "scope=" + urlEncode(scope);
        std::string asked = challenge.params["scope"];
        if (!asked.empty() && asked != scope && asked.find(repository_) == std::string::npos)
            url += "&scope=" + urlEncode(asked);
        HttpRequest request;
        request.url = url;
        request.followRedirects = true;
        request.noProxy =
            loopback_ || startsWith(realm, "http://127.") || startsWith(realm, "http://localhost");
        HttpResponse response = transport_.perform(request);
        if (!response.transportError.empty())
            throw Error("cannot reach the token service " + realm + " of registry " + registry_ +
                            ": " + response.transportError,
                        {where});
        if (!response.ok())
            throw Error("the token service " + realm + " refused an anonymous token for " + scope +
                            ": HTTP " + std::to_string(response.status),
                        {where}, kAnonymousHint);
        std::string token;
        try {
            JsonValue json = parseJson(response.body, "token response");
            for (const char* name : {"token", "access_token"})
                if (const auto* value = json.find(name); value && token.empty())
                    token = value->text();
        } catch (const Error&) {
        }
        if (token.empty())
            throw Error("the token service " + realm + " answered without a token", {where});
        token_ = token;
    }

    RegistryTransport& transport_;
    std::string registry_;
    std::string repository_;
    std::string base_;
    bool loopback_;
    bool push_;
    std::string token_;
};

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
