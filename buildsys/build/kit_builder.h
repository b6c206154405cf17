#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "project/model.h"

namespace twoliter {

// The RPMs of one package of a kit: file name -> SHA-256, as published in
// build/rpms/<package>/.
struct KitPackage {
    std::string name;
    std::map<std::string, std::string> rpms;
};

struct KitAssembly {
    std::string kitName;
    std::string vendor;
    std::string version;  // the project's release-version
    std::string buildId;  // see buildId()
    Arch arch = Arch::X86_64;
    int64_t sourceDateEpoch = 0;
    std::string rpmDirectory;   // build/rpms
    std::string kitsDirectory;  // build/kits
    std::optional<RepoSigning> signing;
    // The SDK and external kits the kit was built against (Twoliter.lock),
    // recorded in the kit's label.
    std::optional<LockedImage> sdk;
    std::vector<LockedImage> dependentKits;
};

struct KitOutputs {
    std::string repository;  // build/kits/<kit>/<arch>
    std::string imageTar;    // build/kits/<kit>/<kit>-v<version>-<build>-<arch>.tar
    size_t rpms = 0;
    size_t rpmsRead = 0;  // RPMs whose metadata was read (not reused)
    bool signedRepository = false;
};

// Lays the kit's RPMs out as upstream does — build/kits/<kit>/<arch>/
// Packages/<package>/*.rpm, without debuginfo/debugsource and other
// arches' RPMs — writes its repository metadata (incrementally), signs it
// (and the RPMs, when signing.signRpms) with the project's key, and writes
// the kit's OCI image as a tar beside it. Unchanged RPMs are not copied or
// signed again: `.kit-sources` in the arch folder records the digest each
// RPM came from. The image tar is written last, through a temporary name,
// so it exists only for a complete kit. Throws Error naming the file.
KitOutputs assembleKit(const KitAssembly& assembly, const std::vector<KitPackage>& packages);

// The secret key a kit build signs with: TWOLITER_SIGNING_KEY when set (a
// path, relative to the current directory), else [signing] of
// Twoliter.toml, else none.
std::optional<RepoSigning> effectiveSigning(const TwoliterConfig& config);

}  // namespace twoliter
