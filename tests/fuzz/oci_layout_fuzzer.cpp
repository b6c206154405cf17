// An OCI image layout folder as `sdk import` and the kit code open it
// (resolveImage, then verifyBlob for each layer, then the kit label of the
// config). The input is index.json, the manifest, the config and one layer
// separated by "\n--\n". The manifest, config and layer are stored as blobs
// under their digests; so that mutations get past the digest checks, these
// placeholders are replaced first:
//   in the config:          @LAYER_DIFF_ID@ (sha256:<hex> of the layer)
//   in the manifest:        @CONFIG_DIGEST@ @CONFIG_SIZE@ @LAYER_DIGEST@ @LAYER_SIZE@
//   in index.json:          @MANIFEST_DIGEST@ @MANIFEST_SIZE@

#include "fuzz_support.h"
#include "kit/kit_metadata.h"
#include "sdk/oci_layout.h"
#include "util/digest.h"
#include "util/error.h"

namespace {

// Stores bytes as a blob of the layout; returns its "sha256:<hex>".
std::string addBlob(const std::string& bytes) {
    std::string hex = twoliter::sha256Hex(bytes);
    twoliter::fuzz::writeScratchFile("layout/blobs/sha256/" + hex, bytes);
    return "sha256:" + hex;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace twoliter;
    using fuzz::replaceAll;
    std::vector<std::string> parts = fuzz::splitParts(fuzz::asText(data, size), 4);
    fuzz::clearScratch("layout");
    const std::string& layer = parts[3];
    std::string layerDigest = addBlob(layer);
    std::string config = replaceAll(parts[2], "@LAYER_DIFF_ID@", layerDigest);
    std::string configDigest = addBlob(config);
    std::string manifest = parts[1];
    manifest = replaceAll(manifest, "@CONFIG_DIGEST@", configDigest);
    manifest = replaceAll(manifest, "@CONFIG_SIZE@", std::to_string(config.size()));
    manifest = replaceAll(manifest, "@LAYER_DIGEST@", layerDigest);
    manifest = replaceAll(manifest, "@LAYER_SIZE@", std::to_string(layer.size()));
    std::string manifestDigest = addBlob(manifest);
    std::string index = replaceAll(parts[0], "@MANIFEST_DIGEST@", manifestDigest);
    index = replaceAll(index, "@MANIFEST_SIZE@", std::to_string(manifest.size()));
    fuzz::writeScratchFile("layout/index.json", index);
    fuzz::writeScratchFile("layout/oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
    std::string layout = fuzz::scratchDirectory() + "/layout";
    try {
        ResolvedImage image = resolveImage(layout, fuzz::scratchDirectory() + "/scratch");
        for (const auto& found : image.layers)
            verifyBlob(found.blob, found.digest, layout, found.name);
        kitMetadataOfConfig(image.config, layout);
    } catch (const Error&) {
    }
    return 0;
}
