#pragma once

#include <string>

#include "project/manifest_reader.h"
#include "util/record_file.h"

namespace twoliter {

// Parsed Cargo.toml manifests keyed by (path, display name, content), so an
// unchanged project is read without parsing TOML. Only manifests that parsed
// are stored: a broken one is parsed, and reported, on every run.
class ManifestCache {
  public:
    explicit ManifestCache(std::string path);

    CargoManifest read(const std::string& path, const std::string& displayName);
    void save() { records_.save(); }
    size_t hits() const { return records_.hits(); }

  private:
    RecordFile records_;
};

// Byte encoding of a CargoManifest; decode throws Error on a damaged record.
std::string encodeCargoManifest(const CargoManifest& manifest);
CargoManifest decodeCargoManifest(const std::string& bytes);

}  // namespace twoliter
