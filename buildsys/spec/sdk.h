#pragma once

#include <string>
#include <vector>

#include "project/model.h"

namespace twoliter {

// What spec parsing and resolution need from an SDK, found in one of three
// layouts:
//   - an SDK root filesystem: usr/lib/rpm/platform/<arch>-bottlerocket/macros
//     (upstream's SDK image layout) and usr/share/twoliter/sdk-provides;
//   - an SDK source tree: macros/<arch>, macros/shared, macros/rust,
//     macros/cargo (upstream's bottlerocket-sdk repository) and provides;
//   - a single macros file.
// provides lists, one per line (# starts a comment), the capabilities the SDK
// userland satisfies for BuildRequires that no RPM of the project provides
// (host tools such as git or cmake).
struct Sdk {
    std::string path;

    // Macro files in load order. Throws Error when the SDK has none for arch.
    std::vector<std::string> macroFiles(Arch arch) const;
    std::vector<std::string> provides() const;
};

}  // namespace twoliter
