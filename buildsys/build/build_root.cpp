#include "build/build_root.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <tuple>

#include "util/digest.h"
#include "util/error.h"
#include "util/files.h"

namespace fs = std::filesystem;

namespace twoliter {

BuildRootCache::BuildRootCache(std::string root, std::string sdkRootfs, std::string sdkDigest,
                               SandboxRunner& sandbox)
    : root_(std::move(root)),
      sdkRootfs_(std::move(sdkRootfs)),
      sdkDigest_(std::move(sdkDigest)),
      sandbox_(sandbox) {}

std::string BuildRootCache::ensure(
    const std::vector<std::tuple<std::string, std::string, std::string>>& rpms,
    const std::string& logPath) {
    if (rpms.empty())
        return "";
    std::vector<std::string> digests;
    for (const auto& rpm : rpms)
        digests.push_back(std::get<2>(rpm));
    std::sort(digests.begin(), digests.end());
    Sha256 hash;
    hash.addField("build-root-v1").addField(sdkDigest_);
    for (const auto& digest : digests)
        hash.addField(digest);
    std::string target = root_ + "/" + hash.hex();
    if (isDirectory(target)) {
        touchPath(target);
        return target;
    }

    std::string temporary = target + ".tmp-" + uniqueSuffix();
    fs::create_directories(temporary);
    SandboxSpec spec;
    spec.rootfs = sdkRootfs_;
    spec.mounts.push_back({temporary, "/buildroot", true});
    spec.tmpfs = {"/rpms", "/tmp", "/var/tmp"};
    spec.command = {"rpm",       "--root",   "/buildroot",   "--dbpath",    "/var/lib/rpm",
                    "-i",        "--nodeps", "--ignorearch", "--noscripts", "--nosignature",
                    "--nodigest"};
    for (const auto& [name, path, digest] : rpms) {
        spec.mounts.push_back({path, "/rpms/" + name, false});
        spec.command.push_back("/rpms/" + name);
    }
    spec.environment = {
        {"PATH", "/usr/bin:/usr/sbin:/bin:/sbin"}, {"LANG", "C.UTF-8"}, {"TZ", "UTC"}};
    spec.logPath = logPath;
    SandboxResult result = sandbox_.run(spec);
    if (!result.ok()) {
        std::error_code ignored;
        fs::remove_all(temporary, ignored);
        throw Error(
            "installing the build root failed (rpm exit " + std::to_string(result.exitCode) + ")",
            {logPath});
    }
    std::error_code error;
    fs::rename(temporary, target, error);
    if (error)
        fs::remove_all(temporary, error);  // another build made the same root first
    return target;
}

std::vector<SandboxMount> buildRootMounts(const std::string& buildRoot,
                                          const std::string& sdkRootfs) {
    std::vector<SandboxMount> mounts;
    if (buildRoot.empty())
        return mounts;
    for (const auto& name : listSubdirectories(buildRoot)) {
        if (name == "var")
            continue;
        if (pathExists(sdkRootfs + "/" + name)) {
            throw Error("the build root has files under /" + name +
                            ", which the SDK also has; merging them is not supported yet",
                        {buildRoot});
        }
        mounts.push_back({buildRoot + "/" + name, "/" + name, false});
    }
    return mounts;
}

}  // namespace twoliter
