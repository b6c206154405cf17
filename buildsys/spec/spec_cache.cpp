#include "spec/spec_cache.h"

#include "util/digest.h"
#include "util/files.h"

namespace twoliter {

SpecCache::SpecCache(std::string path) : records_(std::move(path), "twoliter-spec-cache-v1\n") {}

std::string SpecCache::keyFor(const std::string& contextDigest, const std::string& specText) {
    // Bump the version whenever what the parser extracts or how it is encoded
    // changes, so that old cache entries are not trusted.
    return Sha256().addField("spec-v5").addField(contextDigest).addField(specText).hex();
}

std::optional<PackageSpec> SpecCache::find(const std::string& key) {
    auto record = records_.find(key);
    if (!record)
        return std::nullopt;
    try {
        PackageSpec spec = decodePackageSpec(*record);
        ++hits_;
        return spec;
    } catch (const Error&) {
        return std::nullopt;
    }
}

void SpecCache::store(const std::string& key, const PackageSpec& spec) {
    records_.store(key, encodePackageSpec(spec));
}

std::vector<PackageSpec> loadProjectSpecs(const Project& project, const MacroContext& context,
                                          SpecCache& cache, int jobs, std::vector<Error>& errors,
                                          const ParseProgress& progress,
                                          std::vector<std::string>* keys) {
    std::string contextDigest = context.digest();
    std::vector<PackageSpec> specs(project.packages.size());
    std::vector<SpecParseRequest> requests;
    std::vector<size_t> requestPackage;
    std::vector<std::string> requestKey;
    for (size_t i = 0; i < project.packages.size(); ++i) {
        std::string path = project.packages[i].specPath();
        std::string key = SpecCache::keyFor(contextDigest, readFile(path));
        if (keys)
            keys->push_back(key);
        if (auto cached = cache.find(key)) {
            specs[i] = std::move(*cached);
            specs[i].specPath = path;
            continue;
        }
        requests.push_back({path, project.display(path)});
        requestPackage.push_back(i);
        requestKey.push_back(key);
    }
    std::vector<SpecParseOutcome> outcomes = parseSpecs(context, requests, jobs, progress);
    for (size_t r = 0; r < outcomes.size(); ++r) {
        if (outcomes[r].error) {
            errors.push_back(*outcomes[r].error);
            continue;
        }
        cache.store(requestKey[r], outcomes[r].spec);
        specs[requestPackage[r]] = std::move(outcomes[r].spec);
    }
    return specs;
}

}  // namespace twoliter
