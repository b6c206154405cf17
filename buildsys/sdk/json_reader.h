#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace twoliter {

// A parsed JSON document, small and strict (RFC 8259): enough for OCI and
// docker-save metadata. Numbers keep their text; integer() converts.
class JsonValue {
  public:
    enum class Kind { Null, Bool, Number, String, Array, Object };

    Kind kind() const { return kind_; }
    bool isObject() const { return kind_ == Kind::Object; }
    bool isArray() const { return kind_ == Kind::Array; }
    bool isString() const { return kind_ == Kind::String; }

    // The member named key of an object, nullptr when absent or when this is
    // not an object.
    const JsonValue* find(std::string_view key) const;
    const std::vector<JsonValue>& items() const { return items_; }
    const std::vector<std::pair<std::string, JsonValue>>& members() const { return members_; }
    // The string value; "" for anything else.
    const std::string& text() const { return text_; }
    // The value of an integral number; fallback for anything else.
    int64_t integer(int64_t fallback = -1) const;
    // The value of true or false; false for anything else.
    bool boolean() const { return kind_ == Kind::Bool && boolean_; }
    // A number's text as written ("-12", "1.5e3"); "" for anything else.
    const std::string& numberText() const { return kind_ == Kind::Number ? text_ : empty_; }

  private:
    friend class JsonParser;
    Kind kind_ = Kind::Null;
    bool boolean_ = false;
    std::string text_;  // string value or number lexeme
    std::vector<JsonValue> items_;
    std::vector<std::pair<std::string, JsonValue>> members_;
    inline static const std::string empty_;
};

// Throws Error("<what>: invalid JSON at byte N: ...") on malformed input.
JsonValue parseJson(std::string_view text, const std::string& what);

}  // namespace twoliter
