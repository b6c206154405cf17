#pragma once

// What the commands share: opening the project, the cache and SDK the
// options name, the planner's options.

#include <string>

#include "build/build_session.h"
#include "build/planner.h"
#include "commands.h"
#include "project/project.h"

namespace twoliter::cli {

// The project at --project-path, else the nearest at or above the current directory.
Project openProject(const GlobalOptions& options);
// path made absolute against the current directory.
std::string fromCurrentDirectory(const std::string& path);
std::string cacheDirectory(const GlobalOptions& options);
// The SDK image pinned by Twoliter.lock, if it has been created, imported or
// pulled into the cache: <cache>/sdk/<digest>/rootfs, where digest is the
// locked digest or, when that is not the manifest's own digest (an index, a
// manifest that is not canonical JSON), what <cache>/sdk/locked/<digest>
// names; else "".
std::string lockedSdkRootfs(const Project& project, const GlobalOptions& options);
// Records that the locked digest means the SDK unpacked under manifestHex.
void recordLockedSdk(const std::string& cacheDirectory, const std::string& lockDigest,
                     const std::string& manifestHex);
// Where spec macros come from: --sdk, $TWOLITER_SDK, the locked SDK image,
// or the project's sdk/ folder.
std::string sdkPath(const GlobalOptions& options, const Project& project);
int jobCount(const GlobalOptions& options);
PlannerOptions plannerOptions(const GlobalOptions& options, const Project& project);
void printWarnings(const Project& project, const Planner& planner);
BuildPlan planFor(Planner& planner, const std::string& kind, const std::string& name);

// Makes the kits Twoliter.lock pins available for a build: fetched when
// missing (offline when they are there), verified where the vendor has a
// signing-key. Kits given with --kit-source are skipped.
void prepareKits(const GlobalOptions& options, const Project& project);
// After a variant's packages are built: its images.
int finishVariantBuild(const GlobalOptions& options, const Project& project, const Planner& planner,
                       const BuildPlan& plan, const BuildReport& report, SandboxRunner& sandbox);
// After a kit's packages are built: its repository, signature and image.
int finishKitBuild(const GlobalOptions& options, const Project& project, const BuildPlan& plan,
                   const BuildReport& report);

}  // namespace twoliter::cli
