#pragma once

#include <optional>
#include <string>
#include <vector>

#include "project/project.h"
#include "spec/package_spec.h"
#include "spec/spec_parser.h"
#include "util/record_file.h"

namespace twoliter {

// Parsed specs keyed by the digest of (macro context, spec text). Only
// entries used by the last run are kept. A damaged entry is a miss: the spec
// is simply parsed again.
class SpecCache {
  public:
    explicit SpecCache(std::string path);

    static std::string keyFor(const std::string& contextDigest, const std::string& specText);

    std::optional<PackageSpec> find(const std::string& key);
    void store(const std::string& key, const PackageSpec& spec);
    // Any other text derived from the macro context alone (e.g. an expanded
    // macro), so that a warm run needs no rpm configuration at all.
    std::optional<std::string> findText(const std::string& key) { return records_.find(key); }
    void storeText(const std::string& key, const std::string& text) { records_.store(key, text); }
    void save() { records_.save(); }

    size_t hits() const { return hits_; }

  private:
    RecordFile records_;
    size_t hits_ = 0;
};

// The specs of every package of the project, in project.packages order,
// read from the cache where the text and context are unchanged and parsed
// (jobs at once) otherwise. Every spec that fails to parse is reported in
// errors; its entry is then left default-constructed. keys, when given,
// receives each spec's cache key (a digest of its text and the context).
std::vector<PackageSpec> loadProjectSpecs(const Project& project, const MacroContext& context,
                                          SpecCache& cache, int jobs, std::vector<Error>& errors,
                                          const ParseProgress& progress = {},
                                          std::vector<std::string>* keys = nullptr);

}  // namespace twoliter
