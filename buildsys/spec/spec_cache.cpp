#include "spec/spec_cache.h"

#include "util/binary_codec.h"
#include "util/digest.h"
#include "util/files.h"

namespace twoliter {

namespace {
const char kMagic[] = "twoliter-spec-cache-v1\n";
}

SpecCache::SpecCache(std::string path) : path_(std::move(path)) {
    auto content = readFileIfExists(path_);
    std::string magic(kMagic);
    if (!content || content->compare(0, magic.size(), magic) != 0)
        return;
    try {
        BinaryReader in(std::string_view(*content).substr(magic.size()));
        std::string checksum = in.getString();
        std::string payload = in.getString();
        if (sha256Hex(payload) != checksum)
            return;
        BinaryReader entries(payload);
        uint64_t count = entries.getVarint();
        for (uint64_t i = 0; i < count; ++i) {
            std::string key = entries.getString();
            loaded_[key] = entries.getString();
        }
    } catch (const Error&) {
        loaded_.clear();
    }
}

std::string SpecCache::keyFor(const std::string& contextDigest, const std::string& specText) {
    // Bump the version whenever what the parser extracts or how it is encoded
    // changes, so that old cache entries are not trusted.
    return Sha256().addField("spec-v3").addField(contextDigest).addField(specText).hex();
}

std::optional<PackageSpec> SpecCache::find(const std::string& key) {
    auto it = loaded_.find(key);
    if (it == loaded_.end()) {
        ++misses_;
        return std::nullopt;
    }
    try {
        PackageSpec spec = decodePackageSpec(it->second);
        used_[key] = it->second;
        ++hits_;
        return spec;
    } catch (const Error&) {
        ++misses_;
        return std::nullopt;
    }
}

void SpecCache::store(const std::string& key, const PackageSpec& spec) {
    used_[key] = encodePackageSpec(spec);
    dirty_ = true;
}

void SpecCache::save() {
    if (!dirty_ && used_.size() == loaded_.size())
        return;
    BinaryWriter payload;
    payload.putVarint(used_.size());
    for (const auto& [key, record] : used_) {
        payload.putString(key);
        payload.putString(record);
    }
    BinaryWriter file;
    file.putString(sha256Hex(payload.bytes()));
    file.putString(payload.bytes());
    writeFileAtomic(path_, kMagic + file.bytes());
    loaded_ = used_;
    dirty_ = false;
}

std::vector<PackageSpec> loadProjectSpecs(const Project& project, const MacroContext& context,
                                          SpecCache& cache, int jobs, std::vector<Error>& errors,
                                          const ParseProgress& progress) {
    std::string contextDigest = context.digest();
    std::vector<PackageSpec> specs(project.packages.size());
    std::vector<SpecParseRequest> requests;
    std::vector<size_t> requestPackage;
    std::vector<std::string> requestKey;
    for (size_t i = 0; i < project.packages.size(); ++i) {
        std::string path = project.packages[i].specPath();
        std::string key = SpecCache::keyFor(contextDigest, readFile(path));
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
