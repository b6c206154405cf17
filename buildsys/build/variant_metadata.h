#pragma once

#include <string>
#include <vector>

#include "cache/content_store.h"
#include "project/model.h"
#include "sandbox/sandbox.h"

namespace twoliter {

// An RPM in the content store.
struct StoredRpm {
    std::string fileName;
    std::string sha256;
    // A corrupt cache entry found on the way (discarded, the RPM rebuilt).
    std::vector<std::string> warnings;
};

struct MetadataRpmSettings {
    std::string osPrefix;  // %{_cross_os}
    std::string sdkRootfs;
    std::string sdkDigest;
    std::string sdkMacrosPath;  // inside the sandbox
    std::string archName;
    std::string sourceDateEpoch;
    std::string workDirectory;  // scratch space, removed afterwards
    std::string logPath;
};

// The variant's <os>metadata RPM, which the image installs like upstream's
// metadata.spec: noarch, no files, providing the capabilities
// variantMetadataProvides() lists (what the resolver's metadata solvable
// provides). Built with rpmbuild in the SDK sandbox from a generated spec;
// cached in the content store under an action key over the spec text, the
// SDK, the macros and the epoch, so an unchanged variant builds it once.
// Throws Error naming the log when rpmbuild fails.
StoredRpm buildVariantMetadataRpm(const VariantManifest& variant,
                                  const MetadataRpmSettings& settings, ContentStore& store,
                                  ActionCache& actions, SandboxRunner& sandbox);

// The generated spec (for tests and --explain).
std::string variantMetadataSpec(const VariantManifest& variant, const std::string& osPrefix);

}  // namespace twoliter
