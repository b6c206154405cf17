// One TOML file of a project, read as the project loader reads it. Built
// once per file kind; FUZZ_MANIFEST selects the reader:
//   1 Twoliter.toml, 2 Twoliter.lock, 3 Release.toml, 4 Infra.toml,
//   5 a Cargo.toml (package, variant and kit metadata tables).
// A Cargo.toml that reads must also survive the manifest cache's encoding:
// decode(encode(m)) encodes to the same bytes.

#include <cstdlib>

#include "fuzz_support.h"
#include "project/manifest_cache.h"
#include "project/manifest_reader.h"
#include "util/error.h"

#ifndef FUZZ_MANIFEST
#error "FUZZ_MANIFEST selects the reader"
#endif

namespace twoliter {
namespace {

void readManifest(const std::string& path) {
    switch (FUZZ_MANIFEST) {
        case 1:
            readTwoliterConfig(path, "Twoliter.toml");
            break;
        case 2:
            readTwoliterLock(path, "Twoliter.lock");
            break;
        case 3:
            readReleaseConfig(path, "Release.toml");
            break;
        case 4:
            readInfraConfig(path, "Infra.toml");
            break;
        case 5: {
            CargoManifest manifest = readCargoManifest(path, "packages/fuzz/Cargo.toml");
            std::string encoded = encodeCargoManifest(manifest);
            if (encodeCargoManifest(decodeCargoManifest(encoded)) != encoded)
                std::abort();
            break;
        }
    }
}

}  // namespace
}  // namespace twoliter

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace twoliter;
    // Cargo.toml under a package folder, as paths in it are read relative to it.
    std::string path = fuzz::writeScratchFile(
        FUZZ_MANIFEST == 5 ? "packages/fuzz/Cargo.toml" : "project/manifest.toml",
        fuzz::asText(data, size));
    try {
        readManifest(path);
    } catch (const Error&) {
    }
    return 0;
}
