// The dev.bottlerocket.kit.v2 label of a kit image (kit/kit_metadata.h), as
// `twoliter update` decodes it from a registry: the input as the label's
// value, and base64 of the input (so mutations reach the JSON inside). A
// label that decodes must encode to a label that decodes to the same.

#include <cstdlib>

#include "fuzz_support.h"
#include "kit/kit_metadata.h"
#include "util/digest.h"
#include "util/error.h"

namespace twoliter {
namespace {

void decodeAndRoundTrip(const std::string& label) {
    KitMetadata metadata;
    try {
        metadata = decodeKitLabel(label, "fuzz-kit");
    } catch (const Error&) {
        return;
    }
    std::string encoded = encodeKitLabel(metadata);
    if (encodeKitLabel(decodeKitLabel(encoded, "re-encoded")) != encoded)
        std::abort();
}

}  // namespace
}  // namespace twoliter

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace twoliter;
    std::string_view text = fuzz::asText(data, size);
    decodeAndRoundTrip(std::string(text));
    decodeAndRoundTrip(base64Encode(text));
    return 0;
}
