#include "spec/variant_macros.h"

#include <algorithm>
#include <cctype>

namespace twoliter {

namespace {
std::string bcondName(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
        return c == '-' ? '_' : static_cast<char>(std::tolower(c));
    });
    return text;
}
}  // namespace

std::vector<std::pair<std::string, std::string>> variantMacroDefines(
    const VariantManifest& variant) {
    VariantName name = parseVariantName(variant.name, {variant.manifestPath});
    std::vector<std::pair<std::string, std::string>> defines = {
        {"_cross_variant", variant.name},
        {"_cross_variant_platform", name.platform},
        {"_cross_variant_runtime", name.runtime},
        {"_cross_variant_family", name.family()},
        {"_cross_variant_flavor", name.flavor},
        {"with_" + bcondName(name.platform) + "_platform", "1"},
        {"with_" + bcondName(name.runtime) + "_runtime", "1"},
        {"with_" + bcondName(name.family()) + "_family", "1"},
        {"with_" + bcondName(name.flavor == "none" ? "no" : name.flavor) + "_flavor", "1"},
    };
    for (const auto& feature : variant.enabledFeatures) {
        defines.emplace_back("with_" + bcondName(feature), "1");
    }
    return defines;
}

}  // namespace twoliter
