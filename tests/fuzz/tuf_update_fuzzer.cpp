// What `repo` commands read besides TUF roles: manifest.json (the update
// list, tuf/update_manifest.h), the expiration and wave policy files (their
// own small TOML reader, tuf/policy_files.h) and times (tuf/tuf_time.h). A
// manifest that reads must write out as text that reads back to the same
// text.

#include <cstdlib>

#include "fuzz_support.h"
#include "tuf/policy_files.h"
#include "tuf/tuf_time.h"
#include "tuf/update_manifest.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace twoliter;
    std::string text(fuzz::asText(data, size));
    try {
        std::string written = writeUpdateManifest(parseUpdateManifest(text, "manifest.json"));
        if (writeUpdateManifest(parseUpdateManifest(written, "re-written")) != written)
            std::abort();
    } catch (const Error&) {
    }
    try {
        parseExpirationPolicy(text, "expiration.toml");
    } catch (const Error&) {
    }
    try {
        parseWavePolicy(text, "waves.toml");
    } catch (const Error&) {
    }
    try {
        parseTimeOffset(text, {"offset"});
    } catch (const Error&) {
    }
    if (auto seconds = parseRfc3339(text))
        formatRfc3339(*seconds);
    try {
        SemVer::parse(text, "version");
    } catch (const Error&) {
    }
    return 0;
}
