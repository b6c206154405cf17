#include "tuf/tuf_metadata.h"

#include <openssl/evp.h>

#include <cstdio>
#include <set>

#include "kit/lock_digest.h"
#include "tuf/tuf_time.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/json_writer.h"

namespace twoliter {

namespace {

// Field readers of "signed"; each throws Error naming the file and the key.
class Fields {
  public:
    Fields(const JsonValue& object, std::string where, std::string prefix)
        : object_(object), where_(std::move(where)), prefix_(std::move(prefix)) {}

    const JsonValue& get(const std::string& key, JsonValue::Kind kind, const char* what) const {
        const JsonValue* value = object_.find(key);
        if (!value || value->kind() != kind)
            fail(key, std::string("expected ") + what);
        return *value;
    }
    const JsonValue* optional(const std::string& key) const { return object_.find(key); }
    std::string string(const std::string& key) const {
        return get(key, JsonValue::Kind::String, "a string").text();
    }
    int64_t positive(const std::string& key) const {
        int64_t value = get(key, JsonValue::Kind::Number, "an integer").integer(-1);
        if (value < 1)
            fail(key, "expected an integer greater than 0");
        return value;
    }
    int64_t expires() const {
        std::string text = string("expires");
        auto time = parseRfc3339(text);
        if (!time)
            fail("expires", "'" + text + "' is not an RFC 3339 time");
        return *time;
    }
    const JsonValue& object(const std::string& key) const {
        return get(key, JsonValue::Kind::Object, "an object");
    }
    [[noreturn]] void fail(const std::string& key, const std::string& message) const {
        throw Error(message, {where_, 0, prefix_ + key});
    }
    Fields nested(const JsonValue& value, const std::string& key) const {
        if (!value.isObject())
            fail(key, "expected an object");
        return Fields(value, where_, prefix_ + key + ".");
    }

