#pragma once

#include <functional>
#include <string>
#include <vector>

#include "build/build_session.h"
#include "build/planner.h"
#include "image/artifacts.h"
#include "sandbox/sandbox.h"

namespace twoliter {

struct ImageBuildOptions {
    std::string cacheDirectory;
    std::string sdkRootfs;
    std::string sdkDigest;
    int64_t sourceDateEpoch = 0;
    std::string versionId;  // Release.toml's version (else Twoliter.toml's release-version)
    std::string buildId;
    ImageCompression compression = ImageCompression::Zstd;
    int jobs = 2;
    std::string secureBootKeysDirectory;  // sbkeys/<profile>
    std::string updogRootJson;            // the update repository's root.json, or ""
    std::function<void(const std::string&)> progress;
};

struct ImageBuildOutcome {
    std::string directory;   // build/images/<arch>-<variant>/<version>-<build>
    bool upToDate = false;   // the folder already held this build's artifacts
    bool fromCache = false;  // copied out of the cache, nothing assembled
    std::vector<Artifact> artifacts;
    std::vector<std::string> warnings;
    std::string logPath;
};

// The image step of `build variant`, after its packages are built: the
// variant's closure (its packages' RPMs from the build, kit RPMs from their
// repositories, and its metadata RPM) assembled into images
// (assembleVariantImage) under an action key over every input — RPM
// digests, the variant's metadata table (kernel-parameters, image settings,
// features), template.ovf, the SDK, the identity, the epoch and the
// compression — so an unchanged variant is a no-op and a change of
// kernel-parameters rebuilds the image without touching a package. The
// artifacts are kept in the content store; the version folder is written
// under a temporary name and renamed, then the friendly links and `latest`.
// Throws Error (naming the log) when a step fails.
ImageBuildOutcome buildVariantImage(const Planner& planner, const BuildPlan& plan,
                                    const BuildReport& report, const ImageBuildOptions& options,
                                    SandboxRunner& sandbox);

}  // namespace twoliter
