#pragma once

// `twoliter publish kit`: the kit's image tars pushed to a registry, as
// upstream's `pubsys publish-kit` does: each arch's image under
// <registry>/<kit>:v<version>-<build-id>-<arch>, then an OCI index of all of
// them under <registry>/<kit>:v<version>, the tag Twoliter.toml names.

#include <functional>
#include <map>
#include <string>

#include "oci/registry_client.h"

namespace twoliter {

struct PublishedKit {
    std::string reference;    // "<registry>/<kit>:v<version>"
    std::string indexDigest;  // OCI digest of the pushed index, "sha256:<hex>"
    // The index is canonical JSON, so this is what `twoliter update` will
    // lock: the base64 of indexDigest's SHA-256.
    std::string lockDigest;
    std::map<std::string, std::string> imageDigests;  // arch → manifest digest
};

// The image tars of a kit found in kitDir (build/kits/<kit>/), by arch
// ("x86_64", "aarch64"): kitImageFileName(kit, version, buildId, arch).
std::map<std::string, std::string> findKitImageTars(const std::string& kitDir,
                                                    const std::string& kit,
                                                    const std::string& version,
                                                    const std::string& buildId);

// Pushes one image tar per arch (arch → tar path; at least one) and the
// index. registryPrefix is the vendor's registry, e.g. "public.ecr.aws/acme"
// or "127.0.0.1:5000". Each tar is checked first: it must be a kit image
// for that arch named kit at version. Throws Error naming the tar or the
// image reference; unpacked copies live in a temporary folder next to the
// first tar, removed in every case.
PublishedKit publishKit(const std::map<std::string, std::string>& tarsPerArch,
                        const std::string& registryPrefix, const std::string& kit,
                        const std::string& version, const std::string& buildId,
                        RegistryClient& client,
                        const std::function<void(const std::string&)>& progress = {});

}  // namespace twoliter