  private:
    const JsonValue& object_;
    std::string where_;
    std::string prefix_;
};

void requireType(const SignedDocument& document, const std::string& type) {
    if (document.type != type) {
        throw Error("expected " + type + " metadata, found _type '" + document.type + "'",
                    {document.where, 0, "signed._type"});
    }
}

std::map<std::string, std::string> readHashes(const Fields& fields, const JsonValue& hashes) {
    std::map<std::string, std::string> out;
    for (const auto& [name, value] : hashes.members()) {
        if (!value.isString())
            fields.fail("hashes." + name, "expected a string");
        out[name] = value.text();
    }
    return out;
}

MetaFile readMetaFile(const Fields& fields) {
    MetaFile meta;
    meta.version = fields.positive("version");
    if (fields.optional("length"))
        meta.length = fields.get("length", JsonValue::Kind::Number, "an integer").integer(-1);
    if (meta.length && *meta.length < 0)
        fields.fail("length", "expected a length");
    if (fields.optional("hashes"))
        meta.hashes = readHashes(fields, fields.object("hashes"));
    return meta;
}

CanonicalJson hashesJson(const std::map<std::string, std::string>& hashes) {
    CanonicalJson json = CanonicalJson::object();
    for (const auto& [name, hex] : hashes)
        json.set(name, hex);
    return json;
}

CanonicalJson metaFileJson(const MetaFile& meta) {
    CanonicalJson json = CanonicalJson::object();
    json.set("version", meta.version);
    if (meta.length)
        json.set("length", *meta.length);
    if (!meta.hashes.empty())
        json.set("hashes", hashesJson(meta.hashes));
    return json;
}

CanonicalJson commonJson(const char* type, const std::string& specVersion, int64_t version,
                         int64_t expires) {
    CanonicalJson json = CanonicalJson::object();
    json.set("_type", std::string(type));
    json.set("spec_version", specVersion);
    json.set("version", version);
    json.set("expires", formatRfc3339(expires));
    return json;
}

// Canonical JSON writes control characters in strings as raw bytes, which
// standard JSON (and so every client's parser) refuses: escape them.
std::string standardJson(std::string_view canonical) {
    std::string out;
    out.reserve(canonical.size());
    bool inString = false;
    for (size_t i = 0; i < canonical.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(canonical[i]);
        if (inString && c == '\\' && i + 1 < canonical.size()) {
            out += canonical[i];
            out += canonical[++i];
            continue;
        }
        if (c == '"')
            inString = !inString;
        if (inString && c < 0x20) {
            char escape[8];
            std::snprintf(escape, sizeof escape, "\\u%04x", c);
            out += escape;
            continue;
        }
        out += static_cast<char>(c);
    }
    return out;
}

void writePretty(JsonWriter& writer, const JsonValue& value) {
    switch (value.kind()) {
        case JsonValue::Kind::Object:
            writer.beginObject();
            for (const auto& [key, member] : value.members()) {
                writer.key(key);
                writePretty(writer, member);
            }
            writer.endObject();
            return;
        case JsonValue::Kind::Array:
            writer.beginArray();
            for (const auto& item : value.items())
                writePretty(writer, item);
            writer.endArray();
            return;
        case JsonValue::Kind::String:
            writer.value(value.text());
            return;
        case JsonValue::Kind::Number:
            writer.value(value.integer(0));
            return;
        case JsonValue::Kind::Bool:
            writer.value(value.boolean());
            return;
        case JsonValue::Kind::Null:
            throw Error("null cannot be written in TUF metadata");
    }
}

}  // namespace

const std::vector<std::string>& topLevelRoles() {
    static const std::vector<std::string> roles = {"root", "targets", "snapshot", "timestamp"};
    return roles;
}

CanonicalJson toJson(const RootRole& root) {
    CanonicalJson json = commonJson("root", root.specVersion, root.version, root.expires);
    json.set("consistent_snapshot", CanonicalJson::boolean(root.consistentSnapshot));
    CanonicalJson keys = CanonicalJson::object();
    for (const auto& [keyId, key] : root.keys)
        keys.set(keyId, key.toJson());
    json.set("keys", std::move(keys));
    CanonicalJson roles = CanonicalJson::object();
    for (const auto& [name, role] : root.roles) {
        CanonicalJson keyIds = CanonicalJson::array();
        for (const auto& keyId : role.keyIds)
            keyIds.push(CanonicalJson::string(keyId));
        CanonicalJson entry = CanonicalJson::object();
        entry.set("keyids", std::move(keyIds));
        entry.set("threshold", role.threshold);
        roles.set(name, std::move(entry));
    }
    json.set("roles", std::move(roles));
    return json;
}

CanonicalJson toJson(const TargetsRole& targets) {
    CanonicalJson json =
        commonJson("targets", targets.specVersion, targets.version, targets.expires);
    CanonicalJson files = CanonicalJson::object();
    for (const auto& [name, file] : targets.targets) {
        CanonicalJson entry = CanonicalJson::object();
        entry.set("length", file.length);
        entry.set("hashes", hashesJson(file.hashes));
        if (file.custom)
            entry.set("custom", *file.custom);
        files.set(name, std::move(entry));
    }
    json.set("targets", std::move(files));
    return json;
}

CanonicalJson toJson(const SnapshotRole& snapshot) {
    CanonicalJson json =
        commonJson("snapshot", snapshot.specVersion, snapshot.version, snapshot.expires);
    CanonicalJson meta = CanonicalJson::object();
    for (const auto& [name, file] : snapshot.meta)
        meta.set(name, metaFileJson(file));
    json.set("meta", std::move(meta));
    return json;
}

CanonicalJson toJson(const TimestampRole& timestamp) {
    CanonicalJson json =
        commonJson("timestamp", timestamp.specVersion, timestamp.version, timestamp.expires);
    CanonicalJson meta = CanonicalJson::object();
    meta.set("snapshot.json", metaFileJson(timestamp.snapshot));
    json.set("meta", std::move(meta));
    return json;
}

SignedDocument parseSignedDocument(const std::string& bytes, const std::string& where) {
    JsonValue document = parseJson(bytes, where);
    const JsonValue* signedValue = document.find("signed");
    const JsonValue* signatures = document.find("signatures");
    if (!signedValue || !signedValue->isObject() || !signatures || !signatures->isArray())
        throw Error("not TUF metadata: expected objects \"signed\" and \"signatures\"", {where});
    SignedDocument out;
    out.where = where;
    out.signedValue = *signedValue;
    out.canonicalSigned = canonicalFromJson(*signedValue, where).str();
    const JsonValue* type = signedValue->find("_type");
    out.type = type ? type->text() : "";
    for (const auto& entry : signatures->items()) {
        const JsonValue* keyId = entry.find("keyid");
        const JsonValue* sig = entry.find("sig");
        if (!keyId || !keyId->isString() || !sig || !sig->isString())
            throw Error("a signature needs string fields keyid and sig", {where, 0, "signatures"});
        out.signatures.push_back({keyId->text(), sig->text()});
    }
    return out;
}

// The fields of document that every role has (spec_version, version,
// expires) into role, after checking its _type; the Fields of its signed
// part, for the rest.
template <typename Role>
Fields readCommonFields(const SignedDocument& document, const char* type, Role& role) {
    requireType(document, type);
    Fields fields(document.signedValue, document.where, "signed.");
    role.specVersion = fields.string("spec_version");
    role.version = fields.positive("version");
    role.expires = fields.expires();
    return fields;
}

RootRole rootFromDocument(const SignedDocument& document) {
    RootRole root;
    Fields fields = readCommonFields(document, "root", root);
    root.consistentSnapshot =
        fields.get("consistent_snapshot", JsonValue::Kind::Bool, "true or false").boolean();
    for (const auto& [keyId, key] : fields.object("keys").members())
        root.keys[keyId] = publicKeyFromJson(key, document.where + ": signed.keys." + keyId);
    const JsonValue& roles = fields.object("roles");
    for (const auto& name : topLevelRoles()) {
        const JsonValue* role = roles.find(name);
        if (!role)
            fields.fail("roles." + name, "the root role must delegate every top-level role");
        Fields roleFields = fields.nested(*role, "roles." + name);
        RoleKeys keys;
        keys.threshold = roleFields.positive("threshold");
        for (const auto& keyId :
             roleFields.get("keyids", JsonValue::Kind::Array, "an array").items())
            keys.keyIds.push_back(keyId.text());
        root.roles[name] = keys;
    }
    return root;
}

TargetsRole targetsFromDocument(const SignedDocument& document) {
    TargetsRole targets;
    Fields fields = readCommonFields(document, "targets", targets);
    if (fields.optional("delegations"))
        fields.fail("delegations", "delegated targets roles are not supported");
    for (const auto& [name, value] : fields.object("targets").members()) {
        Fields file = fields.nested(value, "targets." + name);
        TargetFile target;
        target.length = file.get("length", JsonValue::Kind::Number, "an integer").integer(-1);
        if (target.length < 0)
            file.fail("length", "expected a length");
        target.hashes = readHashes(file, file.object("hashes"));
        if (const JsonValue* custom = file.optional("custom"))
            target.custom = canonicalFromJson(*custom, document.where);
        targets.targets[name] = target;
    }
    return targets;
}

SnapshotRole snapshotFromDocument(const SignedDocument& document) {
    SnapshotRole snapshot;
    Fields fields = readCommonFields(document, "snapshot", snapshot);
    for (const auto& [name, value] : fields.object("meta").members())
        snapshot.meta[name] = readMetaFile(fields.nested(value, "meta." + name));
    return snapshot;
}

TimestampRole timestampFromDocument(const SignedDocument& document) {
    TimestampRole timestamp;
    Fields fields = readCommonFields(document, "timestamp", timestamp);
    const JsonValue& meta = fields.object("meta");
    const JsonValue* snapshot = meta.find("snapshot.json");
    if (!snapshot)
        fields.fail("meta.snapshot.json", "missing");
    timestamp.snapshot = readMetaFile(fields.nested(*snapshot, "meta.snapshot.json"));
    return timestamp;
}

std::string signMetadata(const CanonicalJson& signedPart,
                         const std::vector<const SigningKey*>& keys) {
    std::string canonical = signedPart.str();
    CanonicalJson signatures = CanonicalJson::array();
    for (const SigningKey* key : keys) {
        CanonicalJson signature = CanonicalJson::object();
        signature.set("keyid", key->keyId());
        signature.set("sig", key->sign(canonical));
        signatures.push(std::move(signature));
    }
    CanonicalJson document = CanonicalJson::object();
    document.set("signatures", std::move(signatures));
    document.set("signed", signedPart);
    return prettyJson(parseJson(standardJson(document.str()), "metadata")) + "\n";
}

void checkThreshold(const SignedDocument& document, const RootRole& root, const std::string& role) {
    auto found = root.roles.find(role);
    if (found == root.roles.end())
        throw Error("the root role does not delegate " + role, {document.where, 0, role});
    const RoleKeys& roleKeys = found->second;
    std::set<std::string> verified;
    for (const auto& signature : document.signatures) {
        bool authorised = false;
        for (const auto& keyId : roleKeys.keyIds)
            authorised = authorised || keyId == signature.keyId;
        auto key = root.keys.find(signature.keyId);
        if (authorised && key != root.keys.end() &&
            key->second.verify(document.canonicalSigned, signature.sig)) {
            verified.insert(key->second.value);
        }
    }
    if (static_cast<int64_t>(verified.size()) < roleKeys.threshold) {
        throw Error(role + " metadata has " + std::to_string(verified.size()) +
                        " valid signature(s) of the " + role + " role's keys, its threshold is " +
                        std::to_string(roleKeys.threshold) + " (root version " +
                        std::to_string(root.version) + ")",
                    {document.where, 0, "signatures"},
                    "metadata signed by a key the root does not trust, or altered after signing");
    }
}

MetaFile describeMetadata(const std::string& bytes, int64_t version) {
    MetaFile meta;
    meta.version = version;
    meta.length = static_cast<int64_t>(bytes.size());
    meta.hashes["sha256"] = sha256Hex(bytes);
    return meta;
}

void checkMetaFile(const MetaFile& meta, const std::string& bytes, const std::string& where,
                   bool requireHash) {
    if (meta.length && *meta.length != static_cast<int64_t>(bytes.size())) {
        throw Error("length " + std::to_string(bytes.size()) + " differs from the " +
                        std::to_string(*meta.length) + " its parent metadata lists",
                    {where});
    }
    bool checked = false;
    for (const auto& [algorithm, hex] : meta.hashes) {
        std::string actual;
        if (algorithm == "sha256")
            actual = sha256Hex(bytes);
        else if (algorithm == "sha512")
            actual = sha512Hex(bytes);
        else
            continue;
        checked = true;
        if (actual != hex) {
            throw Error(algorithm + " " + actual + " differs from the " + hex +
                            " its parent metadata lists",
                        {where});
        }
    }
    if (requireHash && !checked)
        throw Error("its parent metadata lists no sha256 or sha512 hash", {where});
}

std::string sha512Hex(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha512(), nullptr);
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
        out += digits[digest[i] >> 4];
        out += digits[digest[i] & 15];
    }
    return out;
}

std::string prettyJson(const JsonValue& value) {
    JsonWriter writer(true);
    writePretty(writer, value);
    return writer.str();
}

}  // namespace twoliter
