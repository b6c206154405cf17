// The byte encoding of a parsed spec (spec/package_spec.h): what the spec
// parse cache stores and what a parser child process writes down its pipe.
// A damaged cache record must be an Error, never a crash; a record that
// decodes must re-encode stably. The parse itself (rpmSpecParse in a forked
// child, shell and Lua macros) is not fuzzed here: see README.md.

#include <cstdlib>

#include "fuzz_support.h"
#include "spec/package_spec.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace twoliter;
    PackageSpec spec;
    try {
        spec = decodePackageSpec(std::string(fuzz::asText(data, size)));
    } catch (const Error&) {
        return 0;
    }
    std::string encoded = encodePackageSpec(spec);
    if (encodePackageSpec(decodePackageSpec(encoded)) != encoded)
        std::abort();
    for (const BinaryPackage* binary : spec.builtBinaries()) {
        binary->evr();
        for (const auto& provide : binary->provides)
            provide.text();
    }
    for (const auto& requirement : spec.buildRequires)
        requirement.text();
    return 0;
}
