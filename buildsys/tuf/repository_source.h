#pragma once

// Where a TUF repository is read from: a folder laid out as `twoliter repo
// create` writes it, or http(s):// URLs (upstream's metadata_base_url/
// <variant>/<arch>/ and targets_url). Files are fetched by name; a missing
// file (no such file, HTTP 404 or 403 as S3 answers) is nullopt, any other
// failure an Error naming the file or URL.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace twoliter {

class RepositorySource {
  public:
    virtual ~RepositorySource() = default;
    // The bytes of a metadata file, at most maxLength of them (more is an
    // Error: an endless-data attack).
    virtual std::optional<std::string> metadata(const std::string& name, int64_t maxLength) = 0;
    // A local file holding the target file fileName (for URLs a download
    // into scratchDirectory), at most maxLength bytes.
    virtual std::optional<std::string> targetFile(const std::string& fileName, int64_t maxLength,
                                                  const std::string& scratchDirectory) = 0;
    virtual std::string metadataLocation(const std::string& name) const = 0;
    virtual std::string targetLocation(const std::string& fileName) const = 0;
    // Whether targetFile gives the repository's own files (a folder).
    virtual bool isLocal() const = 0;
};

// metadataDirectory holds the role files, targetsDirectory the targets.
std::unique_ptr<RepositorySource> folderSource(const std::string& metadataDirectory,
                                               const std::string& targetsDirectory);
// metadataUrl and targetsUrl are base URLs ("/" appended when missing).
std::unique_ptr<RepositorySource> urlSource(const std::string& metadataUrl,
                                            const std::string& targetsUrl);

// A repository as `repo create` lays it out under location (a folder, a
// file:// URL or an http(s):// URL): <location>/<variant>/<arch>/ and
// <location>/targets/.
std::unique_ptr<RepositorySource> repositoryAt(const std::string& location,
                                               const std::string& variant, const std::string& arch);

bool isUrl(const std::string& location);

}  // namespace twoliter
