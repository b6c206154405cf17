#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sdk/byte_stream.h"

namespace twoliter {

namespace oci {
inline constexpr const char* kManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* kLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr const char* kRefName = "org.opencontainers.image.ref.name";
}  // namespace oci

// A content descriptor. digest is "sha256:<hex>".
struct OciDescriptor {
    std::string mediaType;
    std::string digest;
    uint64_t size = 0;
};

// The hex part of "sha256:<hex>"; throws Error (naming what) for another
// algorithm or a malformed digest.
std::string sha256DigestHex(const std::string& digest, const std::string& what);

// Writes blobs into an OCI image layout folder, each under a temporary name
// first, and the index last.
class OciLayoutWriter {
  public:
    explicit OciLayoutWriter(std::string root);
    const std::string& root() const { return root_; }

    OciDescriptor addBlob(std::string_view bytes, const std::string& mediaType);
    // Moves a file (on the same filesystem) into the layout as a blob whose
    // SHA-256 hex is known, after fsync.
    OciDescriptor moveBlob(const std::string& file, const std::string& sha256Hex,
                           const std::string& mediaType);
    // oci-layout and index.json listing exactly this manifest.
    void writeIndex(const OciDescriptor& manifest, const std::string& architecture,
                    const std::string& refName);

  private:
    std::string root_;
};

// Where a file of an image source lies: a byte range of a file on disk
// (a folder's file, or a member of an uncompressed tar).
struct BlobLocation {
    std::string file;
    uint64_t offset = 0;
    uint64_t size = 0;
};

// One image found in an image source, its manifest and config verified.
struct ResolvedImage {
    struct Layer {
        BlobLocation blob;
        std::string name;    // inside the source, for messages
        std::string digest;  // expected SHA-256 of the blob bytes, "sha256:<hex>"
        std::string diffId;  // expected SHA-256 of the uncompressed tar ("" unknown)
        std::string mediaType;
    };
    std::string format;          // "OCI image layout" or "docker save archive"
    std::string manifestDigest;  // "sha256:<hex>"
    std::string manifest;
    std::string config;
    std::vector<Layer> layers;
};

// Opens an OCI image layout folder, a tar of one (gzip/zstd allowed, then
// decompressed into scratchDir) or a docker save archive (folder or tar),
// picks the image for this machine's architecture, and verifies the
// digests of the index entries, manifest and config. Layer blobs are only
// located; verifyBlob() checks them.
ResolvedImage resolveImage(const std::string& source, const std::string& scratchDir);

// Throws Error when the bytes at location do not hash to digest.
void verifyBlob(const BlobLocation& location, const std::string& digest, const std::string& source,
                const std::string& name);

// "amd64" or "arm64" for the machine this runs on.
std::string hostOciArch();

}  // namespace twoliter
