#include "util/json_writer.h"

#include <cstdio>

namespace twoliter {

namespace {

// Appends text escaped for a JSON string; jq: as jq escapes (\b \f short,
// DEL as \u007f), otherwise as jsonEscape documents.
void appendEscaped(std::string& out, std::string_view text, bool jq) {
    for (unsigned char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\b':
            case '\f':
                if (jq) {
                    out += c == '\b' ? "\\b" : "\\f";
                    break;
                }
                [[fallthrough]];
            default:
                if (c < 0x20 || (jq && c == 0x7f)) {
                    char buffer[8];
                    std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
                    out += buffer;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
}

}  // namespace

std::string jsonEscape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    appendEscaped(out, text, false);
    return out;
}

std::string jqString(std::string_view text) {
    std::string out = "\"";
    appendEscaped(out, text, true);
    return out + "\"";
}

void JsonWriter::newline() {
    if (!pretty_)
        return;
    out_ += '\n';
    out_.append(hasItems_.size() * 2, ' ');
}

void JsonWriter::beforeValue() {
    if (afterKey_) {
        afterKey_ = false;
        return;
    }
    if (hasItems_.empty())
        return;
    if (hasItems_.back())
        out_ += ',';
    hasItems_.back() = true;
    newline();
}

JsonWriter& JsonWriter::beginObject() {
    beforeValue();
    out_ += '{';
    hasItems_.push_back(false);
    return *this;
}

void JsonWriter::close(char bracket) {
    bool any = hasItems_.back();
    hasItems_.pop_back();
    if (any)
        newline();
    out_ += bracket;
}

JsonWriter& JsonWriter::endObject() {
    close('}');
    return *this;
}

JsonWriter& JsonWriter::beginArray() {
    beforeValue();
    out_ += '[';
    hasItems_.push_back(false);
    return *this;
}

JsonWriter& JsonWriter::endArray() {
    close(']');
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
    beforeValue();
    out_ += '"' + jsonEscape(name) + (pretty_ ? "\": " : "\":");
    afterKey_ = true;
    return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
    beforeValue();
    out_ += '"' + jsonEscape(text) + '"';
    return *this;
}

JsonWriter& JsonWriter::value(int64_t number) {
    beforeValue();
    out_ += std::to_string(number);
    return *this;
}

JsonWriter& JsonWriter::value(bool flag) {
    beforeValue();
    out_ += flag ? "true" : "false";
    return *this;
}

JsonWriter& JsonWriter::stringArray(const std::vector<std::string>& items) {
    beginArray();
    for (const auto& item : items)
        value(item);
    return endArray();
}

}  // namespace twoliter
