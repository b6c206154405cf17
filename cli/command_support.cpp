#include "command_support.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "build/report.h"
#include "cache/content_store.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/files.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace twoliter::cli {

Project openProject(const GlobalOptions& options) {
    std::string start = options.projectPath.empty() ? "." : options.projectPath;
    if (endsWith(start, "Twoliter.toml")) {
        start = start.substr(0, start.size() - std::string("Twoliter.toml").size());
        if (start.empty())
            start = ".";
    }
    return loadProject(findProjectRoot(start));
}

std::string fromCurrentDirectory(const std::string& path) {
    return absolutePath(path, fs::current_path().string());
}

std::string cacheDirectory(const GlobalOptions& options) {
    return options.cacheDirectory.empty() ? defaultCacheDirectory()
                                          : fromCurrentDirectory(options.cacheDirectory);
}

// The SDK image pinned by Twoliter.lock, if it has been created or imported
// into the cache: <cache>/sdk/<digest>/rootfs.
std::string lockedSdkRootfs(const Project& project, const GlobalOptions& options) {
    if (!project.lock || !project.lock->sdk)
        return "";
    std::string hex = hexFromBase64(project.lock->sdk->digest);
    if (hex.empty())
        return "";
    std::string sdks = cacheDirectory(options) + "/sdk/";
    std::string rootfs = sdks + hex + "/rootfs";
    if (isDirectory(rootfs))
        return rootfs;
    std::string alias = sdks + "locked/" + hex;
    if (!isRegularFile(alias))
        return "";
    rootfs = sdks + trimString(readFile(alias)) + "/rootfs";
    return isDirectory(rootfs) ? rootfs : "";
}

void recordLockedSdk(const std::string& cacheDirectory, const std::string& lockDigest,
                     const std::string& manifestHex) {
    std::string hex = hexFromBase64(lockDigest);
    if (hex.empty() || hex == manifestHex)
        return;
    std::string folder = cacheDirectory + "/sdk/locked";
    fs::create_directories(folder);
    writeFileAtomic(folder + "/" + hex, manifestHex + "\n");
}

// Where spec macros come from: --sdk, $TWOLITER_SDK, the locked SDK image,
// or the project's sdk/ folder.
std::string sdkPath(const GlobalOptions& options, const Project& project) {
    const char* fromEnvironment = std::getenv("TWOLITER_SDK");
    std::string path = !options.sdk.empty() ? options.sdk
                       : fromEnvironment && *fromEnvironment != 0
                           ? fromEnvironment
                           : lockedSdkRootfs(project, options);
    if (path.empty())
        path = project.root + "/sdk";
    path = fromCurrentDirectory(path);
    if (!pathExists(path)) {
        throw Error("no SDK at " + path, {},
                    "pass --sdk PATH or set TWOLITER_SDK (an SDK root, SDK source tree or macros "
                    "file)");
    }
    return path;
}

int jobCount(const GlobalOptions& options) {
    unsigned cores = std::thread::hardware_concurrency();
    return options.jobs > 0 ? options.jobs : static_cast<int>(cores ? cores : 2);
}

PlannerOptions plannerOptions(const GlobalOptions& options, const Project& project) {
    PlannerOptions planner;
    planner.arch = parseArch(options.arch, {"--arch"});
    planner.sdkPath = sdkPath(options, project);
    for (const auto& source : options.kitSources) {
        size_t equals = source.find('=');
        if (equals == std::string::npos || equals == 0) {
            throw Error("expected NAME=PATH, found '" + source + "'", {"--kit-source"});
        }
        planner.kitSources.emplace_back(source.substr(0, equals),
                                        fromCurrentDirectory(source.substr(equals + 1)));
    }
    if (::isatty(STDERR_FILENO)) {
        planner.specProgress = [](size_t parsed, size_t total) {
            std::cerr << "\r\033[Kparsing specs [" << parsed << "/" << total << "]"
                      << (parsed == total ? "\r\033[K" : "") << std::flush;
        };
    }
    planner.jobs = jobCount(options);
    return planner;
}

void printWarnings(const Project& project, const Planner& planner) {
    for (const auto& warning : project.warnings)
        std::cerr << "twoliter: warning: " << warning << "\n";
    for (const auto& warning : planner.warnings())
        std::cerr << "twoliter: warning: " << warning << "\n";
    for (const auto& line : describeDisagreements(planner)) {
        std::cerr << "twoliter: warning: " << line << "\n";
    }
}

BuildPlan planFor(Planner& planner, const std::string& kind, const std::string& name) {
    return kind == "variant"   ? planner.planVariant(name)
           : kind == "package" ? planner.planPackage(name)
                               : planner.planKit(name);
}

}  // namespace twoliter::cli
