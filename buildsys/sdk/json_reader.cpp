#include "sdk/json_reader.h"

#include <cstdlib>

#include "util/error.h"

namespace twoliter {

const JsonValue* JsonValue::find(std::string_view key) const {
    for (const auto& [name, value] : members_) {
        if (name == key)
            return &value;
    }
    return nullptr;
}

int64_t JsonValue::integer(int64_t fallback) const {
    if (kind_ != Kind::Number || text_.empty())
        return fallback;
    char* end = nullptr;
    long long value = std::strtoll(text_.c_str(), &end, 10);
    return *end == '\0' ? value : fallback;
}

class JsonParser {
  public:
    JsonParser(std::string_view text, const std::string& what) : text_(text), what_(what) {}

    JsonValue document() {
        JsonValue value = parseValue(0);
        skipSpace();
        if (position_ != text_.size())
            fail("unexpected text after the document");
        return value;
    }

  private:
    [[noreturn]] void fail(const std::string& message) const {
        throw Error(what_ + ": invalid JSON at byte " + std::to_string(position_) + ": " + message);
    }

    void skipSpace() {
        while (position_ < text_.size() && (text_[position_] == ' ' || text_[position_] == '\t' ||
                                            text_[position_] == '\n' || text_[position_] == '\r'))
            ++position_;
    }

    char peek() const { return position_ < text_.size() ? text_[position_] : '\0'; }

    void expect(char c) {
        if (peek() != c)
            fail(std::string("expected '") + c + "'");
        ++position_;
    }

    void literal(std::string_view word) {
        if (text_.substr(position_, word.size()) != word)
            fail("unknown literal");
        position_ += word.size();
    }

    JsonValue parseValue(int depth) {
        if (depth > 64)
            fail("nested too deeply");
        skipSpace();
        JsonValue value;
        char c = peek();
        if (c == '{') {
            value.kind_ = JsonValue::Kind::Object;
            ++position_;
            skipSpace();
            if (peek() == '}') {
                ++position_;
                return value;
            }
            for (;;) {
                skipSpace();
                std::string key = parseString();
                skipSpace();
                expect(':');
                value.members_.emplace_back(std::move(key), parseValue(depth + 1));
                skipSpace();
                if (peek() == ',') {
                    ++position_;
                    continue;
                }
                expect('}');
                return value;
            }
        }
        if (c == '[') {
            value.kind_ = JsonValue::Kind::Array;
            ++position_;
            skipSpace();
            if (peek() == ']') {
                ++position_;
                return value;
            }
            for (;;) {
                value.items_.push_back(parseValue(depth + 1));
                skipSpace();
                if (peek() == ',') {
                    ++position_;
                    continue;
                }
                expect(']');
                return value;
            }
        }
        if (c == '"') {
            value.kind_ = JsonValue::Kind::String;
            value.text_ = parseString();
            return value;
        }
        if (c == 't' || c == 'f') {
            value.kind_ = JsonValue::Kind::Bool;
            value.boolean_ = c == 't';
            literal(c == 't' ? "true" : "false");
            return value;
        }
        if (c == 'n') {
            literal("null");
            return value;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            size_t start = position_;
            if (peek() == '-')
                ++position_;
            while (position_ < text_.size() &&
                   std::string_view("0123456789.eE+-").find(text_[position_]) !=
                       std::string_view::npos)
                ++position_;
            value.kind_ = JsonValue::Kind::Number;
            value.text_ = std::string(text_.substr(start, position_ - start));
            return value;
        }
        fail("expected a value");
    }

    unsigned hex4() {
        if (position_ + 4 > text_.size())
            fail("truncated \\u escape");
        unsigned code = 0;
        for (int i = 0; i < 4; ++i) {
            char h = text_[position_++];
            code <<= 4;
            if (h >= '0' && h <= '9')
                code |= h - '0';
            else if (h >= 'a' && h <= 'f')
                code |= h - 'a' + 10;
            else if (h >= 'A' && h <= 'F')
                code |= h - 'A' + 10;
            else
                fail("bad \\u escape");
        }
        return code;
    }

    static void appendUtf8(std::string& out, unsigned code) {
        if (code < 0x80) {
            out += static_cast<char>(code);
        } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else if (code < 0x10000) {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (code >> 18));
            out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        }
    }

    std::string parseString() {
        expect('"');
        std::string out;
        for (;;) {
            if (position_ >= text_.size())
                fail("unterminated string");
            char c = text_[position_++];
            if (c == '"')
                return out;
            if (static_cast<unsigned char>(c) < 0x20)
                fail("control character in string");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (position_ >= text_.size())
                fail("unterminated string");
            char e = text_[position_++];
            switch (e) {
                case '"':
                    out += '"';
                    break;
                case '\\':
                    out += '\\';
                    break;
                case '/':
                    out += '/';
                    break;
                case 'b':
                    out += '\b';
                    break;
                case 'f':
                    out += '\f';
                    break;
                case 'n':
                    out += '\n';
                    break;
                case 'r':
                    out += '\r';
                    break;
                case 't':
                    out += '\t';
                    break;
                case 'u': {
                    unsigned code = hex4();
                    if (code >= 0xD800 && code < 0xDC00 && text_.substr(position_, 2) == "\\u") {
                        position_ += 2;
                        unsigned low = hex4();
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                    }
                    appendUtf8(out, code);
                    break;
                }
                default:
                    fail("bad escape");
            }
        }
    }

    std::string_view text_;
    const std::string& what_;
    size_t position_ = 0;
};

JsonValue parseJson(std::string_view text, const std::string& what) {
    return JsonParser(text, what).document();
}

}  // namespace twoliter
