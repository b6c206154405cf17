#pragma once

#include <optional>
#include <string>
#include <vector>

#include "project/model.h"

namespace twoliter {

// A whole project tree as read from disk: Twoliter.toml and its optional
// companions, plus every package, variant and kit manifest. Members are
// sorted by directory so that everything derived from a project is
// deterministic.
struct Project {
    std::string root;
    TwoliterConfig config;
    std::optional<TwoliterLock> lock;
    std::optional<ReleaseConfig> release;
    std::optional<InfraConfig> infra;
    std::vector<PackageManifest> packages;
    std::vector<VariantManifest> variants;
    std::vector<KitManifest> kits;
    std::vector<std::string> warnings;

    // Lookups by name; nullptr when absent. Packages match their package
    // name, Cargo name or directory name.
    const PackageManifest* findPackage(const std::string& name) const;
    const VariantManifest* findVariant(const std::string& name) const;
    const KitManifest* findKit(const std::string& name) const;

    // path relative to the project root, for messages.
    std::string display(const std::string& path) const;
    std::string buildDirectory() const { return root + "/build"; }
};

// The nearest directory at or above start holding Twoliter.toml. Throws
// Error when there is none.
std::string findProjectRoot(const std::string& start);

// Reads and cross-checks every manifest of the project at root. Throws Error
// at the first problem, naming file, line and key.
Project loadProject(const std::string& root);

}  // namespace twoliter
