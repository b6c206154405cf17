#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "project/model.h"
#include "spec/package_spec.h"

namespace twoliter {

// The macro environment specs are parsed in: rpm's own defaults for the
// target arch, then the SDK's macro files, then defines at command-line level.
struct MacroContext {
    Arch arch = Arch::X86_64;
    std::vector<std::string> macroFiles;
    std::vector<std::pair<std::string, std::string>> defines;

    // Covers the arch, the content of every macro file and the defines: two
    // contexts with the same digest parse every spec the same way.
    std::string digest() const;
};

struct SpecParseRequest {
    std::string specPath;
    std::string displayName;  // used in error messages
};

// Exactly one of spec and error is meaningful.
struct SpecParseOutcome {
    PackageSpec spec;
    std::optional<Error> error;
};

// Parses each spec through librpmbuild (rpmSpecParse) in a child process of
// its own, up to `jobs` at once: spec macros can run shell and Lua code and
// leave definitions behind, so no parse may see another's state, and a crash
// in rpm fails one spec instead of the tool. Outcomes come back in request
// order; a spec that does not parse gets an error naming file and line.
// progress, when set, is called after each spec with (parsed so far, total).
using ParseProgress = std::function<void(size_t, size_t)>;
std::vector<SpecParseOutcome> parseSpecs(const MacroContext& context,
                                         const std::vector<SpecParseRequest>& requests, int jobs,
                                         const ParseProgress& progress = {});

// rpmExpand of text in the context, e.g. "%{?_cross_os}".
std::string expandMacros(const MacroContext& context, const std::string& text);

}  // namespace twoliter
