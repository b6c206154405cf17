// What each command does; main.cpp only parses arguments into the structs
// of commands.h.
#include "commands.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include "build/build_session.h"
#include "build/console_status.h"
#include "build/planner.h"
#include "build/report.h"
#include "build/source_date.h"
#include "cache/cache_pruning.h"
#include "cache/content_store.h"
#include "command_support.h"
#include "kit/lock_digest.h"
#include "oci/registry_client.h"
#include "project/lock_writer.h"
#include "project/project.h"
#include "sandbox/sandbox.h"
#include "sdk/sdk_image.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/file_lock.h"
#include "util/files.h"
#include "util/strings.h"

namespace fs = std::filesystem;

namespace twoliter::cli {

namespace {

std::atomic<bool> interrupted{false};

void onInterrupt(int) {
    interrupted = true;
    ::signal(SIGINT, SIG_DFL);  // a second Ctrl-C stops at once
}

// Warnings, failed packages with their log's last lines, then what was done.
void reportOutcome(const Planner& planner, const BuildReport& report) {
    for (const auto& warning : report.warnings)
        std::cerr << "twoliter: warning: " << warning << "\n";
    std::map<JobState, size_t> counts;
    for (size_t package : report.packages) {
        const JobResult& result = report.results[package];
        ++counts[result.state];
        if (result.state != JobState::Failed)
            continue;
        std::cerr << "twoliter: " << planner.project().packages[package].packageName
                  << " failed: " << result.detail << "\n";
        if (result.logPath.empty())
            continue;
        std::cerr << "  log: " << result.logPath << "\n";
        for (const auto& line : logTail(result.logPath, 15))
            std::cerr << "  | " << line << "\n";
    }
    if (counts[JobState::Cached] == report.packages.size()) {
        std::cerr << "twoliter: nothing to do: all " << report.packages.size()
                  << " packages are up to date\n";
        return;
    }
    std::string line = std::to_string(counts[JobState::Built]) + " built, " +
                       std::to_string(counts[JobState::Cached]) + " from the cache";
    for (JobState state : {JobState::Failed, JobState::Skipped, JobState::Cancelled}) {
        if (counts[state])
            line += ", " + std::to_string(counts[state]) + " " + jobStateName(state);
    }
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f", report.seconds);
    std::cerr << "twoliter: " << line << " in " << seconds << "s; summary: " << report.summaryPath
              << "\n";
}

}  // namespace

// A file system failure that surfaces here (a full disk while copying into
// the cache, publishing or assembling) becomes an Error naming the path.
int runBuild(const GlobalOptions& options, const BuildCommand& command) try {
    Project project = openProject(options);
    prepareKits(options, project);
    Planner planner(project, plannerOptions(options, project));
    planner.load();
    printWarnings(project, planner);
    BuildPlan plan = planFor(planner, command.kind, command.name);
    if (command.dryRun) {
        std::cout << (command.json ? formatPlanJson(planner, plan) : formatPlanText(planner, plan));
        return 0;
    }
    BuildOptions build;
    build.jobs = jobCount(options);
    build.keepGoing = command.keepGoing;
    build.cacheDirectory = cacheDirectory(options);
    build.fetch.lookasideCaches = command.lookasideCaches;
    if (build.fetch.lookasideCaches.empty() && isDirectory(project.root + "/lookaside")) {
        build.fetch.lookasideCaches.push_back(project.root + "/lookaside");
    }
    build.fetch.upstreamFallback = command.upstreamSourceFallback;
    build.sdkRootfs = lockedSdkRootfs(project, options);
    if (build.sdkRootfs.empty()) {
        throw Error(project.lock && project.lock->sdk
                        ? "the SDK image Twoliter.lock pins is not in the cache"
                        : "Twoliter.lock pins no SDK image to build in",
                    {}, "run 'twoliter sdk pull', 'sdk create' or 'sdk import' first");
    }
    build.sdkDigest = hexFromBase64(project.lock->sdk->digest);
    build.sourceDateEpoch = [root = project.root] { return sourceDateEpoch(root); };
    build.interrupted = &interrupted;
    std::vector<std::string> names;
    for (const auto& package : project.packages)
        names.push_back(package.packageName);
    ConsoleStatus status(names, plan.packageCount(), ::isatty(STDERR_FILENO) != 0, stderr,
                         command.explain);
    BubblewrapSandbox sandbox;
    ::signal(SIGINT, onInterrupt);
    BuildReport report =
        runBuild(planner, plan, build, sandbox, status,
                 [](const std::string& message) { std::cerr << "twoliter: " << message << "\n"; });
    ::signal(SIGINT, SIG_DFL);
    status.finish();
    reportOutcome(planner, report);
    if (interrupted)
        return 130;
    if (!report.succeeded())
        return 1;
    if (command.kind == "kit")
        return finishKitBuild(options, project, plan, report);
    if (command.kind == "variant" && !command.packagesOnly)
        return finishVariantBuild(options, project, planner, plan, report, sandbox);
    return 0;
} catch (const fs::filesystem_error& error) {
    throw fileSystemError(error);
}

int runGraph(const GlobalOptions& options, const GraphCommand& command) {
    Project project = openProject(options);
    Planner planner(project, plannerOptions(options, project));
    planner.load();
    printWarnings(project, planner);
    BuildPlan plan = !command.variant.empty()   ? planner.planVariant(command.variant)
                     : !command.package.empty() ? planner.planPackage(command.package)
                     : !command.kit.empty()     ? planner.planKit(command.kit)
                                                : planner.planAll();
    GraphFormat format = command.format == "json"  ? GraphFormat::Json
                         : command.format == "dot" ? GraphFormat::Dot
                                                   : GraphFormat::Text;
    std::cout << formatGraph(planner, plan, format);
    return 0;
}

int runWhy(const GlobalOptions& options, const std::string& variant, const std::string& package) {
    Project project = openProject(options);
    Planner planner(project, plannerOptions(options, project));
    planner.load();
    std::cout << formatExplanation(planner.explain(variant, package));
    return 0;
}

int runCheck(const GlobalOptions& options, bool strict) {
    Project project = openProject(options);
    Planner planner(project, plannerOptions(options, project));
    planner.load();
    printWarnings(project, planner);
    std::vector<Error> errors;
    size_t variants = 0;
    for (const auto& variant : project.variants) {
        if (!variant.supports(planner.arch()))
            continue;
        try {
            planner.resolveVariant(variant.name);
            ++variants;
        } catch (const Error& e) {
            errors.push_back(e);
        }
    }
    throwIfAny(errors);
    size_t rpms = 0;
    size_t edges = 0;
    for (size_t i = 0; i < planner.specs().size(); ++i) {
        rpms += planner.specs()[i].builtBinaries().size();
        edges += planner.packages()[i].buildDependencies.size();
    }
    std::cout << "ok: " << project.packages.size() << " packages (" << rpms << " RPMs, " << edges
              << " build edges), " << variants << " variants, " << project.kits.size()
              << " local and " << project.config.kits.size() << " external kits checked for "
              << archName(planner.arch()) << "\n";
    if (strict && !planner.disagreements().empty()) {
        throw Error(std::to_string(planner.disagreements().size()) +
                    " Cargo/spec dependency disagreements (see warnings above)");
    }
    return 0;
}

int runClean(const GlobalOptions& options) {
    Project project = openProject(options);
    for (const char* folder : {"rpms", "state", "logs"}) {
        std::error_code ignored;
        fs::remove_all(project.buildDirectory() + "/" + folder, ignored);
    }
    std::cerr << "twoliter: removed build/rpms, build/state and build/logs (the cache at "
              << cacheDirectory(options) << " is kept)\n";
    return 0;
}

namespace {

// Pins the SDK image (its manifest digest) in Twoliter.lock, keeping the kits.
void lockSdk(const Project& project, const std::string& manifestHex) {
    if (!project.config.sdk) {
        throw Error("Twoliter.toml has no [sdk] to pin the image as", {"Twoliter.toml"});
    }
    TwoliterLock lock = project.lock ? *project.lock : TwoliterLock{};
    lock.sdk = lockedImageFor(project.config, *project.config.sdk, manifestHex);
    writeFileAtomic(project.root + "/Twoliter.lock", formatTwoliterLock(lock));
    std::cerr << "twoliter: Twoliter.lock pins " << lock.sdk->source << " (sha256:" << manifestHex
              << ")\n";
}

// <store>/sdk/<hex>/rootfs -> <hex>
std::string manifestHexOf(const std::string& rootfs) {
    return fs::path(rootfs).parent_path().filename().string();
}

}  // namespace

int runSdkCreate(const GlobalOptions& options, const std::string& recipe,
                 const std::string& output) {
    Project project = openProject(options);
    std::string recipePath =
        recipe.empty() ? project.root + "/sdk/recipe" : fromCurrentDirectory(recipe);
    std::string layout =
        output.empty() ? project.buildDirectory() + "/sdk/oci" : fromCurrentDirectory(output);
    SdkRecipe parsed = readSdkRecipe(recipePath);
    std::cerr << "twoliter: creating the SDK image from " << project.display(recipePath)
              << " (Debian " << parsed.suite << ", this takes a few minutes)\n";
    std::string digest = createSdkImage(parsed, fs::path(recipePath).parent_path().string(),
                                        parseArch(options.arch, {"--arch"}), layout);
    std::string rootfs = importSdkImage(layout, cacheDirectory(options));
    std::cout << digest << "\n";
    lockSdk(project, manifestHexOf(rootfs));
    return 0;
}

int runSdkImport(const GlobalOptions& options, const std::string& source) {
    Project project = openProject(options);
    std::string rootfs = importSdkImage(fromCurrentDirectory(source), cacheDirectory(options));
    std::cout << "sha256:" << manifestHexOf(rootfs) << "\n";
    lockSdk(project, manifestHexOf(rootfs));
    return 0;
}

namespace {
std::string humanSize(uint64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
    return text;
}
}  // namespace

int runCacheInfo(const GlobalOptions& options) {
    std::string root = cacheDirectory(options);
    CacheUsage usage = measureCache(root);
    std::cout << "cache: " << root << "\n"
              << "  build outputs:  " << humanSize(usage.contentBytes) << "\n"
              << "  build roots:    " << humanSize(usage.buildRootBytes) << "\n"
              << "  external files: " << humanSize(usage.externalFileBytes) << "\n"
              << "  action records: " << humanSize(usage.actionBytes) << "\n"
              << "  SDK images:     " << humanSize(usage.sdkBytes) << " (not pruned)\n";
    return 0;
}

int runCachePrune(const GlobalOptions& options, const std::string& maxSize) {
    std::string root = cacheDirectory(options);
    uint64_t limit = parseSize(maxSize);
    FileLock lock(cacheLockPath(root), [](const std::string&) {
        std::cerr << "twoliter: waiting for the builds using the cache to finish\n";
    });
    PruneResult result = pruneCache(root, limit);
    std::cerr << "twoliter: removed " << result.removedEntries << " entries ("
              << humanSize(result.removedBytes) << ")";
    if (result.removedTemporaries > 0)
        std::cerr << " and " << result.removedTemporaries << " leftovers of interrupted runs";
    std::cerr << "; " << humanSize(result.after.prunable()) << " left besides SDK images\n";
    return 0;
}

namespace {

// Pulls what Twoliter.lock pins: the manifest its source names now must have
// the locked digest (the SHA-256 of its canonical JSON, as upstream locks
// it); the image is then pulled by its OCI digest. The lock is kept as it
// is, and the cache records which unpacked SDK the locked digest means.
int pullLockedSdk(const GlobalOptions& options, const Project& project) {
    const LockedImage& locked = *project.lock->sdk;
    Location where{project.display(project.root + "/Twoliter.lock"), 0, "sdk.source"};
    ImageReference image = parseImageReference(locked.source, where);
    RegistryClient client;
    RegistryManifest manifest = client.fetchManifest(image);
    if (lockDigest(manifest.bytes, image.str()) != locked.digest) {
        throw Error(image.str() +
                        " is not the image Twoliter.lock pins: it has changed in the "
                        "registry since the lock was written",
                    where, "run 'twoliter update' to lock what the registry holds now");
    }
    image.digest = manifest.digest;
    std::string layout = project.buildDirectory() + "/sdk/pulled";
    std::string digest =
        client.pullImage(image, layout, ociArchName(parseArch(options.arch, {"--arch"})));
    std::string rootfs = importSdkImage(layout, cacheDirectory(options));
    recordLockedSdk(cacheDirectory(options), locked.digest, manifestHexOf(rootfs));
    std::cout << digest << "\n";
    return 0;
}

}  // namespace

int runSdkPull(const GlobalOptions& options, const std::string& reference) {
    Project project = openProject(options);
    ImageReference image;
    if (!reference.empty()) {
        image = parseImageReference(reference, {"sdk pull"});
    } else if (project.lock && project.lock->sdk) {
        return pullLockedSdk(options, project);
    } else {
        throw Error("Twoliter.lock pins no SDK image to pull", {},
                    "name one: twoliter sdk pull <registry>/<repository>@sha256:<digest>");
    }
    std::string layout = project.buildDirectory() + "/sdk/pulled";
    RegistryClient client;
    std::string digest =
        client.pullImage(image, layout, ociArchName(parseArch(options.arch, {"--arch"})));
    std::string rootfs = importSdkImage(layout, cacheDirectory(options));
    std::cout << digest << "\n";
    lockSdk(project, manifestHexOf(rootfs));
    return 0;
}

int runSdkPush(const GlobalOptions& options, const std::string& reference,
               const std::string& layout) {
    Project project = openProject(options);
    std::string source =
        layout.empty() ? project.buildDirectory() + "/sdk/oci" : fromCurrentDirectory(layout);
    RegistryClient client;
    std::cout << client.pushImage(source, parseImageReference(reference, {"sdk push"})) << "\n";
    return 0;
}

}  // namespace twoliter::cli
