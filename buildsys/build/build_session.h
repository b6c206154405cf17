#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "build/planner.h"
#include "build/scheduler.h"
#include "fetch/external_files.h"
#include "sandbox/sandbox.h"

namespace twoliter {

struct BuildOptions {
    int jobs = 1;
    bool keepGoing = false;
    std::string cacheDirectory;  // content store, action cache, build roots, external files
    FetchSettings fetch;
    std::string sdkRootfs;  // the SDK root filesystem builds run in
    std::string sdkDigest;
    // SOURCE_DATE_EPOCH, asked for only when a package really builds (see
    // build/source_date.h): an up-to-date run does not open the repository.
    std::function<std::string()> sourceDateEpoch = [] { return std::string("1704067200"); };
    const std::atomic<bool>* interrupted = nullptr;
};

struct BuildReport {
    std::vector<size_t> packages;    // what the plan held, in level order
    std::vector<JobResult> results;  // indexed by package
    double seconds = 0;
    std::string summaryPath;  // the JSON summary of this run
    // For each package that built or was up to date: its RPMs, as published
    // in build/rpms/<package>/ (file name -> SHA-256).
    std::map<size_t, std::map<std::string, std::string>> outputs;
    // Problems the build recovered from, one line each (a corrupt cache
    // entry discarded and its package rebuilt).
    std::vector<std::string> warnings;
    bool succeeded() const;
};

// Builds the packages of plan: takes the project lock (waiting, and telling
// waitingForLock a one-line message, when another run holds it), hashes inputs, runs the schedule
// with PackageBuilder jobs, and writes a JSON summary of the run to
// build/state/<arch>/last-build.json. Throws Error for problems before any
// package runs; package failures are in the report.
BuildReport runBuild(Planner& planner, const BuildPlan& plan, const BuildOptions& options,
                     SandboxRunner& sandbox, StatusSink& status,
                     const std::function<void(const std::string&)>& waitingForLock);

// The summary as JSON: for each package its state, why, seconds and log.
std::string formatBuildSummary(const Planner& planner, const BuildPlan& plan,
                               const BuildReport& report);

// The last lines of a log file, for a failure message.
std::vector<std::string> logTail(const std::string& path, size_t lines);

}  // namespace twoliter
