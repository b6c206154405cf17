#pragma once

// `twoliter fetch`: the kits of Twoliter.lock unpacked for one arch, as
// upstream's Lock::fetch lays them out:
//   build/external-kits/<vendor>/<kit>/<arch>/   the kit's repository
//       (Packages/…, repodata/), plus `digest` (the OCI digest of the arch's
//       image, as upstream writes it) and `.lock-digest` (the kit's source
//       and lock digest: what this tool compares to trust the folder
//       without asking the registry)
//   build/external-kits/cache/sha256-<hex>/      the pulled OCI layout
//   build/external-kits/external-kit-metadata.json
//       canonical JSON {"kit":[…],"sdk":{…}} of the lock's entries, rewritten
//       only when its content changes (later builds key on it).
// A kit folder whose .lock-digest matches the lock is used as it is: no
// network, so fetch works offline once done. Otherwise the index is fetched
// by the lock's source tag and must still have the lock's digest, the
// arch's image is pulled (every blob verified) and its layers unpacked into
// a temporary folder that replaces the kit folder whole. A failure leaves
// the previous folder (or none) and no partial one.

#include <functional>
#include <string>

#include "oci/registry_client.h"
#include "project/model.h"

namespace twoliter {

struct FetchSummary {
    int fetched = 0;   // kits unpacked by this call
    int upToDate = 0;  // kits whose folder already matched the lock
    bool metadataWritten = false;
};

// build/external-kits/<vendor>/<kit>/<arch>
std::string externalKitDir(const std::string& buildDir, const LockedImage& kit,
                           const std::string& arch);

// Fetches every kit of lock for arch ("x86_64" or "aarch64") under buildDir
// (the project's build/ folder). Holds build/external-kits/.lock while it
// works. Throws Error naming the image reference or file.
FetchSummary fetchKits(const std::string& buildDir, const TwoliterLock& lock,
                       const std::string& arch, RegistryClient& client,
                       const std::function<void(const std::string&)>& progress = {});

// The content of external-kit-metadata.json for lock. Throws Error when the
// lock has no SDK.
std::string externalKitMetadata(const TwoliterLock& lock);

}  // namespace twoliter
