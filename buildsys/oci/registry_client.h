#pragma once

// A client of the OCI distribution API (registry v2): resolve a tag to a
// digest, pull an image into an OCI image layout, push a layout's image or a
// multi-arch index. Anonymous access only (including the Bearer token
// challenge registries such as public.ecr.aws use for public images).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sdk/oci_layout.h"
#include "util/error.h"

namespace twoliter {

class RegistryTransport;
class RegistrySession;

namespace oci {
inline constexpr const char* kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
}  // namespace oci

// "<registry>/<repository>[:<tag>][@sha256:<hex>]", e.g.
// "localhost:5000/sample/sample-sdk:v0.1.0" or
// "public.ecr.aws/bottlerocket/bottlerocket-sdk@sha256:…".
struct ImageReference {
    std::string registry;    // "localhost:5000", "public.ecr.aws", "docker.io"
    std::string repository;  // "sample/sample-sdk"
    std::string tag;         // "" when only a digest is given
    std::string digest;      // "sha256:<64 hex>" or ""

    // The canonical text: registry/repository[:tag][@digest].
    std::string str() const;
    // What a manifest request names: the digest when pinned, else the tag.
    const std::string& reference() const { return digest.empty() ? tag : digest; }
};

// Parses a reference. A name without a registry host ("ubuntu",
// "library/ubuntu") is Docker Hub's, as docker and crane read it; a
// reference with neither tag nor digest means tag "latest". Throws Error at
// where (the file and key the text came from) naming what is wrong.
ImageReference parseImageReference(const std::string& text, const Location& where = {});

struct RegistrySettings {
    // Registries ("host" or "host:port") spoken to over plain http.
    // Loopback registries (localhost, 127.0.0.0/8, ::1) always are.
    std::vector<std::string> insecureRegistries;
    long connectTimeoutSeconds = 30;
    long stallTimeoutSeconds = 60;  // a transfer without progress for this long fails

    // Defaults plus TWOLITER_INSECURE_REGISTRIES (comma- or space-separated).
    static RegistrySettings fromEnvironment();
};

// localhost, 127.0.0.0/8 or ::1, with or without a port.
bool isLoopbackRegistry(const std::string& registry);

// "http://127.0.0.1:5000", "https://public.ecr.aws",
// "https://registry-1.docker.io" (for docker.io).
std::string registryBaseUrl(const std::string& registry, const RegistrySettings& settings);

// A manifest or index as the registry returned it.
struct RegistryManifest {
    std::string mediaType;
    std::string digest;  // sha256 of bytes, "sha256:<hex>"
    std::string bytes;
    bool isIndex() const;
};

// One image of a multi-arch index.
struct PlatformImage {
    std::string ociLayout;  // a layout holding one image
    // "amd64"/"arm64"; empty: read from the image config (or index.json).
    std::string architecture;
};

// Not thread-safe: one client per thread. Errors are Error with the image
// reference as location, e.g. "localhost:5000/x/y:1: cannot reach registry
// localhost:5000: …".
class RegistryClient {
  public:
    RegistryClient();  // RegistrySettings::fromEnvironment()
    explicit RegistryClient(RegistrySettings settings);
    ~RegistryClient();
    RegistryClient(const RegistryClient&) = delete;
    RegistryClient& operator=(const RegistryClient&) = delete;

    // The manifest digest a reference names now: "sha256:<hex>" from the
    // Docker-Content-Digest header of a HEAD, or computed from the body when
    // the registry does not send it. For a pinned reference, checks that the
    // registry has it.
    std::string resolveDigest(const ImageReference& ref);

    // The manifest or index bytes; when ref has a digest they are checked
    // against it.
    RegistryManifest fetchManifest(const ImageReference& ref);
    // A small blob (a config) fetched into memory and verified.
    std::string fetchBlob(const ImageReference& ref, const std::string& digest,
                          uint64_t maxBytes = 16u << 20);

    // Pulls the image ref names into an OCI image layout at ociLayoutOut,
    // holding one image: for an index, the linux/platformArch one ("amd64",
    // "arm64"; "x86_64"/"aarch64" accepted). Every blob is checked against its
    // digest while it streams into a folder next to ociLayoutOut, which
    // replaces ociLayoutOut only when complete; on failure nothing is left.
    // Returns the digest of the pulled image manifest (for an index, the
    // platform's manifest, not the index's).
    std::string pullImage(const ImageReference& ref, const std::string& ociLayoutOut,
                          const std::string& platformArch);

    // Pushes the one image (or index) listed in ociLayout's index.json: each
    // blob the registry lacks (HEAD, then POST + PUT ?digest=), then the
    // manifest under ref's tag (or its digest). Returns the manifest digest.
    std::string pushImage(const std::string& ociLayout, const ImageReference& ref);

    // Pushes each image by digest and then an OCI index of them under ref's
    // tag; one image per architecture. Returns the index digest.
    std::string pushIndex(const std::vector<PlatformImage>& images, const ImageReference& ref);

  private:
    RegistrySession& session(const ImageReference& ref, bool push);

    RegistrySettings settings_;
    std::unique_ptr<RegistryTransport> transport_;
    // Per registry, repository and access (pull or push): the token.
    std::map<std::string, std::unique_ptr<RegistrySession>> sessions_;
};

}  // namespace twoliter
