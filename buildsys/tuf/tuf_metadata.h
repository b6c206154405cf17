#pragma once

// The four top-level TUF 1.0 roles (specification §4) as tough writes them:
// spec_version "1.0.0", consistent snapshots, snapshot and timestamp meta
// with length and sha256, files pretty-printed with a final newline and
// signed over the canonical JSON of "signed". Delegated targets are not
// supported (upstream does not use them).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sdk/json_reader.h"
#include "tuf/tuf_keys.h"
#include "util/canonical_json.h"

namespace twoliter {

// The roles a root delegates to, in the order messages list them.
const std::vector<std::string>& topLevelRoles();

struct RoleKeys {
    std::vector<std::string> keyIds;
    int64_t threshold = 1;
};

struct RootRole {
    std::string specVersion = "1.0.0";
    bool consistentSnapshot = true;
    int64_t version = 1;
    int64_t expires = 0;  // Unix seconds
    std::map<std::string, PublicKey> keys;
    std::map<std::string, RoleKeys> roles;  // root, snapshot, targets, timestamp
};

struct TargetFile {
    int64_t length = 0;
    std::map<std::string, std::string> hashes;  // "sha256" (and "sha512") -> hex
    std::optional<CanonicalJson> custom;
};

struct TargetsRole {
    std::string specVersion = "1.0.0";
    int64_t version = 1;
    int64_t expires = 0;
    std::map<std::string, TargetFile> targets;
};

// A METAFILES entry of snapshot and timestamp.
struct MetaFile {
    int64_t version = 1;
    std::optional<int64_t> length;
    std::map<std::string, std::string> hashes;
};

struct SnapshotRole {
    std::string specVersion = "1.0.0";
    int64_t version = 1;
    int64_t expires = 0;
    std::map<std::string, MetaFile> meta;  // "targets.json"
};

struct TimestampRole {
    std::string specVersion = "1.0.0";
    int64_t version = 1;
    int64_t expires = 0;
    MetaFile snapshot;  // meta["snapshot.json"]
};

// "signed" as canonical JSON, with "_type".
CanonicalJson toJson(const RootRole& root);
CanonicalJson toJson(const TargetsRole& targets);
CanonicalJson toJson(const SnapshotRole& snapshot);
CanonicalJson toJson(const TimestampRole& timestamp);

// A metadata file: "signed" (kept as parsed, and its canonical form, which
// is what signatures cover) and its signatures.
struct Signature {
    std::string keyId;
    std::string sig;
};
struct SignedDocument {
    std::string where;  // the file or URL, for messages
    std::string type;   // signed._type
    JsonValue signedValue;
    std::string canonicalSigned;
    std::vector<Signature> signatures;
};

// Throws Error naming where for bytes that are not a TUF metadata file.
SignedDocument parseSignedDocument(const std::string& bytes, const std::string& where);

// The role of a parsed document; throws Error naming document.where when
// _type is another role or a field is missing or of the wrong type.
RootRole rootFromDocument(const SignedDocument& document);
TargetsRole targetsFromDocument(const SignedDocument& document);
SnapshotRole snapshotFromDocument(const SignedDocument& document);
TimestampRole timestampFromDocument(const SignedDocument& document);

// The file bytes of signedPart signed by each of keys (pretty JSON, final
// newline).
std::string signMetadata(const CanonicalJson& signedPart,
                         const std::vector<const SigningKey*>& keys);

// Throws Error naming document.where and role unless at least the role's
// threshold of distinct keys the root gives it signed the document.
void checkThreshold(const SignedDocument& document, const RootRole& root, const std::string& role);

// A MetaFile describing bytes (version, length, sha256).
MetaFile describeMetadata(const std::string& bytes, int64_t version);
// Throws Error naming where when bytes do not match meta's length or
// hashes (sha256 and sha512 are checked; at least one must be present when
// requireHash).
void checkMetaFile(const MetaFile& meta, const std::string& bytes, const std::string& where,
                   bool requireHash);

// Lowercase hex SHA-512 of bytes.
std::string sha512Hex(std::string_view bytes);

// JSON text pretty-printed (two spaces), members in the order given.
std::string prettyJson(const JsonValue& value);

}  // namespace twoliter
