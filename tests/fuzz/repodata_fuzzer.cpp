// A kit's RPM repository metadata as the resolver loads it
// (Resolver::addKitRepository): the input is repodata/repomd.xml,
// repodata/primary.xml and repodata/filelists.xml separated by "\n--\n"
// (the seeds' repomd.xml names those two files). What loads is written to a
// solv cache and loaded again from it by a second resolver, as the next run
// would.

#include "fuzz_support.h"
#include "solve/resolver.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace twoliter;
    std::vector<std::string> parts = fuzz::splitParts(fuzz::asText(data, size), 3);
    fuzz::clearScratch("repo");
    fuzz::writeScratchFile("repo/repodata/repomd.xml", parts[0]);
    fuzz::writeScratchFile("repo/repodata/primary.xml", parts[1]);
    fuzz::writeScratchFile("repo/repodata/filelists.xml", parts[2]);
    std::string directory = fuzz::scratchDirectory() + "/repo";
    std::string solvCache = fuzz::scratchDirectory() + "/repo/kit.solv";
    try {
        Resolver first(Arch::X86_64, "bottlerocket-");
        first.addKitRepository("kit", directory, solvCache);
        Resolver second(Arch::X86_64, "bottlerocket-");
        second.addKitRepository("kit", directory, solvCache);
    } catch (const Error&) {
    }
    return 0;
}
