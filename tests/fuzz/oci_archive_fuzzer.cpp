// An image archive as twoliter opens one: a tar of an OCI image layout or a
// docker save archive as `sdk import` reads it (resolveImage: the tar
// reader, symlink and hard link resolution, docker's manifest.json, then
// each layer verified), and a kit's layout tar as `publish kit` and `fetch`
// read it (readLayoutImage, unpackLayoutTar). Nothing may be written outside
// the folder a tar is unpacked into. zstd inputs are skipped: their
// expansion is unbounded and would fill the disk (the decompressor is
// libzstd's); gzip expands at most ~1000 times.

#include <cstdlib>
#include <filesystem>

#include "fuzz_support.h"
#include "kit/layout_archive.h"
#include "sdk/oci_layout.h"
#include "util/error.h"

namespace fs = std::filesystem;

namespace twoliter {
namespace {

void openAsImage(const std::string& archive) {
    try {
        ResolvedImage image = resolveImage(archive, fuzz::scratchDirectory() + "/scratch");
        for (const auto& layer : image.layers)
            verifyBlob(layer.blob, layer.digest, archive, layer.name);
    } catch (const Error&) {
    }
    try {
        readLayoutImage(archive);
    } catch (const Error&) {
    }
}

// Unpacks into unpacked/ next to an empty sibling; the sibling and the
// scratch folder itself must stay as they were.
void unpackContained(const std::string& archive) {
    const std::string& scratch = fuzz::scratchDirectory();
    fs::create_directories(scratch + "/sibling");
    try {
        unpackLayoutTar(archive, scratch + "/unpacked");
    } catch (const Error&) {
    }
    if (!fs::is_empty(scratch + "/sibling"))
        std::abort();
    for (const auto& entry : fs::directory_iterator(scratch)) {
        std::string name = entry.path().filename().string();
        if (name != "sibling" && name != "unpacked" && name != "image.tar" && name != "scratch")
            std::abort();
    }
}

}  // namespace
}  // namespace twoliter

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace twoliter;
    if (size >= 4 && data[0] == 0x28 && data[1] == 0xb5 && data[2] == 0x2f && data[3] == 0xfd)
        return 0;
    fuzz::clearScratch("scratch");
    fuzz::clearScratch("unpacked");
    std::string archive = fuzz::writeScratchFile("image.tar", fuzz::asText(data, size));
    openAsImage(archive);
    unpackContained(archive);
    return 0;
}
