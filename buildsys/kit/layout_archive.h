#pragma once

// Kit images travel as a tar of an OCI image layout holding one image
// (rpm2kit's `<kit>-v<version>-<build>-<arch>.tar`). Helpers to write such a
// tar deterministically, to unpack one, and to read the image a layout (or
// its tar) holds.

#include <cstdint>
#include <string>
#include <vector>

#include "sdk/oci_layout.h"

namespace twoliter {

// The one image of a layout, its manifest and config read and verified
// against their digests. Layer blobs are located, not read.
struct LayoutImage {
    OciDescriptor manifest;
    std::string manifestBytes;
    OciDescriptor config;
    std::string configBytes;
    std::vector<OciDescriptor> layers;
    std::string architecture;  // from the config ("amd64", "arm64")
    std::string os;
};

// Reads the image of an OCI image layout folder or of a tar of one. Throws
// Error naming source (and the member) for a layout that lists no image or
// more than one, a missing blob or a blob that does not match its digest.
LayoutImage readLayoutImage(const std::string& source);

// Writes the OCI image layout folder at layoutDir as an uncompressed tar at
// tarPath: members sorted by name, owner 0:0, mode 0755/0644, mtime = mtime,
// so the same layout always gives the same bytes. Written to a temporary
// name next to tarPath and renamed into place.
void writeLayoutTar(const std::string& layoutDir, const std::string& tarPath, int64_t mtime);

// Unpacks a tar of an OCI image layout into dir (created): oci-layout,
// index.json and blobs/sha256/<hex> only; directory members are skipped and
// any other member is an error naming tarPath and the member.
void unpackLayoutTar(const std::string& tarPath, const std::string& dir);

// A file's bytes mapped read-only for as long as the object lives (a view
// for TarWriter without reading the file into memory).
class MappedFile {
  public:
    explicit MappedFile(const std::string& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }

  private:
    void* data_ = nullptr;
    size_t size_ = 0;
};

// Removes a folder tree on scope exit unless released.
class TreeGuard {
  public:
    explicit TreeGuard(std::string path) : path_(std::move(path)) {}
    ~TreeGuard();
    TreeGuard(const TreeGuard&) = delete;
    TreeGuard& operator=(const TreeGuard&) = delete;
    void release() { path_.clear(); }

  private:
    std::string path_;
};

}  // namespace twoliter
