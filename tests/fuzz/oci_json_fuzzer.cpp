// JSON as the OCI code reads it (sdk/json_reader.h parseJson: manifests,
// indexes, configs, docker's manifest.json, registry answers) and the lock
// digests of Twoliter.lock (kit/lock_digest.h): canonical JSON must be a
// fixed point (canonicalising it again gives the same text), and a lock
// digest read back must be the SHA-256 it was made from. The input also goes
// to kitLabelOfConfig as an image config.

#include <cstdlib>

#include "fuzz_support.h"
#include "kit/kit_metadata.h"
#include "kit/lock_digest.h"
#include "sdk/json_reader.h"
#include "util/digest.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace twoliter;
    std::string_view text = fuzz::asText(data, size);
    try {
        JsonValue value = parseJson(text, "fuzz.json");
        value.integer();
        std::string canonical = canonicalizeJson(text, "fuzz.json");
        if (canonicalizeJson(canonical, "canonical") != canonical)
            std::abort();
        std::string digest = lockDigest(text, "fuzz.json");
        if (lockDigestSha256Hex(digest, "lock") != sha256Hex(canonical))
            std::abort();
    } catch (const Error&) {
    }
    try {
        lockDigestSha256Hex(std::string(text), "Twoliter.lock");
    } catch (const Error&) {
    }
    try {
        kitMetadataOfConfig(std::string(text), "fuzz-config");
    } catch (const Error&) {
    }
    return 0;
}
