#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "build/action_inputs.h"
#include "build/build_root.h"
#include "build/build_state.h"
#include "build/planner.h"
#include "build/scheduler.h"
#include "cache/content_store.h"
#include "fetch/external_files.h"
#include "sandbox/sandbox.h"

namespace twoliter {

struct PackageBuildSettings {
    std::string sdkRootfs;      // the SDK root filesystem builds run in
    std::string sdkMacrosPath;  // inside the SDK: the macros file rpmbuild loads
    BuildEnvironment environment;
    std::function<std::string()> sourceDateEpoch = [] { return std::string("1704067200"); };
    // Folders of the project: state (work dirs, last keys), logs, rpms.
    std::string stateDirectory;
    std::string logDirectory;
    std::string rpmDirectory;
};

// The job of one package: compute its action key from its inputs and the
// RPMs of its build root; on a cache hit fill build/rpms/<pkg>/ from the
// store and run nothing; otherwise fetch its external files, make its build
// root, run rpmbuild in the sandbox, and store the RPMs. Outputs are written
// to temporary names and renamed, so a killed build leaves nothing that a
// later run trusts.
class PackageBuilder final : public JobRunner {
  public:
    // baseInputs[i]: the inputs of package i without its build root, computed
    // before the schedule starts (hashing is not thread-safe).
    PackageBuilder(const Planner& planner, std::vector<ActionInputs> baseInputs,
                   PackageBuildSettings settings, ContentStore& store, ActionCache& actions,
                   ExternalFileStore& externalFiles, BuildRootCache& buildRoots,
                   SandboxRunner& sandbox, BuildState& state);

    JobResult run(size_t package) override;
    std::optional<JobResult> runIfUpToDate(size_t package) override;
    void cancel() override;

    // The RPM files package i produced or took from the cache (file name ->
    // SHA-256), once its job finished.
    std::map<std::string, std::string> outputsOf(size_t package) const;
    // One line per cache entry found corrupt on a hit (discarded, and its
    // package rebuilt), once the schedule finished.
    std::vector<std::string> warnings() const;

  private:
    JobResult build(size_t package, const ActionInputs& inputs, const std::string& key);
    std::vector<std::tuple<std::string, std::string, std::string>> buildRootRpms(
        size_t package) const;
    ActionInputs inputsOf(size_t package) const;
    bool unchanged(size_t package, const std::string& key);
    std::string explain(size_t package, const ActionInputs& inputs) const;
    bool published(size_t package, const std::map<std::string, std::string>& outputs) const;
    void publish(size_t package, const std::string& key, const ActionRecord& record);

    const Planner& planner_;
    std::vector<ActionInputs> baseInputs_;
    PackageBuildSettings settings_;
    ContentStore& store_;
    ActionCache& actions_;
    ExternalFileStore& externalFiles_;
    BuildRootCache& buildRoots_;
    SandboxRunner& sandbox_;
    BuildState& state_;
    mutable std::mutex mutex_;
    std::vector<std::string> warnings_;  // guarded by mutex_
    std::once_flag sourceDateOnce_;
    std::string sourceDate_;
    std::map<size_t, std::map<std::string, std::string>> outputs_;
};

// rpmbuild's command line inside the sandbox, as every build runs it: the
// SDK's macros, sources in /build/SOURCES, output below /build/rpmbuild,
// build time and file times from SOURCE_DATE_EPOCH.
std::vector<std::string> rpmbuildCommand(const std::string& macrosPath, const std::string& arch,
                                         const std::string& specPath);

// The sandbox every rpmbuild runs in, without its command and log: the SDK
// rootfs, work bound writable at /build (the working directory), private
// /tmp and /var/tmp, and a fixed environment (PATH, HOME=/build, C.UTF-8,
// UTC) with SOURCE_DATE_EPOCH.
SandboxSpec rpmbuildSandbox(const std::string& sdkRootfs, const std::string& work,
                            const std::string& sourceDateEpoch);

// rpm's file name for a binary package: name-version-release.arch.rpm (the
// epoch is not part of it).
std::string rpmFileName(const std::string& name, const std::string& evr, const std::string& arch);

}  // namespace twoliter
