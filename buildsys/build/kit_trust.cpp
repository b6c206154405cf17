#include "build/kit_trust.h"

#include <filesystem>

#include "repo/repo_verify.h"
#include "util/digest.h"
#include "util/files.h"

namespace twoliter {

namespace {

constexpr const char* kStampFile = ".verified";

std::string stampText(const VendorSigningKey& key, const std::string& lockDigest) {
    if (!isRegularFile(key.path))
        throw Error("no signing key at " + key.path, key.location);
    return "key sha256:" + sha256FileHex(key.path) + "\nkit " + lockDigest + "\n";
}

}  // namespace

void verifyFetchedKit(const std::string& directory, const VendorSigningKey& key,
                      const std::string& lockDigest) {
    std::string stamp = stampText(key, lockDigest);
    try {
        verifyRepository(directory, key.path);
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove_all(directory, ignored);
        throw;
    }
    writeFileAtomic(directory + "/" + kStampFile, stamp);
}

bool kitVerified(const std::string& directory, const VendorSigningKey& key,
                 const std::string& lockDigest) {
    std::string path = directory + "/" + kStampFile;
    return isRegularFile(path) && readFile(path) == stampText(key, lockDigest);
}

}  // namespace twoliter
