#pragma once

#include <string>
#include <utility>
#include <vector>

#include "project/model.h"

namespace twoliter {

// The macros upstream defines when it parses a variant's specs (the
// generated metadata package): %_cross_variant and its platform, runtime,
// family and flavor, and the bconds <platform>_platform, <runtime>_runtime,
// <family>_family, <flavor|no>_flavor and one per enabled image feature, all
// lowercased with dashes as underscores. A bcond is given as with_<name> = 1,
// which is what %bcond_without <name> defines, so %{with <name>} holds.
std::vector<std::pair<std::string, std::string>> variantMacroDefines(
    const VariantManifest& variant);

}  // namespace twoliter
