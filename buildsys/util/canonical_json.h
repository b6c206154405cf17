#pragma once

// OLPC canonical JSON (http://wiki.laptop.org/go/Canonical_JSON), byte for
// byte as the olpc-cjson crate writes it, which is what upstream twoliter
// hashes for Twoliter.lock digests and writes to external-kit-metadata.json:
//   - no whitespace;
//   - object members sorted by the bytes of their serialised keys;
//   - strings escape only `"` and `\`; every other byte (control characters
//     and UTF-8 included) is written as it is;
//   - numbers are integers only (no fraction, no exponent), written in
//     shortest decimal form.
// Not done: olpc-cjson also normalises strings to Unicode NFC. Strings are
// written as given, which is the same for ASCII and for text already in NFC
// (all of OCI's and twoliter's own fields).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace twoliter {

// A JSON value restricted to what canonical JSON can hold.
class CanonicalJson {
  public:
    enum class Kind { Null, Bool, Integer, String, Array, Object };

    CanonicalJson() = default;  // null
    static CanonicalJson boolean(bool value);
    static CanonicalJson integer(int64_t value);
    // An integer given as JSON number text ("-12"). Throws Error naming what
    // for a fraction, an exponent, malformed text or a value outside 64 bits
    // (as olpc-cjson refuses floating point numbers).
    static CanonicalJson number(std::string_view text, const std::string& what);
    static CanonicalJson string(std::string text);
    static CanonicalJson array();
    static CanonicalJson object();

    Kind kind() const { return kind_; }

    // Object member: replaces an earlier member of the same key (the last of
    // duplicate keys wins, as serde_json reads them).
    CanonicalJson& set(const std::string& key, CanonicalJson value);
    CanonicalJson& set(const std::string& key, std::string text);
    CanonicalJson& set(const std::string& key, int64_t number);
    // Array element, appended.
    CanonicalJson& push(CanonicalJson value);

    // The canonical serialisation.
    std::string str() const;

  private:
    void write(std::string& out) const;

    Kind kind_ = Kind::Null;
    std::string scalar_;  // string value, integer digits, or "true"/"false"
    std::vector<CanonicalJson> items_;
    std::vector<std::pair<std::string, CanonicalJson>> members_;
};

// text as a canonical JSON string, quotes included.
std::string canonicalJsonString(std::string_view text);

}  // namespace twoliter
