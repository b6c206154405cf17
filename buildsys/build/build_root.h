#pragma once

#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "sandbox/sandbox.h"

namespace twoliter {

// Build roots: the RPMs a package build needs, installed once per distinct
// set with `rpm --root --nodeps` inside the SDK (libsolv already resolved the
// set), then reused read-only by every build that needs the same set.
// Stored at <root>/<key>, key = SHA-256 over the SDK digest and the sorted
// RPM digests; created in a temporary folder and renamed into place.
class BuildRootCache {
  public:
    BuildRootCache(std::string root, std::string sdkRootfs, std::string sdkDigest,
                   SandboxRunner& sandbox);

    // rpms: (file name, host path, SHA-256). Returns "" for an empty set.
    // Throws Error when rpm fails, naming the log that holds its output.
    std::string ensure(const std::vector<std::tuple<std::string, std::string, std::string>>& rpms,
                       const std::string& logPath);

  private:
    std::string root_;
    std::string sdkRootfs_;
    std::string sdkDigest_;
    SandboxRunner& sandbox_;
};

// Mounts that show a build root inside a sandbox whose rootfs is sdkRootfs:
// each top-level folder of the build root at the same place, except var/
// (rpm's database, not needed by builds). Throws Error when a build root has
// a top-level folder the SDK also has (etc/, usr/): merging them is not
// supported yet.
std::vector<SandboxMount> buildRootMounts(const std::string& buildRoot,
                                          const std::string& sdkRootfs);

}  // namespace twoliter
