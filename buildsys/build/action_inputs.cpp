#include "build/action_inputs.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "util/digest.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace twoliter {

namespace {
// Bumped whenever the way packages are built changes, so every cached
// result is rebuilt once.
constexpr const char* kPackageActionVersion = "package-action-v1";

bool skippedInSourceGroup(const std::string& name) {
    return name.empty() || name[0] == '.' || name == "target" || name == "vendor" ||
           name == "README.md";
}

// Regular files under directory, relative and sorted, skipping names that skip() accepts.
template <typename Skip>
std::vector<std::string> filesUnder(const std::string& directory, Skip skip) {
    std::vector<std::string> files;
    std::error_code error;
    fs::recursive_directory_iterator it(directory, error), end;
    for (; !error && it != end; it.increment(error)) {
        std::string name = it->path().filename().string();
        if (skip(name)) {
            if (it->is_directory())
                it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file())
            files.push_back(it->path().lexically_relative(directory).string());
    }
    std::sort(files.begin(), files.end());
    return files;
}
}  // namespace

void ActionInputs::add(std::string name, std::string digest) {
    items.emplace_back(std::move(name), std::move(digest));
}

std::string ActionInputs::key() const {
    auto sorted = items;
    std::sort(sorted.begin(), sorted.end());
    Sha256 hash;
    hash.addField(kPackageActionVersion);
    for (const auto& [name, digest] : sorted)
        hash.addField(name).addField(digest);
    return hash.hex();
}

ActionInputs packageActionInputs(
    const Project& project, const PackageManifest& package, const BuildEnvironment& environment,
    const std::vector<std::pair<std::string, std::string>>& buildRootRpms, FileDigests& digests) {
    ActionInputs inputs;
    inputs.add("environment:arch", environment.archName);
    inputs.add("environment:sdk", environment.sdkDigest);
    inputs.add("environment:macros", environment.macroContextDigest);
    inputs.add("metadata", package.metadataDigest);
    auto packageFileSkipped = [](const std::string& name) {
        return name.empty() || name[0] == '.' || name == "Cargo.toml";
    };
    for (const auto& file : filesUnder(package.directory, packageFileSkipped)) {
        inputs.add("file:" + file, digests.digest(package.directory + "/" + file));
    }
    for (const auto& group : package.sourceGroups) {
        std::string root = project.root + "/sources/" + group;
        for (const auto& file : filesUnder(root, skippedInSourceGroup)) {
            inputs.add("source-group:" + group + "/" + file, digests.digest(root + "/" + file));
        }
    }
    for (const auto& external : package.externalFiles) {
        inputs.add("external:" + external.fileName(), external.sha512);
    }
    for (const auto& [name, digest] : buildRootRpms)
        inputs.add("build-root:" + name, digest);
    std::sort(inputs.items.begin(), inputs.items.end());
    return inputs;
}

std::vector<std::string> explainDifference(const ActionInputs& previous,
                                           const ActionInputs& current) {
    std::map<std::string, std::string> before(previous.items.begin(), previous.items.end());
    std::map<std::string, std::string> after(current.items.begin(), current.items.end());
    std::vector<std::string> lines;
    for (const auto& [name, digest] : after) {
        auto it = before.find(name);
        if (it == before.end()) {
            lines.push_back("added: " + name);
        } else if (it->second != digest) {
            lines.push_back("changed: " + name);
        }
    }
    for (const auto& [name, digest] : before) {
        if (!after.count(name))
            lines.push_back("removed: " + name);
    }
    return lines;
}

}  // namespace twoliter
