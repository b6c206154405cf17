#include "build/build_session.h"

#include <chrono>
#include <deque>
#include <fstream>

#include "build/build_root.h"
#include "build/package_builder.h"
#include "cache/cache_pruning.h"
#include "cache/content_store.h"
#include "cache/file_digests.h"
#include "spec/sdk.h"
#include "util/file_lock.h"
#include "util/files.h"
#include "util/json_writer.h"

namespace twoliter {

bool BuildReport::succeeded() const {
    for (size_t package : packages) {
        JobState state = results[package].state;
        if (state != JobState::Built && state != JobState::Cached)
            return false;
    }
    return true;
}

namespace {

std::vector<size_t> packagesOf(const BuildPlan& plan) {
    std::vector<size_t> packages;
    for (const auto& level : plan.levels)
        packages.insert(packages.end(), level.begin(), level.end());
    return packages;
}

std::string stateDirectory(const Planner& planner) {
    return planner.project().buildDirectory() + "/state/" + archName(planner.arch());
}

// The macros file of an SDK root filesystem, as the sandbox sees it.
std::string sdkMacrosInside(Arch arch) {
    return std::string("/usr/lib/rpm/platform/") + archName(arch) + "-bottlerocket/macros";
}

}  // namespace

BuildReport runBuild(Planner& planner, const BuildPlan& plan, const BuildOptions& options,
                     SandboxRunner& sandbox, StatusSink& status,
                     const std::function<void(const std::string&)>& waitingForLock) {
    auto start = std::chrono::steady_clock::now();
    const Project& project = planner.project();
    FileLock lock(project.buildDirectory() + "/state/lock", [&](const std::string& holder) {
        waitingForLock("waiting for " + holder + ", which is building this project");
    });
    // Shared: builds of several projects use the cache at once; a prune
    // takes it exclusively.
    FileLock cacheLock(
        cacheLockPath(options.cacheDirectory),
        [&](const std::string& holder) {
            waitingForLock("waiting for " + holder + ", which is pruning the cache");
        },
        FileLock::Mode::Shared);
    if (!isRegularFile(options.sdkRootfs + sdkMacrosInside(planner.arch()))) {
        throw Error("the SDK has no RPM macros for " + std::string(archName(planner.arch())),
                    {options.sdkRootfs + sdkMacrosInside(planner.arch())});
    }

    // Folders a killed run was publishing (build/rpms/<package>.tmp-*).
    removeAbandonedTemporaries(project.buildDirectory() + "/rpms");

    BuildReport report;
    report.packages = packagesOf(plan);
    BuildEnvironment environment{options.sdkDigest, planner.macroContextDigest(),
                                 archName(planner.arch())};
    std::vector<ActionInputs> baseInputs(project.packages.size());
    FileDigests digests(stateDirectory(planner) + "/file-digests");
    for (size_t package : report.packages) {
        baseInputs[package] =
            packageActionInputs(project, project.packages[package], environment, {}, digests);
    }
    digests.save();

    ContentStore store(options.cacheDirectory);
    ActionCache actions(options.cacheDirectory);
    CurlDownloader downloader;
    ExternalFileStore externalFiles(options.cacheDirectory + "/external-files", options.fetch,
                                    downloader);
    BuildRootCache buildRoots(options.cacheDirectory + "/build-roots", options.sdkRootfs,
                              options.sdkDigest, sandbox);
    PackageBuildSettings settings;
    settings.sdkRootfs = options.sdkRootfs;
    settings.sdkMacrosPath = sdkMacrosInside(planner.arch());
    settings.environment = environment;
    settings.sourceDateEpoch = options.sourceDateEpoch;
    settings.stateDirectory = stateDirectory(planner);
    settings.logDirectory = project.buildDirectory() + "/logs/" + archName(planner.arch());
    settings.rpmDirectory = project.buildDirectory() + "/rpms";
    BuildState state(stateDirectory(planner) + "/build-state");
    PackageBuilder builder(planner, std::move(baseInputs), settings, store, actions, externalFiles,
                           buildRoots, sandbox, state);
    ScheduleOptions schedule{options.jobs, options.keepGoing, options.interrupted};
    report.results = runSchedule(planner.graph(), report.packages, schedule, builder, status);
    state.save();
    report.warnings = builder.warnings();
    for (size_t package : report.packages) {
        JobState outcome = report.results[package].state;
        if (outcome == JobState::Built || outcome == JobState::Cached)
            report.outputs[package] = builder.outputsOf(package);
    }
    report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    report.summaryPath = stateDirectory(planner) + "/last-build.json";
    writeFileAtomic(report.summaryPath, formatBuildSummary(planner, plan, report));
    return report;
}

std::string formatBuildSummary(const Planner& planner, const BuildPlan& plan,
                               const BuildReport& report) {
    JsonWriter json;
    json.beginObject();
    json.key("kind").value(plan.kind);
    json.key("target").value(plan.target);
    json.key("arch").value(archName(planner.arch()));
    json.key("succeeded").value(report.succeeded());
    json.key("seconds").value(static_cast<int64_t>(report.seconds * 1000) / 1000);
    json.key("milliseconds").value(static_cast<int64_t>(report.seconds * 1000));
    json.key("packages").beginArray();
    for (size_t package : report.packages) {
        const JobResult& result = report.results[package];
        json.beginObject();
        json.key("name").value(planner.project().packages[package].packageName);
        json.key("state").value(jobStateName(result.state));
        json.key("reason").value(result.detail);
        json.key("milliseconds").value(static_cast<int64_t>(result.seconds * 1000));
        json.key("log").value(result.logPath);
        json.endObject();
    }
    json.endArray();
    json.endObject();
    return json.str() + "\n";
}

std::vector<std::string> logTail(const std::string& path, size_t lines) {
    std::ifstream in(path);
    std::deque<std::string> tail;
    for (std::string line; std::getline(in, line);) {
        tail.push_back(line);
        if (tail.size() > lines)
            tail.pop_front();
    }
    return {tail.begin(), tail.end()};
}

}  // namespace twoliter
