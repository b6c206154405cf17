#pragma once

#include <cstddef>
#include <string>

namespace twoliter {

struct VerifyOptions {
    // Every RPM must also carry a valid signature by the same key.
    bool requireSignedRpms = false;
    // Threads hashing RPMs; 0 means the hardware threads.
    unsigned jobs = 0;
};

struct VerifiedRepository {
    size_t packages = 0;
    std::string signer;  // fingerprint of the (sub)key that signed repomd.xml
};

// Checks a repository as a careful client would before trusting it:
//  1. repodata/repomd.xml.asc is a valid detached signature of repomd.xml
//     by the key in publicKeyFile (the only key trusted for this check);
//  2. every file repomd.xml lists has the checksum it lists;
//  3. every package primary.xml lists exists below directory with the size
//     and checksum primary.xml lists;
//  4. with requireSignedRpms, every such RPM is signed by the same key.
// The signed bytes of repomd.xml and primary are read once into a private
// copy and checked and parsed there, so a file swapped during the check is
// not trusted. Locations that are absolute, leave the repository ("..") or
// carry an xml:base are refused. Throws Error naming the file at fault (the
// .asc of an unsigned or foreign-signed repository, repomd.xml for a bad
// signature, the metadata file or RPM whose checksum or size differs); all
// bad RPMs are reported together.
VerifiedRepository verifyRepository(const std::string& directory, const std::string& publicKeyFile,
                                    const VerifyOptions& options = {});

}  // namespace twoliter
