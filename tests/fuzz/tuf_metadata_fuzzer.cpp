// TUF metadata as an update repository's client reads it (tuf/tuf_metadata.h):
// a signed document, its role by _type, and for a root the threshold check
// of its own signatures (key objects parsed, signatures verified with
// OpenSSL). A role that reads must re-serialise to canonical JSON that
// reads back as the same role.

#include <cstdlib>

#include "fuzz_support.h"
#include "tuf/tuf_metadata.h"
#include "util/error.h"

namespace twoliter {
namespace {

// Parses document as its role; the role's canonical JSON, parsed again as
// a signed document with no signatures, must give the same JSON.
template <typename Role>
void roundTrip(const SignedDocument& document, Role (*fromDocument)(const SignedDocument&)) {
    Role role = fromDocument(document);
    std::string json = toJson(role).str();
    std::string wrapped = "{\"signatures\":[],\"signed\":" + json + "}";
    if (toJson(fromDocument(parseSignedDocument(wrapped, "re-serialised"))).str() != json)
        std::abort();
}

void readRole(const SignedDocument& document) {
    if (document.type == "root") {
        roundTrip(document, rootFromDocument);
        checkThreshold(document, rootFromDocument(document), "root");
    } else if (document.type == "targets") {
        roundTrip(document, targetsFromDocument);
    } else if (document.type == "snapshot") {
        roundTrip(document, snapshotFromDocument);
    } else if (document.type == "timestamp") {
        roundTrip(document, timestampFromDocument);
    }
}

}  // namespace
}  // namespace twoliter

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace twoliter;
    try {
        readRole(parseSignedDocument(std::string(fuzz::asText(data, size)), "fuzz.json"));
    } catch (const Error&) {
    }
    return 0;
}
