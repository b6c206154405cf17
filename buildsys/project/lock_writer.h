#pragma once

#include <string>

#include "project/model.h"

namespace twoliter {

// Twoliter.lock as upstream writes it: schema-version, [sdk], then [[kit]]
// tables (or `kit = []`), each with name, version, vendor, source, digest.
std::string formatTwoliterLock(const TwoliterLock& lock);

// The lock entry for an image of the project: source is
// <vendor registry>/<name>:v<version>; digest the base64 of the SHA-256 of
// its manifest (what upstream's lock holds when the manifest is canonical
// JSON). Throws Error when the vendor has no registry in Twoliter.toml.
LockedImage lockedImageFor(const TwoliterConfig& config, const ImageRef& image,
                           const std::string& manifestSha256Hex);

}  // namespace twoliter
