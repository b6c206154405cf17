#include "kit/lock_digest.h"

#include "util/digest.h"
#include "util/error.h"

namespace twoliter {

CanonicalJson canonicalFromJson(const JsonValue& value, const std::string& what) {
    switch (value.kind()) {
        case JsonValue::Kind::Null:
            return CanonicalJson();
        case JsonValue::Kind::Bool:
            return CanonicalJson::boolean(value.boolean());
        case JsonValue::Kind::Number:
            return CanonicalJson::number(value.numberText(), what);
        case JsonValue::Kind::String:
            return CanonicalJson::string(value.text());
        case JsonValue::Kind::Array: {
            CanonicalJson array = CanonicalJson::array();
            for (const auto& item : value.items())
                array.push(canonicalFromJson(item, what));
            return array;
        }
        case JsonValue::Kind::Object: {
            CanonicalJson object = CanonicalJson::object();
            for (const auto& [key, member] : value.members())
                object.set(key, canonicalFromJson(member, what));
            return object;
        }
    }
    return CanonicalJson();
}

std::string canonicalizeJson(std::string_view jsonBytes, const std::string& what) {
    return canonicalFromJson(parseJson(jsonBytes, what), what).str();
}

std::string lockDigest(std::string_view manifestBytes, const std::string& what) {
    return base64FromHex(sha256Hex(canonicalizeJson(manifestBytes, what)));
}

std::string lockDigestSha256Hex(const std::string& digest, const std::string& where) {
    std::string hex = hexFromBase64(digest);
    if (!isSha256Hex(hex))
        throw Error("digest '" + digest + "' is not the base64 of a SHA-256", {where},
                    "run `twoliter update` to write Twoliter.lock again");
    return hex;
}

}  // namespace twoliter
