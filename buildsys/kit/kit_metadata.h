#pragma once

// What a kit image says about itself: the `dev.bottlerocket.kit.v2` label of
// its image config, as upstream's rpm2kit writes it and `twoliter update`
// reads it. The label's value is the base64 (standard alphabet, padded) of
//   {"kit":[{"name":…,"vendor":…,"version":…}…],"name":…,
//    "sdk":{"digest":…,"name":…,"source":…,"vendor":…,"version":…},
//    "version":…}
// followed by a newline: `jq --compact-output --sort-keys` output piped
// through `base64 -w0`.

#include <string>
#include <vector>

#include "project/model.h"

namespace twoliter {

inline constexpr const char* kKitLabelPrefix = "dev.bottlerocket.kit.";
inline constexpr const char* kKitLabel = "dev.bottlerocket.kit.v2";

// A kit another kit was built against.
struct KitDependency {
    std::string name;
    std::string version;
    std::string vendor;
};

struct KitMetadata {
    std::string name;
    std::string version;
    LockedImage sdk;  // the SDK the kit was built with (from its Twoliter.lock)
    std::vector<KitDependency> kits;
};

// The label value for metadata.
std::string encodeKitLabel(const KitMetadata& metadata);

// The metadata a label value holds. Throws Error with ref (the image
// reference or file the label came from) as location for bad base64, bad
// JSON, a missing or unknown field.
KitMetadata decodeKitLabel(const std::string& label, const std::string& ref);

// The kit label's value in an image config (JSON). Throws Error naming ref:
// "<ref>: the image is not a kit (…no dev.bottlerocket.kit.v2 label)" when there is no
// kit label at all, a schema error when the label is dev.bottlerocket.kit.vN
// of another N.
std::string kitLabelOfConfig(const std::string& configJson, const std::string& ref);

// kitLabelOfConfig then decodeKitLabel.
KitMetadata kitMetadataOfConfig(const std::string& configJson, const std::string& ref);

}  // namespace twoliter
