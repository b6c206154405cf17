// Records the caches keep outside a checksummed frame, as a later run reads
// them after a crash, a full disk or a damaged disk left anything there: an
// action record (cache/content_store.h ActionCache::find). Damage must be a
// miss, never an exception or a crash; a record that reads must store and
// read back the same.

#include <cstdlib>

#include "cache/content_store.h"
#include "fuzz_support.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace twoliter;
    const std::string key(64, 'a');
    fuzz::writeScratchFile("cache/actions/aa/" + key, fuzz::asText(data, size));
    ActionCache actions(fuzz::scratchDirectory() + "/cache");
    auto record = actions.find(key);
    if (!record)
        return 0;
    ActionCache copy(fuzz::scratchDirectory() + "/copy");
    copy.store(key, *record);
    auto again = copy.find(key);
    if (!again || again->outputs.size() != record->outputs.size() ||
        again->inputs != record->inputs || again->inputsDigest != record->inputsDigest)
        std::abort();
    return 0;
}
