#pragma once

// Twoliter.lock's digests. Upstream does not lock the OCI digest of an image
// but base64(sha256(canonical JSON of the manifest or index it fetched)),
// so a registry that re-serialises a manifest does not change the lock. The
// two agree (same SHA-256) when the manifest bytes are canonical JSON
// already, which is how twoliter writes kit manifests and indexes.

#include <string>
#include <string_view>

#include "sdk/json_reader.h"
#include "util/canonical_json.h"

namespace twoliter {

// The canonical form of a parsed document. Throws Error naming what for a
// number canonical JSON cannot hold (a fraction or exponent).
CanonicalJson canonicalFromJson(const JsonValue& value, const std::string& what);

// The canonical JSON text of a document (parsed, then re-serialised).
std::string canonicalizeJson(std::string_view jsonBytes, const std::string& what);

// The lock digest of a manifest or index as a registry returned it. Throws
// Error naming what for bytes that are not JSON.
std::string lockDigest(std::string_view manifestBytes, const std::string& what);

// The SHA-256 (lowercase hex) a lock digest holds; throws Error naming
// where for anything but the base64 of 32 bytes.
std::string lockDigestSha256Hex(const std::string& digest, const std::string& where);

}  // namespace twoliter
