#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cache/file_digests.h"
#include "project/project.h"
#include "spec/package_spec.h"

namespace twoliter {

// Everything a package build reads, as named digests. The action key is the
// digest of the whole list, so equal keys mean equal inputs, and two lists
// can be compared to say which input changed.
struct ActionInputs {
    std::vector<std::pair<std::string, std::string>> items;  // sorted by name

    void add(std::string name, std::string digest);
    std::string key() const;
};

// What every package build of one run shares.
struct BuildEnvironment {
    std::string sdkDigest;           // the SDK image the build runs in
    std::string macroContextDigest;  // arch, SDK macro files, defines
    std::string archName;
};

// The inputs of a package build: its metadata table (not the rest of
// Cargo.toml), every file of its directory except hidden ones and
// Cargo.toml, the files of its source groups (sources/<group>/, skipping
// hidden files, target/, vendor/ and README.md, as upstream does), its
// external files' SHA-512, the build environment, and the digests of the
// RPMs in its build root (file name, SHA-256).
ActionInputs packageActionInputs(
    const Project& project, const PackageManifest& package, const BuildEnvironment& environment,
    const std::vector<std::pair<std::string, std::string>>& buildRootRpms, FileDigests& digests);

// Lines saying how two input lists differ: "changed: file:runc.c", "added:
// ...", "removed: ...". Empty when equal.
std::vector<std::string> explainDifference(const ActionInputs& previous,
                                           const ActionInputs& current);

}  // namespace twoliter
