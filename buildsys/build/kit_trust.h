#pragma once

#include <string>

#include "project/model.h"

namespace twoliter {

// Trust in a fetched external kit whose vendor has a signing-key in
// Twoliter.toml. Verifying a repository (signature, metadata checksums,
// every RPM's digest) reads every RPM and runs gpg, so it is done once,
// when the kit is fetched; a stamp in the kit's folder then records which
// key verified which locked image. Builds check the stamp: a few bytes read,
// no process.

// Verifies the kit repository at directory with the vendor's key and
// writes the stamp for lockDigest. On failure the folder is removed (so the
// next fetch downloads it again) and Error names what was wrong.
void verifyFetchedKit(const std::string& directory, const VendorSigningKey& key,
                      const std::string& lockDigest);

// Whether directory carries the stamp of a verification by key (as it is
// now) for lockDigest.
bool kitVerified(const std::string& directory, const VendorSigningKey& key,
                 const std::string& lockDigest);

}  // namespace twoliter
