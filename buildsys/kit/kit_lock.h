#pragma once

// `twoliter update`: Twoliter.toml's SDK and kits resolved against their
// registries into Twoliter.lock, as upstream's Lock::resolve does. Kits are
// walked breadth first from Twoliter.toml's [[kit]] list through the kits
// each kit's label names; every kit is an index whose images all carry the
// same dev.bottlerocket.kit.v2 label. Rules:
//   - one kit (name and vendor) at two versions is an error naming both;
//   - more than one distinct SDK across Twoliter.toml and the kits' labels
//     is an error naming them; no SDK at all is an error;
//   - digests are lock digests (kit/lock_digest.h) of what the registry
//     returns for <vendor registry>/<name>:v<version>.

#include <functional>
#include <string>

#include "oci/registry_client.h"
#include "project/model.h"

namespace twoliter {

// The lock for config (its path: Twoliter.lock next to config.path). Kits
// appear in the order they were reached. Throws Error naming the image
// reference (or Twoliter.toml for a vendor without registry).
TwoliterLock resolveLock(const TwoliterConfig& config, RegistryClient& client,
                         const std::function<void(const std::string&)>& progress = {});

// "<registry of vendor>/<name>:v<version>", what Twoliter.toml's image
// names. Throws Error at where when config has no registry for the vendor.
std::string imageSource(const TwoliterConfig& config, const std::string& name,
                        const std::string& version, const std::string& vendor,
                        const Location& where);

}  // namespace twoliter
