// Image layers applied to a root file system as `sdk import` applies them
// (sdk/rootfs_unpacker.h): two layers (tars separated by "\n--\n"), with
// whiteouts, links and modes. Whatever the layers say, nothing may be
// written outside the root: the scratch folder must hold only root/ and an
// empty sibling afterwards. ci/fuzz.sh runs targets in a sandbox where only
// the scratch folder is writable, in case this check ever fails.

#include <cstdlib>
#include <filesystem>

#include "fuzz_support.h"
#include "sdk/byte_stream.h"
#include "sdk/rootfs_unpacker.h"
#include "sdk/tar.h"
#include "util/error.h"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace twoliter;
    std::vector<std::string> layers = fuzz::splitParts(fuzz::asText(data, size), 2);
    const std::string& scratch = fuzz::scratchDirectory();
    removeTree(scratch + "/root");
    fs::create_directories(scratch + "/root");
    fs::create_directories(scratch + "/sibling");
    try {
        RootfsUnpacker unpacker(scratch + "/root");
        for (size_t i = 0; i < layers.size(); ++i) {
            std::string path = fuzz::writeScratchFile("layer.tar", layers[i]);
            FileRangeSource source(path);
            TarReader reader(source, path);
            unpacker.applyLayer(reader, "layer " + std::to_string(i + 1));
        }
        unpacker.finish();
    } catch (const Error&) {
    }
    if (!fs::is_empty(scratch + "/sibling"))
        std::abort();
    for (const auto& entry : fs::directory_iterator(scratch)) {
        std::string name = entry.path().filename().string();
        if (name != "root" && name != "sibling" && name != "layer.tar")
            std::abort();
    }
    return 0;
}
