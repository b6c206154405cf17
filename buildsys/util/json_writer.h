#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace twoliter {

// Streaming JSON writer producing compact or two-space indented output. The
// caller is responsible for balanced begin/end calls; keys are only valid
// directly inside an object.
class JsonWriter {
  public:
    explicit JsonWriter(bool pretty = true) : pretty_(pretty) {}

    JsonWriter& beginObject();
    JsonWriter& endObject();
    JsonWriter& beginArray();
    JsonWriter& endArray();
    JsonWriter& key(std::string_view name);
    JsonWriter& value(std::string_view text);
    JsonWriter& value(const char* text) { return value(std::string_view(text)); }
    JsonWriter& value(int64_t number);
    JsonWriter& value(bool flag);
    JsonWriter& stringArray(const std::vector<std::string>& items);

    const std::string& str() const { return out_; }

  private:
    void beforeValue();
    void newline();
    void close(char bracket);

    std::string out_;
    std::vector<bool> hasItems_;
    bool afterKey_ = false;
    bool pretty_;
};

// The inside of a JSON string (no quotes): `"` and `\` escaped, \n \t \r as
// short escapes, other control characters as \u00xx, everything else
// (UTF-8 included) as is.
std::string jsonEscape(std::string_view text);
// A quoted JSON string exactly as jq prints it: `"` and `\` escaped, \b \f
// \n \r \t as short escapes, other control characters and DEL as \u00xx,
// everything else (UTF-8 included) as is. Outputs that must equal jq's
// (the kit label, the image's inventory) use it.
std::string jqString(std::string_view text);

}  // namespace twoliter
