#include "util/canonical_json.h"

#include <algorithm>

#include "util/error.h"

namespace twoliter {

namespace {

// The decimal digits of a JSON integer, validated: "-"? ("0" | [1-9][0-9]*).
bool isJsonInteger(std::string_view text) {
    std::string_view digits = text.substr(!text.empty() && text[0] == '-' ? 1 : 0);
    if (digits.empty() || (digits.size() > 1 && digits[0] == '0'))
        return false;
    return std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Whether the digits fit the range serde_json reads integers into: u64 for
// non-negative numbers, i64 for negative ones (beyond that it reads a float).
bool fitsSixtyFourBits(std::string_view text) {
    bool negative = text[0] == '-';
    std::string_view digits = text.substr(negative ? 1 : 0);
    std::string limit = negative ? "9223372036854775808" : "18446744073709551615";
    if (digits.size() != limit.size())
        return digits.size() < limit.size();
    return digits <= limit;
}

}  // namespace

CanonicalJson CanonicalJson::boolean(bool value) {
    CanonicalJson json;
    json.kind_ = Kind::Bool;
    json.scalar_ = value ? "true" : "false";
    return json;
}

CanonicalJson CanonicalJson::integer(int64_t value) {
    CanonicalJson json;
    json.kind_ = Kind::Integer;
    json.scalar_ = std::to_string(value);
    return json;
}

CanonicalJson CanonicalJson::number(std::string_view text, const std::string& what) {
    if (text.find_first_of(".eE") != std::string_view::npos)
        throw Error(
            "floating point number " + std::string(text) + " cannot be written as canonical JSON",
            {what});
    if (!isJsonInteger(text) || !fitsSixtyFourBits(text))
        throw Error("number " + std::string(text) + " is not a 64-bit integer", {what});
    CanonicalJson json;
    json.kind_ = Kind::Integer;
    json.scalar_ = text == "-0" ? "0" : std::string(text);
    return json;
}

CanonicalJson CanonicalJson::string(std::string text) {
    CanonicalJson json;
    json.kind_ = Kind::String;
    json.scalar_ = std::move(text);
    return json;
}

CanonicalJson CanonicalJson::array() {
    CanonicalJson json;
    json.kind_ = Kind::Array;
    return json;
}

CanonicalJson CanonicalJson::object() {
    CanonicalJson json;
    json.kind_ = Kind::Object;
    return json;
}

CanonicalJson& CanonicalJson::set(const std::string& key, CanonicalJson value) {
    for (auto& member : members_) {
        if (member.first == key) {
            member.second = std::move(value);
            return *this;
        }
    }
    members_.emplace_back(key, std::move(value));
    return *this;
}

CanonicalJson& CanonicalJson::set(const std::string& key, std::string text) {
    return set(key, string(std::move(text)));
}

CanonicalJson& CanonicalJson::set(const std::string& key, int64_t number) {
    return set(key, integer(number));
}

CanonicalJson& CanonicalJson::push(CanonicalJson value) {
    items_.push_back(std::move(value));
    return *this;
}

std::string CanonicalJson::str() const {
    std::string out;
    write(out);
    return out;
}

void CanonicalJson::write(std::string& out) const {
    switch (kind_) {
        case Kind::Null:
            out += "null";
            return;
        case Kind::Bool:
        case Kind::Integer:
            out += scalar_;
            return;
        case Kind::String:
            out += canonicalJsonString(scalar_);
            return;
        case Kind::Array:
            out += '[';
            for (size_t i = 0; i < items_.size(); ++i) {
                if (i > 0)
                    out += ',';
                items_[i].write(out);
            }
            out += ']';
            return;
        case Kind::Object: {
            // olpc-cjson orders members by their serialised keys (a
            // BTreeMap of the key bytes, quotes and escapes included).
            std::vector<std::pair<std::string, const CanonicalJson*>> sorted;
            for (const auto& [key, value] : members_)
                sorted.emplace_back(canonicalJsonString(key), &value);
            std::sort(sorted.begin(), sorted.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; });
            out += '{';
            for (size_t i = 0; i < sorted.size(); ++i) {
                if (i > 0)
                    out += ',';
                out += sorted[i].first;
                out += ':';
                sorted[i].second->write(out);
            }
            out += '}';
            return;
        }
    }
}

std::string canonicalJsonString(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out += '"';
    for (char c : text) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

}  // namespace twoliter
