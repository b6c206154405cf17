#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "project/project.h"
#include "spec/package_spec.h"
#include "spec/spec_parser.h"

namespace twoliter {

// Parsed specs keyed by the digest of (macro context, spec text), stored in
// one file. Only entries used by the last run are written back, so the file
// does not grow without bound. A missing, foreign or damaged file is an
// empty cache, never an error: the specs are simply parsed again.
class SpecCache {
  public:
    explicit SpecCache(std::string path);

    static std::string keyFor(const std::string& contextDigest, const std::string& specText);

    std::optional<PackageSpec> find(const std::string& key);
    void store(const std::string& key, const PackageSpec& spec);
    // Atomically replaces the file when anything changed since loading.
    void save();

    size_t hits() const { return hits_; }
    size_t misses() const { return misses_; }

  private:
    std::string path_;
    std::map<std::string, std::string> loaded_;
    std::map<std::string, std::string> used_;
    bool dirty_ = false;
    size_t hits_ = 0;
    size_t misses_ = 0;
};

// The specs of every package of the project, in project.packages order,
// read from the cache where the text and context are unchanged and parsed
// (jobs at once) otherwise. Every spec that fails to parse is reported in
// errors; its entry is then left default-constructed.
std::vector<PackageSpec> loadProjectSpecs(const Project& project, const MacroContext& context,
                                          SpecCache& cache, int jobs, std::vector<Error>& errors,
                                          const ParseProgress& progress = {});

}  // namespace twoliter
