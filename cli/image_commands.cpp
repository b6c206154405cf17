// The image step of `build variant`.
#include <cstdlib>
#include <iostream>

#include "build/image_session.h"
#include "build/source_date.h"
#include "command_support.h"
#include "tuf/root_role.h"
#include "util/digest.h"

namespace twoliter::cli {

int finishVariantBuild(const GlobalOptions& options, const Project& project, const Planner& planner,
                       const BuildPlan& plan, const BuildReport& report, SandboxRunner& sandbox) {
    ImageBuildOptions image;
    image.cacheDirectory = cacheDirectory(options);
    image.sdkRootfs = lockedSdkRootfs(project, options);
    image.sdkDigest = hexFromBase64(project.lock->sdk->digest);
    image.sourceDateEpoch = std::stoll(sourceDateEpoch(project.root));
    image.versionId = project.release ? project.release->version : project.config.releaseVersion;
    image.buildId = buildId(project.root);
    image.compression = project.config.imageCompression;
    image.jobs = jobCount(options);
    const char* repo = std::getenv("PUBLISH_REPO");
    image.updogRootJson = rootJsonForImage(project, repo && *repo ? repo : "default");
    const char* profile = std::getenv("BUILDSYS_SBKEYS_PROFILE");
    image.secureBootKeysDirectory =
        project.root + "/sbkeys/" + (profile && *profile ? profile : "local");
    image.progress = [&](const std::string& step) {
        std::cerr << "twoliter: image " << plan.target << ": " << step << "\n";
    };
    ImageBuildOutcome outcome = buildVariantImage(planner, plan, report, image, sandbox);
    for (const auto& warning : outcome.warnings)
        std::cerr << "twoliter: warning: " << warning << "\n";
    std::cerr << "twoliter: image " << plan.target << ": "
              << (outcome.upToDate    ? "up to date"
                  : outcome.fromCache ? "taken from the cache"
                                      : "built (log: " + outcome.logPath + ")")
              << "\n";
    for (const auto& artifact : outcome.artifacts)
        std::cout << outcome.directory << "/" << artifact.fileName << "\n";
    return 0;
}

}  // namespace twoliter::cli
