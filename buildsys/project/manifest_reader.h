#pragma once

#include <optional>
#include <string>

#include "project/model.h"

namespace twoliter {

// Readers for every TOML file of a project. They are the only code that sees
// toml11 (one translation unit keeps builds fast). Each takes the file's path
// and the name to show in messages (usually the path relative to the project),
// and throws Error naming file, line and key for malformed input, unknown keys
// in tables with a fixed schema, and values of the wrong type.

TwoliterConfig readTwoliterConfig(const std::string& path, const std::string& displayName);
TwoliterLock readTwoliterLock(const std::string& path, const std::string& displayName);
ReleaseConfig readReleaseConfig(const std::string& path, const std::string& displayName);
InfraConfig readInfraConfig(const std::string& path, const std::string& displayName);

// What a Cargo.toml under packages/, variants/ or kits/ declares.
struct CargoManifest {
    std::string cargoName;
    std::optional<PackageManifest> package;
    std::optional<VariantManifest> variant;
    std::optional<KitManifest> kit;
};

CargoManifest readCargoManifest(const std::string& path, const std::string& displayName);

}  // namespace twoliter
